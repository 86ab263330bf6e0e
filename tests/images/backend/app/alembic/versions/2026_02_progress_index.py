"""Completion time of a book; index reading progress by user and book.

The index already exists (initial_2024 created it): on PostgreSQL this
revision fails with DuplicateTable, and the transaction of the whole
`alembic upgrade` run is rolled back.

Revision ID: progress_index_2026
Revises: reading_goals_2026
Create Date: 2026-02-20 08:15:00
"""
import sqlalchemy as sa
from alembic import op

revision = "progress_index_2026"
down_revision = "reading_goals_2026"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("reading_progress", sa.Column("completed_at", sa.DateTime(timezone=True)))
    op.create_index("idx_reading_progress_user_book", "reading_progress", ["user_id", "book_id"])


def downgrade():
    op.drop_index("idx_reading_progress_user_book", table_name="reading_progress")
    op.drop_column("reading_progress", "completed_at")
