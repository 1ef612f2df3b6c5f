"""placement: capacities per period, runs in the background, consent eligibility, explanations

Written by hand.

- ``placement_capacities``: a region's capacities for one period (a month ``2026-11`` or a quarter
  ``2026-Q4``). The single set of capacities each region held moves into one period: the month in
  which this migration runs (UTC), and decided placements count against that month.
- ``placement_runs``: the period it plans for, its status (queued, running, done, failed), progress,
  stage, error message, times, worker and parameters; runs made before are ``done``.
- ``placement_proposals.detail``: the codes a page needs to explain a proposal in any language.
- ``placement_assignments.period``: the period whose capacity a placement uses.

New NOT NULL columns are added with a server default (SQLite adds no NOT NULL column without one);
the defaults stay, and the application always writes the value.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22 21:20:00

"""

import datetime as dt
import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import safepassage.db

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CAPACITIES = (
    "quota_persons",
    "housing_small",
    "housing_large",
    "school_places",
    "kindergarten_places",
    "dialysis",
    "oncology",
    "disability",
    "language_course",
)


def _json() -> sa.types.TypeEngine[object]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _month(now: dt.datetime) -> tuple[str, dt.date, dt.date]:
    start = now.date().replace(day=1)
    end = dt.date(start.year + (start.month == 12), start.month % 12 + 1, 1)
    return f"{start.year:04d}-{start.month:02d}", start, end


def upgrade() -> None:
    now = dt.datetime.now(dt.UTC)
    period, start, end = _month(now)
    capacities = op.create_table(
        "placement_capacities",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("region_id", sa.Uuid(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in CAPACITIES),
        sa.Column("updated_at", safepassage.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["placement_regions.id"],
            name=op.f("fk_placement_capacities_region_id_placement_regions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_placement_capacities")),
        sa.UniqueConstraint("region_id", "period", name=op.f("uq_placement_capacities_region_id")),
    )
    op.create_index(
        op.f("ix_placement_capacities_region_id"), "placement_capacities", ["region_id"], unique=False
    )
    bind = op.get_bind()
    columns = ", ".join(CAPACITIES)  # constant names, no input
    regions = bind.execute(sa.text(f"SELECT id, {columns} FROM placement_regions")).all()  # noqa: S608
    if regions:
        op.bulk_insert(
            capacities,
            [
                {
                    "id": uuid.uuid4(),
                    "region_id": uuid.UUID(str(row[0])) if not isinstance(row[0], uuid.UUID) else row[0],
                    "period": period,
                    "period_start": start,
                    "period_end": end,
                    **{name: int(value) for name, value in zip(CAPACITIES, row[1:], strict=True)},
                    "updated_at": now,
                    "updated_by": "migration 0009",
                }
                for row in regions
            ],
        )
    for name in CAPACITIES:  # plain columns: SQLite (3.35 and later) drops them in place
        op.drop_column("placement_regions", name)

    add = op.add_column
    add("placement_runs", sa.Column("period", sa.String(7), nullable=False, server_default=period))
    status = sa.Enum("queued", "running", "done", "failed", name="runstatus", native_enum=False, length=40)
    add("placement_runs", sa.Column("status", status, nullable=False, server_default="done"))
    add("placement_runs", sa.Column("progress", sa.Float(), nullable=False, server_default="1"))
    add("placement_runs", sa.Column("stage", sa.String(40), nullable=False, server_default="done"))
    add("placement_runs", sa.Column("error", sa.Text(), nullable=True))
    add("placement_runs", sa.Column("started_at", safepassage.db.UTCDateTime(timezone=True), nullable=True))
    add("placement_runs", sa.Column("finished_at", safepassage.db.UTCDateTime(timezone=True), nullable=True))
    add("placement_runs", sa.Column("worker", sa.String(120), nullable=True))
    add("placement_runs", sa.Column("params", _json(), nullable=False, server_default="{}"))
    add("placement_runs", sa.Column("not_eligible", sa.Integer(), nullable=False, server_default="0"))
    add("placement_proposals", sa.Column("detail", _json(), nullable=False, server_default="{}"))
    add("placement_assignments", sa.Column("period", sa.String(7), nullable=False, server_default=period))
    op.create_index(
        op.f("ix_placement_assignments_period"), "placement_assignments", ["period"], unique=False
    )


def downgrade() -> None:
    """Back to one set of capacities per region: each region keeps its latest period's."""
    op.drop_index(op.f("ix_placement_assignments_period"), table_name="placement_assignments")
    op.drop_column("placement_assignments", "period")
    op.drop_column("placement_proposals", "detail")
    for name in (
        "not_eligible",
        "params",
        "worker",
        "finished_at",
        "started_at",
        "error",
        "stage",
        "progress",
        "status",
        "period",
    ):
        op.drop_column("placement_runs", name)
    for name in CAPACITIES:
        op.add_column("placement_regions", sa.Column(name, sa.Integer(), nullable=False, server_default="0"))
    bind = op.get_bind()
    latest = bind.execute(
        sa.text(
            f"SELECT region_id, {', '.join(CAPACITIES)} FROM placement_capacities c "  # noqa: S608
            "WHERE period_start = (SELECT max(period_start) FROM placement_capacities d "
            "WHERE d.region_id = c.region_id)"
        )
    ).all()
    for row in latest:
        values = dict(zip(CAPACITIES, row[1:], strict=True))
        sets = ", ".join(f"{name} = :{name}" for name in CAPACITIES)
        update = sa.text(f"UPDATE placement_regions SET {sets} WHERE id = :id")  # noqa: S608
        bind.execute(update, {**values, "id": row[0]})
    op.drop_index(op.f("ix_placement_capacities_region_id"), table_name="placement_capacities")
    op.drop_table("placement_capacities")
