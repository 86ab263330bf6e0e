"""Description priority for image generation; reading statistics views.

Revision ID: descriptions_priority_2025
Revises: initial_2024
Create Date: 2025-03-14 09:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = "descriptions_priority_2025"
down_revision = "initial_2024"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("descriptions", sa.Column("priority_score", sa.Float(), nullable=False, server_default="0"))
    op.create_index("idx_descriptions_chapter_priority", "descriptions",
                    ["chapter_id", sa.text("priority_score DESC")])
    op.create_index("idx_descriptions_type_priority", "descriptions", ["type", sa.text("priority_score DESC")],
                    postgresql_where=sa.text("is_suitable_for_generation"))

    op.execute("""
        CREATE MATERIALIZED VIEW reading_sessions_daily_stats AS
        SELECT
            user_id,
            (started_at AT TIME ZONE 'UTC')::date AS reading_date,
            count(*) AS sessions_count,
            sum(duration_minutes) AS total_minutes,
            sum(pages_read) AS total_pages,
            count(DISTINCT book_id) AS books_count,
            max(ended_at) AS last_session_end
        FROM reading_sessions
        WHERE NOT is_active AND ended_at IS NOT NULL
        GROUP BY user_id, (started_at AT TIME ZONE 'UTC')::date
    """)
    # Unique: REFRESH MATERIALIZED VIEW CONCURRENTLY works on this view.
    op.create_index("idx_daily_stats_user_date", "reading_sessions_daily_stats",
                    ["user_id", "reading_date"], unique=True)
    op.create_index("idx_daily_stats_date", "reading_sessions_daily_stats", ["reading_date"])

    op.execute("""
        CREATE MATERIALIZED VIEW user_reading_patterns AS
        SELECT
            s.user_id,
            count(DISTINCT s.book_id) AS books_read,
            avg(s.duration_minutes) AS avg_session_minutes,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY s.duration_minutes) AS median_session_minutes,
            mode() WITHIN GROUP (ORDER BY extract(hour FROM s.started_at)) AS favourite_hour,
            sum(s.pages_read) AS total_pages
        FROM reading_sessions s
        WHERE NOT s.is_active
        GROUP BY s.user_id
    """)
    op.create_index("idx_patterns_user", "user_reading_patterns", ["user_id"])


def downgrade():
    op.execute("DROP MATERIALIZED VIEW user_reading_patterns")
    op.execute("DROP MATERIALIZED VIEW reading_sessions_daily_stats")
    op.drop_index("idx_descriptions_type_priority", table_name="descriptions")
    op.drop_index("idx_descriptions_chapter_priority", table_name="descriptions")
    op.drop_column("descriptions", "priority_score")
