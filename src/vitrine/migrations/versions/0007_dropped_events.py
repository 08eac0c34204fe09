"""analytics events that could not be stored are counted

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dropped_events",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("showroom_id", sa.String(length=32), nullable=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dropped_events")),
    )
    with op.batch_alter_table("dropped_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dropped_events_showroom_id"), ["showroom_id"])
        batch_op.create_index(batch_op.f("ix_dropped_events_day"), ["day"])


def downgrade() -> None:
    with op.batch_alter_table("dropped_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dropped_events_day"))
        batch_op.drop_index(batch_op.f("ix_dropped_events_showroom_id"))
    op.drop_table("dropped_events")
