"""The engines one app shares across requests (payment gateway, locker rules), built once."""

from __future__ import annotations

from fastapi import FastAPI, Request

from vitrine.installation import Installation
from vitrine.lockers.policy import policy_from_settings
from vitrine.orders.flows import CheckoutDesk
from vitrine.orders.payments import PaymentGateway
from vitrine.orders.sandbox_gateway import SandboxGateway


def attach_engines(
    app: FastAPI, installation: Installation, gateway: PaymentGateway | None = None
) -> None:
    app.state.checkout_desk = CheckoutDesk(
        session_factory=installation.session_factory,
        gateway=gateway or SandboxGateway(),
        locker_policy=policy_from_settings(installation.settings),
    )


def checkout_desk(request: Request) -> CheckoutDesk:
    desk: CheckoutDesk = request.app.state.checkout_desk
    return desk
