"""The registry of every capability's tables, so Alembic and tests see one complete metadata."""

from __future__ import annotations


def load_all_models() -> None:
    """Import each capability's models module (their import registers the tables on Base)."""
    from vitrine.accounts import models as accounts_models  # noqa: F401
    from vitrine.analytics import models as analytics_models  # noqa: F401
    from vitrine.catalog import models as catalog_models  # noqa: F401
    from vitrine.live import models as live_models  # noqa: F401
    from vitrine.lockers import models as lockers_models  # noqa: F401
    from vitrine.notifications import models as notifications_models  # noqa: F401
    from vitrine.orders import models as orders_models  # noqa: F401
    from vitrine.shoppers import models as shoppers_models  # noqa: F401
    from vitrine.showrooms import models as showrooms_models  # noqa: F401
