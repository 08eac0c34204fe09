"""Locker API: sites with free compartments, courier deposits and returns, kiosk pickup."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Annotated, Literal, TypeVar

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from vitrine.db import utc_now
from vitrine.lockers import flows
from vitrine.lockers import parcel_service as parcels
from vitrine.lockers import site_service as locker_sites
from vitrine.lockers.errors import (
    CourierRefused,
    LockerError,
    PickupRefused,
    UnknownParcel,
    UnknownSite,
)
from vitrine.lockers.models import LockerSite
from vitrine.lockers.pickup import service as pickup_service
from vitrine.lockers.pickup.tokens import looks_like_token
from vitrine.lockers.policy import LockerPolicy, policy_from_settings
from vitrine.lockers.sizes import UnknownSize
from vitrine.orders import service as orders
from vitrine.web.api.responses import (
    COURIER_REFUSALS,
    RETRY_AFTER,
    field_errors,
    refusal,
)
from vitrine.web.dependencies import InstallationDep, SessionDep, get_installation
from vitrine.web.schemas import JsonFloat

router = APIRouter(prefix="/lockers", tags=["lockers"])
_T = TypeVar("_T")
bearer = HTTPBearer(
    scheme_name="CourierToken",
    description="A courier token (`vitrine lockers couriers`).",
    auto_error=False,
)


class SiteRead(BaseModel):
    id: str
    name: str
    address: str
    latitude: float
    longitude: float
    opening_hours: str
    free: dict[str, int] = Field(description="Free compartments by size (S, M, L ...).")
    km: float | None = Field(default=None, description="Distance from the point asked about.")


ParcelCm = Annotated[JsonFloat, Field(gt=0, le=1000)]


class DepositRequest(BaseModel):
    site_id: str = Field(
        max_length=64,
        description="The site the courier is at: its id or its reference (`les-halles`).",
    )
    order_ref: str = Field(
        max_length=64,
        description="The order: its 8-character number on the parcel (`2C24EAA6`), or its id.",
    )
    size: str | None = Field(
        default=None, description="Compartment size (S, M, L ...); default: as reserved."
    )
    dimensions_cm: tuple[ParcelCm, ParcelCm, ParcelCm] | None = Field(
        default=None, description="The parcel's outer size; wins over `size`."
    )


class DepositRead(BaseModel):
    status: Literal["deposited", "redirected"] = Field(
        description="`redirected`: this site is full; take the parcel to `site_id` instead."
    )
    site_id: str
    site_name: str
    compartment: str
    km: float


class ReturnsRead(BaseModel):
    compartments: list[str] = Field(description="Opened compartments holding expired parcels.")


# The QR token of the pickup message (403 if it opens nothing here), or a typed code: 10 digits,
# spaces, dots and dashes anywhere.
PICKUP_CODE = r"^(?:[ \t]*VP1-[\s\S]*|[ .\t-]*(?:[0-9][ .\t-]*){10})$"


class PickupRequest(BaseModel):
    code: str = Field(
        max_length=100,
        pattern=PICKUP_CODE,
        description=(
            "The 10-digit pickup code as typed (spaces and dashes ignored), or the QR token "
            "of the pickup message (`VP1-...`), which opens at once."
        ),
    )


class PickupRead(BaseModel):
    compartment: str
    message: str


def get_policy(installation: InstallationDep) -> LockerPolicy:
    return policy_from_settings(installation.settings)


PolicyDep = Annotated[LockerPolicy, Depends(get_policy)]
BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]

PICKUP_STATUS = {
    "malformed": 422,
    "wrong_code": 403,
    "expired": 410,
    "already_used": 409,
    "too_many_attempts": 429,
    "bad_token": 403,
}


def error_response(error: LockerError | UnknownSize) -> JSONResponse:
    """The HTTP answer to a locker error: the status says what kind, the detail says what.

    Returned rather than raised so its headers (WWW-Authenticate, Retry-After) reach the client.
    """
    headers: dict[str, str] | None = None
    if isinstance(error, PickupRefused):
        if error.problem == "malformed":
            return field_errors((("body", "code"), str(error)))
        status = PICKUP_STATUS[error.problem]
        if error.retry_after_seconds:
            headers = {"Retry-After": str(error.retry_after_seconds)}
    elif isinstance(error, CourierRefused):
        status, headers = 401, {"WWW-Authenticate": "Bearer"}
    elif isinstance(error, UnknownSite | UnknownParcel):
        status = 404
    else:  # NoRoom, WrongState, and UnknownSize: a parcel that fits in no compartment
        status = 409
    return JSONResponse({"detail": str(error)}, status_code=status, headers=headers)


def courier_token(credentials: BearerDep, db_session: SessionDep) -> str:
    """The token of a known courier: checked before the request's ids are looked at."""
    try:
        if credentials is None:
            raise CourierRefused("a courier token is required (Authorization: Bearer ...)")
        parcels.authenticate_courier(db_session=db_session, token=credentials.credentials)
    except CourierRefused as refused:
        raise HTTPException(401, str(refused), headers={"WWW-Authenticate": "Bearer"}) from refused
    return credentials.credentials


CourierTokenDep = Annotated[str, Depends(courier_token)]
NO_SITE = refusal("no such locker site")


def _site_read(site: LockerSite, free: dict[str, int], km: float | None = None) -> SiteRead:
    return SiteRead(
        id=site.id,
        name=site.name,
        address=site.address,
        latitude=site.latitude,
        longitude=site.longitude,
        opening_hours=site.opening_hours,
        free=free,
        km=None if km is None else round(km, 3),
    )


@router.get("/sites", response_model=list[SiteRead])
def list_sites(
    db_session: SessionDep,
    latitude: Annotated[float | None, Query(ge=-90, le=90)] = None,
    longitude: Annotated[float | None, Query(ge=-180, le=180)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> list[SiteRead]:
    """Sites with their free compartments by size; nearest first when a position is given."""
    if latitude is not None and longitude is not None:
        nearby = locker_sites.nearest_sites(
            db_session=db_session, latitude=latitude, longitude=longitude, limit=limit
        )
        return [_site_read(item.site, item.free, item.km) for item in nearby]
    counts = locker_sites.free_counts(db_session=db_session)
    sites = locker_sites.list_sites(db_session=db_session)[:limit]
    return [_site_read(site, counts.get(site.id, {})) for site in sites]


@router.get("/sites/{site_id}", response_model=SiteRead, responses={404: NO_SITE})
def read_site(site_id: str, db_session: SessionDep) -> SiteRead | JSONResponse:
    try:
        site = locker_sites.find_site(db_session=db_session, key=site_id)
    except LockerError as error:
        return error_response(error)
    counts = locker_sites.free_counts(db_session=db_session, site_ids=[site.id])
    return _site_read(site, counts.get(site.id, {}))


@router.post(
    "/deposits",
    response_model=DepositRead,
    status_code=201,
    responses={
        **COURIER_REFUSALS,
        404: refusal("no such site, or the order has no locker delivery"),
        409: refusal(
            "the order is not paid or its parcel is elsewhere; the parcel fits in no "
            "compartment; or this site and those nearby are full"
        ),
    },
)
def deposit(
    body: DepositRequest, db_session: SessionDep, policy: PolicyDep, token: CourierTokenDep
) -> DepositRead | JSONResponse:
    """A courier puts a paid order's parcel in the smallest free compartment that fits.

    The shopper gets the pickup code. If the site is full the parcel is redirected to the
    nearest site with room within the configured distance (`status: redirected`).
    """
    sizes = [size.code for size in policy.sizes]
    if body.size is not None and body.size not in sizes:
        return field_errors((("body", "size"), f"sizes: {', '.join(sizes)}"))
    try:
        site = locker_sites.find_site(db_session=db_session, key=body.site_id)
        result = flows.deposit(
            db_session=db_session,
            courier_token=token,
            site_id=site.id,
            order_ref=order_id_of(db_session, body.order_ref),
            size=body.size,
            dimensions_cm=body.dimensions_cm,
            policy=policy,
        )
    except (LockerError, UnknownSize) as error:
        return error_response(error)
    return DepositRead(
        status=result.status,
        site_id=result.site.id,
        site_name=result.site.name,
        compartment=result.compartment,
        km=round(result.km, 3),
    )


@router.post(
    "/sites/{site_id}/returns",
    response_model=ReturnsRead,
    responses={**COURIER_REFUSALS, 404: NO_SITE},
)
def collect_returns(
    site_id: str, db_session: SessionDep, token: CourierTokenDep
) -> ReturnsRead | JSONResponse:
    """A courier takes out the parcels that were not picked up in time."""
    try:
        site = locker_sites.find_site(db_session=db_session, key=site_id)
        opened = flows.collect_returns(db_session=db_session, courier_token=token, site_id=site.id)
    except LockerError as error:
        return error_response(error)
    return ReturnsRead(compartments=opened)


@router.post(
    "/sites/{site_id}/pickup",
    response_model=PickupRead,
    responses={
        403: refusal("wrong code, or a QR token that opens nothing here"),
        404: NO_SITE,
        409: refusal("code already used"),
        410: refusal("code expired"),
        429: refusal("too many wrong codes: retry after Retry-After seconds", headers=RETRY_AFTER),
    },
)
async def pick_up(
    site_id: str, body: PickupRequest, request: Request, policy: PolicyDep
) -> PickupRead | JSONResponse:
    """Open the compartment of a QR token at once, or of a typed code after its wait.

    Typed codes wait longer after failures (per client and per site, at most 30 s); past that
    the answer is 429 with Retry-After at once. A QR token is never slowed.
    """
    try:
        site_id = await run_in_threadpool(site_id_of, request, site_id)
        opened = await open_compartment(request, site_id, body.code, policy)
    except LockerError as error:
        return error_response(error)
    return PickupRead(
        compartment=opened.compartment, message=f"Compartment {opened.compartment} is open."
    )


async def open_compartment(
    request: Request, site_id: str, text: str, policy: LockerPolicy
) -> pickup_service.Pickup:
    """The pickup, with its wait slept on the event loop: no worker thread is held meanwhile."""
    factory = get_installation(request).session_factory
    client = client_of(request)

    def in_session(use_case: Callable[..., _T], **arguments: object) -> _T:
        with factory() as db_session:
            return use_case(db_session=db_session, **arguments)

    if looks_like_token(text):
        return await run_in_threadpool(
            in_session,
            pickup_service.pickup_with_token,
            site_id=site_id,
            token=text,
            client=client,
            policy=policy,
        )
    booked = await run_in_threadpool(
        in_session, pickup_service.book_typed_code, site_id=site_id, code=text, client=client
    )
    wait = (booked.check_at - utc_now()).total_seconds()
    if wait > 0:
        await asyncio.sleep(wait)
    return await run_in_threadpool(
        in_session, pickup_service.check_typed_code, booked=booked, policy=policy
    )


def order_id_of(db_session: Session, order_ref: str) -> str:
    """The order id behind what a courier typed: the order number people see, or the id."""
    numbered = orders.orders_numbered(db_session=db_session, number=order_ref)
    if len(numbered) > 1:
        raise UnknownParcel(f"order number {order_ref} is ambiguous: send the order id")
    return numbered[0].id if numbered else order_ref.strip()


def site_id_of(request: Request, key: str) -> str:
    """The id of the site named by its id or by its reference (`les-halles`)."""
    with get_installation(request).session_factory() as db_session:
        return locker_sites.find_site(db_session=db_session, key=key).id


def client_of(request: Request) -> str:
    """The address the attempt came from (the proxy in front must set it, not a header)."""
    return request.client.host if request.client else "unknown"
