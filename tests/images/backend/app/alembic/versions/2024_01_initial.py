"""Initial schema: the application's eight tables, enums and indexes.

Users, subscriptions, books, chapters, descriptions, generated images,
reading progress and reading sessions.

Revision ID: initial_2024
Revises:
Create Date: 2024-09-01 10:00:00
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "initial_2024"
down_revision = None
branch_labels = None
depends_on = None

UUID_PK = dict(primary_key=True, server_default=sa.text("uuid_generate_v4()"))


def _uuid_pk():
    return sa.Column("id", postgresql.UUID(as_uuid=True), **UUID_PK)


def _created():
    return sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.text("now()"))


def _updated():
    return sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.text("now()"))


def upgrade():
    descriptiontype = postgresql.ENUM(
        "LOCATION", "CHARACTER", "ATMOSPHERE", "OBJECT", "ACTION", name="descriptiontype")
    subscriptionplan = postgresql.ENUM("FREE", "PREMIUM", "ULTIMATE", name="subscriptionplan")
    subscriptionstatus = postgresql.ENUM("ACTIVE", "EXPIRED", "CANCELLED", "PENDING", name="subscriptionstatus")

    op.create_table(
        "users",
        _uuid_pk(),
        sa.Column("email", sa.String(255), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("full_name", sa.String(255)),
        sa.Column("is_active", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("is_verified", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("is_admin", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("preferences", postgresql.JSONB()),
        _created(),
        _updated(),
        sa.Column("last_login", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_users_id", "users", ["id"])
    op.create_index("ix_users_email", "users", ["email"], unique=True)
    op.create_index("idx_users_active_created", "users", ["is_active", "created_at"])

    op.create_table(
        "subscriptions",
        _uuid_pk(),
        sa.Column("user_id", postgresql.UUID(as_uuid=True),
                  sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("plan", subscriptionplan, nullable=False, server_default="FREE"),
        sa.Column("status", subscriptionstatus, nullable=False, server_default="ACTIVE"),
        sa.Column("start_date", sa.DateTime(timezone=True), nullable=False, server_default=sa.text("now()")),
        sa.Column("end_date", sa.DateTime(timezone=True)),
        sa.Column("auto_renew", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("books_uploaded", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("images_generated_month", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("last_reset_date", sa.DateTime(timezone=True)),
        _created(),
        _updated(),
    )
    op.create_index("ix_subscriptions_id", "subscriptions", ["id"])
    op.create_index("ix_subscriptions_user_id", "subscriptions", ["user_id"], unique=True)
    op.create_index("idx_subscriptions_status_end", "subscriptions", ["status", "end_date"])

    op.create_table(
        "books",
        _uuid_pk(),
        sa.Column("user_id", postgresql.UUID(as_uuid=True),
                  sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("author", sa.String(255)),
        sa.Column("genre", sa.String(50), nullable=False, server_default="other"),
        sa.Column("language", sa.String(10), nullable=False, server_default="ru"),
        sa.Column("file_path", sa.String(1000), nullable=False),
        sa.Column("file_format", sa.String(10), nullable=False),
        sa.Column("file_size", sa.BigInteger(), nullable=False),
        sa.Column("cover_image", sa.String(1000)),
        sa.Column("description", sa.Text()),
        sa.Column("total_pages", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("estimated_reading_time", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("is_parsed", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("parsing_progress", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("parsing_error", sa.Text()),
        sa.Column("book_metadata", postgresql.JSONB()),
        _created(),
        _updated(),
        sa.Column("last_accessed", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_books_id", "books", ["id"])
    op.create_index("ix_books_user_id", "books", ["user_id"])
    op.create_index("ix_books_title", "books", ["title"])
    op.create_index("ix_books_author", "books", ["author"])
    op.create_index("ix_books_genre", "books", ["genre"])
    op.create_index("idx_books_user_created", "books", ["user_id", sa.text("created_at DESC")])
    op.create_index("idx_books_user_unparsed", "books", ["user_id"], postgresql_where=sa.text("NOT is_parsed"))
    op.create_index("idx_books_metadata_gin", "books", ["book_metadata"], postgresql_using="gin")
    op.create_index("idx_books_title_trgm", "books", [sa.text("title gin_trgm_ops")], postgresql_using="gin")
    op.create_index("idx_books_author_trgm", "books", [sa.text("author gin_trgm_ops")], postgresql_using="gin")

    op.create_table(
        "chapters",
        _uuid_pk(),
        sa.Column("book_id", postgresql.UUID(as_uuid=True),
                  sa.ForeignKey("books.id", ondelete="CASCADE"), nullable=False),
        sa.Column("chapter_number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(500)),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("html_content", sa.Text()),
        sa.Column("word_count", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("is_description_parsed", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("descriptions_found", sa.Integer(), nullable=False, server_default="0"),
        _created(),
        _updated(),
        sa.UniqueConstraint("book_id", "chapter_number", name="uq_chapters_book_number"),
    )
    op.create_index("ix_chapters_id", "chapters", ["id"])
    op.create_index("ix_chapters_book_id", "chapters", ["book_id"])
    op.create_index("idx_chapters_unparsed", "chapters", ["book_id"],
                    postgresql_where=sa.text("NOT is_description_parsed"))

    op.create_table(
        "descriptions",
        _uuid_pk(),
        sa.Column("chapter_id", postgresql.UUID(as_uuid=True),
                  sa.ForeignKey("chapters.id", ondelete="CASCADE"), nullable=False),
        sa.Column("type", descriptiontype, nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("context", sa.Text()),
        sa.Column("confidence_score", sa.Float(), nullable=False, server_default="0"),
        sa.Column("position_in_chapter", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("word_count", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("is_suitable_for_generation", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("image_generated", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("entities_mentioned", postgresql.JSONB()),
        _created(),
        _updated(),
    )
    op.create_index("ix_descriptions_id", "descriptions", ["id"])
    op.create_index("ix_descriptions_chapter_id", "descriptions", ["chapter_id"])
    op.create_index("ix_descriptions_type", "descriptions", ["type"])
    op.create_index("idx_descriptions_content_trgm", "descriptions", [sa.text("content gin_trgm_ops")],
                    postgresql_using="gin")

    op.create_table(
        "generated_images",
        _uuid_pk(),
        sa.Column("description_id", postgresql.UUID(as_uuid=True),
                  sa.ForeignKey("descriptions.id", ondelete="CASCADE"), nullable=False),
        sa.Column("user_id", postgresql.UUID(as_uuid=True),
                  sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("service_used", sa.String(50), nullable=False),
        sa.Column("status", sa.String(20), nullable=False, server_default="pending"),
        sa.Column("image_url", sa.String(2000)),
        sa.Column("local_path", sa.String(1000)),
        sa.Column("prompt_used", sa.Text(), nullable=False),
        sa.Column("generation_parameters", postgresql.JSONB()),
        sa.Column("generation_time_seconds", sa.Float()),
        sa.Column("file_size", sa.Integer()),
        sa.Column("image_width", sa.Integer()),
        sa.Column("image_height", sa.Integer()),
        sa.Column("error_message", sa.Text()),
        sa.Column("retry_count", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("is_moderated", sa.Boolean(), nullable=False, server_default=sa.false()),
        _created(),
        sa.Column("generated_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_generated_images_id", "generated_images", ["id"])
    op.create_index("ix_generated_images_description_id", "generated_images", ["description_id"])
    op.create_index("ix_generated_images_user_id", "generated_images", ["user_id"])
    op.create_index("idx_generated_images_status", "generated_images", ["status"])
    op.create_index("idx_generated_images_user_created", "generated_images", ["user_id", sa.text("created_at DESC")])

    op.create_table(
        "reading_progress",
        _uuid_pk(),
        sa.Column("user_id", postgresql.UUID(as_uuid=True),
                  sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("book_id", postgresql.UUID(as_uuid=True),
                  sa.ForeignKey("books.id", ondelete="CASCADE"), nullable=False),
        sa.Column("current_chapter", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("current_page", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("current_position", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("reading_location_cfi", sa.String(500)),
        sa.Column("scroll_offset_percent", sa.Float(), nullable=False, server_default="0"),
        sa.Column("reading_time_minutes", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("reading_speed_wpm", sa.Float(), nullable=False, server_default="0"),
        _created(),
        _updated(),
        sa.Column("last_read_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.text("now()")),
    )
    op.create_index("ix_reading_progress_id", "reading_progress", ["id"])
    op.create_index("ix_reading_progress_user_id", "reading_progress", ["user_id"])
    op.create_index("ix_reading_progress_book_id", "reading_progress", ["book_id"])
    # Created here, and once more by progress_index_2026 (which therefore fails).
    op.create_index("idx_reading_progress_user_book", "reading_progress", ["user_id", "book_id"], unique=True)
    op.create_index("idx_reading_progress_last_read", "reading_progress", ["user_id", sa.text("last_read_at DESC")])

    op.create_table(
        "reading_sessions",
        _uuid_pk(),
        sa.Column("user_id", postgresql.UUID(as_uuid=True),
                  sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("book_id", postgresql.UUID(as_uuid=True),
                  sa.ForeignKey("books.id", ondelete="CASCADE"), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.text("now()")),
        sa.Column("ended_at", sa.DateTime(timezone=True)),
        sa.Column("duration_minutes", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("start_position", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("end_position", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("pages_read", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("device_type", sa.String(50)),
        sa.Column("is_active", sa.Boolean(), nullable=False, server_default=sa.true()),
        _created(),
    )
    op.create_index("ix_reading_sessions_id", "reading_sessions", ["id"])
    op.create_index("ix_reading_sessions_user_id", "reading_sessions", ["user_id"])
    op.create_index("ix_reading_sessions_book_id", "reading_sessions", ["book_id"])
    op.create_index("idx_reading_sessions_user_started", "reading_sessions", ["user_id", sa.text("started_at DESC")])
    op.create_index("idx_reading_sessions_book_started", "reading_sessions", ["book_id", "started_at"])
    op.create_index("idx_reading_sessions_active", "reading_sessions", ["user_id", "is_active"],
                    postgresql_where=sa.text("is_active"))


def downgrade():
    for table in ("reading_sessions", "reading_progress", "generated_images", "descriptions",
                  "chapters", "books", "subscriptions", "users"):
        op.drop_table(table)
    for enum in ("subscriptionstatus", "subscriptionplan", "descriptiontype"):
        op.execute("DROP TYPE %s" % enum)
