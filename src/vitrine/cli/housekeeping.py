"""`vitrine housekeeping` (every periodic job) and `vitrine lockers housekeeping`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from vitrine.cli import app, current_settings, lockers_app, opened, out

if TYPE_CHECKING:
    from vitrine.installation import Installation


@app.command("housekeeping")
def housekeeping() -> None:
    """Every periodic job: settle checkouts a crash interrupted, the lockers' jobs, then the
    shoppers' photos (retention, auto-accepted candidates)."""
    with opened(current_settings()) as installation:
        _reconcile_checkouts(installation)
        _locker_housekeeping(installation)
        _shopper_photos(installation)


@lockers_app.command("housekeeping")
def lockers_housekeeping() -> None:
    """Expire unpaid reservations, send reminders, return uncollected parcels, send the outbox."""
    with opened(current_settings()) as installation:
        _locker_housekeeping(installation)


def _reconcile_checkouts(installation: Installation) -> None:
    from datetime import timedelta

    from vitrine.live.deal_service import LiveOffers
    from vitrine.lockers.policy import policy_from_settings
    from vitrine.orders.flows import CheckoutDesk
    from vitrine.orders.recovery_service import reconcile
    from vitrine.orders.sandbox_gateway import SandboxGateway

    settings = installation.settings
    desk = CheckoutDesk(
        session_factory=installation.session_factory,
        gateway=SandboxGateway(settings.sandbox_ledger),
        locker_policy=policy_from_settings(settings),
        offers=LiveOffers(),
        stale_after=timedelta(minutes=settings.checkout_recovery_minutes),
    )
    report = reconcile(desk)
    out.print(
        f"{report.completed} interrupted checkouts completed (charged), "
        f"{report.cancelled} cancelled (not charged), {report.waiting} waiting for the gateway, "
        f"{report.lockers_confirmed} locker holds confirmed for paid orders"
    )


def _locker_housekeeping(installation: Installation) -> None:
    from vitrine.lockers.flows import housekeeping as locker_jobs
    from vitrine.lockers.policy import policy_from_settings
    from vitrine.notifications.service import delivery_from_settings

    settings = installation.settings
    with installation.session_factory() as session:
        report = locker_jobs(
            db_session=session,
            policy=policy_from_settings(settings),
            delivery=delivery_from_settings(settings),
        )
    sent = report.messages
    out.print(
        f"{report.reservations_expired} reservations expired, {report.reminders} reminders, "
        f"{report.returned_to_sender} parcels returned to sender, "
        f"{sent.sent} messages sent, {sent.failed} to retry, {sent.dead} dead, "
        f"{sent.held} waiting for a sender"
    )
    if sent.held:
        out.print(
            f"[bold red]{sent.held} messages are waiting: no sender is configured for their "
            "channel (set VITRINE_SMTP_HOST for email). They are kept and shown at "
            "/operator/outbox and on the shoppers' order pages.[/]"
        )


def _shopper_photos(installation: Installation) -> None:
    from vitrine.analytics.review_photos import ReviewPhotos
    from vitrine.showrooms import candidate_service as candidates

    settings = installation.settings
    photos = ReviewPhotos(settings.review_dir, settings.review_photo_days)
    first_kept = photos.first_kept_day()
    days = photos.forget_older_than(first_kept)
    # No search engine here: the serving processes index what is accepted from the database.
    teaching = candidates.Teaching(media=installation.media, photos=photos)
    with installation.session_factory() as session:
        expired = candidates.forget_expired(db_session=session, first_kept=first_kept)
        accepted = candidates.accept_confident(db_session=session, teaching=teaching)
    out.print(
        f"shoppers' photos of {days} past days deleted (kept {settings.review_photo_days} days), "
        f"{expired} candidate photos expired with them, {accepted} accepted automatically"
    )
