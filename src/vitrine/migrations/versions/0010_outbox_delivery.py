"""outbox: render at send time (kind, language, params), sealed secrets, retries, dead letters;
locker parcels keep their sealed pickup code and language; orders their language

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=32), nullable=True))
        batch_op.add_column(
            sa.Column("language", sa.String(length=8), server_default="en", nullable=False)
        )
        batch_op.add_column(sa.Column("params", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("sealed", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("attempts", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("last_error", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("dead_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_outbox_messages_dead_at"), ["dead_at"], unique=False)
    with op.batch_alter_table("locker_parcels", schema=None) as batch_op:
        batch_op.add_column(sa.Column("code_sealed", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("order_path", sa.String(length=200), nullable=True))
        batch_op.add_column(
            sa.Column("language", sa.String(length=8), server_default="en", nullable=False)
        )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("language", sa.String(length=8), server_default="en", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("language")
    with op.batch_alter_table("locker_parcels", schema=None) as batch_op:
        batch_op.drop_column("language")
        batch_op.drop_column("order_path")
        batch_op.drop_column("code_sealed")
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_messages_dead_at"))
        for column in ("dead_at", "last_error", "next_attempt_at", "attempts", "sealed"):
            batch_op.drop_column(column)
        for column in ("params", "language", "kind"):
            batch_op.drop_column(column)
