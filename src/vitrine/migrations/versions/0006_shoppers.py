"""shopper sign-in codes; carts remember their signed-in owner

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "shopper_sign_in_codes",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("contact", sa.String(length=254), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("failed_attempts", sa.Integer(), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shopper_sign_in_codes")),
    )
    with op.batch_alter_table("shopper_sign_in_codes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_shopper_sign_in_codes_contact"), ["contact"], unique=False
        )
    with op.batch_alter_table("carts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner", sa.String(length=254), nullable=True))
        batch_op.create_index(batch_op.f("ix_carts_owner"), ["owner"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("carts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_carts_owner"))
        batch_op.drop_column("owner")
    with op.batch_alter_table("shopper_sign_in_codes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shopper_sign_in_codes_contact"))
    op.drop_table("shopper_sign_in_codes")
