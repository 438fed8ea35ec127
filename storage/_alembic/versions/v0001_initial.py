"""Initial side tables: studies, admission lock, metric cells, timings.

Revision ID: v0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "v0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sweep_studies",
        sa.Column("study_name", sa.String(512), primary_key=True),
        sa.Column("created_at", sa.DateTime, server_default=sa.func.now()),
        sa.Column("config_json", sa.Text, nullable=False),
        sa.Column("identity_json", sa.Text, nullable=False),
        sa.Column("model_fingerprint", sa.String(128), nullable=False),
        sa.Column("data_fingerprint", sa.String(128), nullable=False),
        sa.Column("code_version", sa.String(128), nullable=False),
        sa.Column("packages_json", sa.Text, nullable=False),
    )
    op.create_table("sweep_admission", sa.Column("study_name", sa.String(512), primary_key=True))
    op.create_table(
        "sweep_metric_cells",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("study_name", sa.String(512), nullable=False),
        sa.Column("trial_id", sa.Integer, nullable=True),
        sa.Column("trial_number", sa.Integer, nullable=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("split", sa.String(16), nullable=False),
        sa.Column("repeat", sa.Integer, nullable=False),
        sa.Column("setting", sa.String(16), nullable=False),
        sa.Column("query_lang", sa.String(32), nullable=True),
        sa.Column("cand_lang", sa.String(32), nullable=True),
        sa.Column("metric", sa.String(64), nullable=False),
        sa.Column("value", sa.Float, nullable=True),
    )
    op.create_index("ix_sweep_cells_study_trial", "sweep_metric_cells", ["study_name", "trial_id"])
    op.create_table(
        "sweep_timings",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("study_name", sa.String(512), nullable=False),
        sa.Column("trial_id", sa.Integer, nullable=False),
        sa.Column("trial_number", sa.Integer, nullable=False),
        sa.Column("phase", sa.String(32), nullable=False),
        sa.Column("seconds", sa.Float, nullable=False),
    )
    op.create_index("ix_sweep_timings_study_trial", "sweep_timings", ["study_name", "trial_id"])


def downgrade() -> None:
    op.drop_table("sweep_timings")
    op.drop_table("sweep_metric_cells")
    op.drop_table("sweep_admission")
    op.drop_table("sweep_studies")
