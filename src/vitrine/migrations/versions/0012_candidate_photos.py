"""shoppers' candidate photos waiting for the operator; a showroom's auto-accept confidence

Revision ID: 0012
Revises: 0011
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "candidate_photos",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("showroom_id", sa.String(length=32), nullable=False),
        sa.Column("product_id", sa.String(length=32), nullable=False),
        sa.Column("photo_key", sa.String(length=64), nullable=False),
        sa.Column("picked_from", sa.String(length=8), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "confidence >= 0 AND confidence <= 1",
            name=op.f("ck_candidate_photos_confidence_is_probability"),
        ),
        sa.CheckConstraint(
            "picked_from IN ('list', 'text')", name=op.f("ck_candidate_photos_known_pick")
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_candidate_photos_product_id_products"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["showroom_id"],
            ["showrooms.id"],
            name=op.f("fk_candidate_photos_showroom_id_showrooms"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_candidate_photos")),
        sa.UniqueConstraint("photo_key", name=op.f("uq_candidate_photos_photo_key")),
    )
    with op.batch_alter_table("candidate_photos", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_candidate_photos_product_id"), ["product_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_candidate_photos_showroom_id"), ["showroom_id"], unique=False
        )
    with op.batch_alter_table("showrooms", schema=None) as batch_op:
        batch_op.add_column(sa.Column("auto_accept_confidence", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("showrooms", schema=None) as batch_op:
        batch_op.drop_column("auto_accept_confidence")
    with op.batch_alter_table("candidate_photos", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_candidate_photos_showroom_id"))
        batch_op.drop_index(batch_op.f("ix_candidate_photos_product_id"))
    op.drop_table("candidate_photos")
