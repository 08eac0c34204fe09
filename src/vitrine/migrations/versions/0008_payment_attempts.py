"""payment attempts recorded before the charge (pending, abandoned, settled_at); orders keep
their cart

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_STATUSES = "status IN ('captured', 'declined', 'refunded')"
NEW_STATUSES = "status IN ('pending', 'captured', 'declined', 'refunded', 'abandoned')"


def upgrade() -> None:
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_payments_known_status"), type_="check")
        batch_op.create_check_constraint(op.f("ck_payments_known_status"), NEW_STATUSES)
        batch_op.add_column(sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cart_id", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("cart_id")
    op.execute("UPDATE payments SET status = 'declined' WHERE status IN ('pending', 'abandoned')")
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_column("settled_at")
        batch_op.drop_constraint(op.f("ck_payments_known_status"), type_="check")
        batch_op.create_check_constraint(op.f("ck_payments_known_status"), OLD_STATUSES)
