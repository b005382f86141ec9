"""Scenarios record the dataset they were made on: scenario.dataset_name, scenario.dataset_hash.

Both nullable: scenarios saved before this revision do not know their dataset (the app says
so when one is opened).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the dataset name and content hash columns to ``scenario``."""
    with op.batch_alter_table("scenario") as batch:
        batch.add_column(sa.Column("dataset_name", sa.String(300), nullable=True))
        batch.add_column(sa.Column("dataset_hash", sa.String(64), nullable=True))


def downgrade() -> None:
    """Drop the dataset columns."""
    with op.batch_alter_table("scenario") as batch:
        batch.drop_column("dataset_hash")
        batch.drop_column("dataset_name")
