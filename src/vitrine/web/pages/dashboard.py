"""The market-test dashboard of a showroom: figures, charts, CSV exports, shoppers' photos."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response

from vitrine.analytics import charts
from vitrine.analytics.figures import picked_up_not_bought, top_by_conversion, top_by_interest
from vitrine.analytics.service import MarketTest
from vitrine.showrooms.models import Showroom
from vitrine.web.dependencies import SessionDep
from vitrine.web.market_test import market_test_of
from vitrine.web.pages.console import operator_page, showroom_or_404
from vitrine.web.security import OperatorPageDep
from vitrine.web.wiring import event_recorder, review_photos

router = APIRouter(prefix="/operator", include_in_schema=False)


def _period(start: date | None, end: date | None) -> tuple[datetime, datetime]:
    today = datetime.now(UTC).date()
    last = end or today
    first = start or last - timedelta(days=29)
    if first > last:
        raise HTTPException(status_code=422, detail="the period starts after it ends")
    return datetime.combine(first, time(), UTC), datetime.combine(
        last + timedelta(days=1), time(), UTC
    )


def _figures(
    db_session: SessionDep, showroom: Showroom, start: date | None, end: date | None
) -> MarketTest:
    period_start, period_end = _period(start, end)
    return market_test_of(
        db_session=db_session, showroom=showroom, start=period_start, end=period_end
    )


@router.get("/showrooms/{showroom_id}/dashboard", response_class=HTMLResponse)
def dashboard(
    showroom_id: str,
    request: Request,
    operator: OperatorPageDep,
    db_session: SessionDep,
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
) -> Response:
    showroom = showroom_or_404(db_session, showroom_id)
    figures = _figures(db_session, showroom, start, end)
    interest = top_by_interest(figures.funnels)
    return operator_page(
        request,
        "operator_dashboard.html",
        {
            "title": f"{showroom.name}: market test",
            "operator": operator,
            "showroom": showroom,
            "figures": figures,
            "start": figures.start.date(),
            "end": (figures.end - timedelta(days=1)).date(),
            "by_interest": interest,
            "by_conversion": top_by_conversion(figures.funnels),
            "not_bought": picked_up_not_bought(figures.funnels),
            "funnel_svg": charts.funnel_chart(interest).decode(),
            "hourly_svg": charts.hourly_chart(figures.hourly).decode(),
            "dropped": figures.dropped_events + event_recorder(request).pending_drops(showroom.id),
        },
    )


@router.get("/showrooms/{showroom_id}/dashboard/{table}.csv")
def dashboard_csv(
    showroom_id: str,
    table: str,
    request: Request,
    operator: OperatorPageDep,
    db_session: SessionDep,
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
) -> Response:
    showroom = showroom_or_404(db_session, showroom_id)
    rows = _csv_rows(table, _figures(db_session, showroom, start, end))
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    headers = {"Content-Disposition": f'attachment; filename="{showroom.slug}-{table}.csv"'}
    return Response(buffer.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)


def _csv_rows(table: str, figures: MarketTest) -> list[list[Any]]:
    if table == "funnel":
        return [
            [
                "product",
                "views",
                "qr_scans",
                "photo_matches",
                "added_to_cart",
                "units_sold",
                "conversion",
            ]
        ] + [
            [f.name, f.views, f.scans, f.photo_hits, f.carts, f.units_sold, round(f.conversion, 4)]
            for f in figures.funnels
        ]
    if table == "hourly":
        return [["hour_utc", "actions"]] + [
            [hour, count] for hour, count in enumerate(figures.hourly)
        ]
    if table == "summary":
        return [
            ["figure", "value"],
            ["visitors", figures.visitors],
            ["photo_searches", figures.photo_searches],
            ["photo_search_success", round(figures.search_success, 4)],
            ["qr_scans", figures.qr_scans],
            ["text_searches", figures.text_searches],
            ["orders", figures.orders],
            ["dropped_events", figures.dropped_events],
        ]
    raise HTTPException(status_code=404, detail="tables: summary, funnel, hourly")


@router.get("/review-photos/{day}/{name}")
def review_photo(day: str, name: str, request: Request, operator: OperatorPageDep) -> Response:
    path = review_photos(request).path_of(f"{day}/{name}")
    if path is None:
        raise HTTPException(status_code=404, detail="this photo is gone (kept for a limited time)")
    return Response(
        path.read_bytes(), media_type="image/jpeg", headers={"Cache-Control": "private"}
    )
