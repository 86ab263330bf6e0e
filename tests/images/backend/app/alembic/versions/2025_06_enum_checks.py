"""CHECK constraints for the string enums of books and generated images.

Revision ID: enum_checks_2025
Revises: descriptions_priority_2025
Create Date: 2025-06-02 16:45:00
"""
from alembic import op

revision = "enum_checks_2025"
down_revision = "descriptions_priority_2025"
branch_labels = None
depends_on = None

CHECKS = {
    ("books", "check_book_genre"):
        "genre IN ('fantasy', 'detective', 'science_fiction', 'historical', "
        "'romance', 'thriller', 'horror', 'classic', 'other')",
    ("books", "check_book_format"): "file_format IN ('epub', 'fb2')",
    ("generated_images", "check_image_service"):
        "service_used IN ('pollinations', 'openai_dalle', 'midjourney', 'stable_diffusion')",
    ("generated_images", "check_image_status"):
        "status IN ('pending', 'generating', 'completed', 'failed', 'moderated')",
}


def upgrade():
    for (table, name), condition in CHECKS.items():
        op.create_check_constraint(name, table, condition)


def downgrade():
    for (table, name) in CHECKS:
        op.drop_constraint(name, table, type_="check")
