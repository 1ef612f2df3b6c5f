"""``safepassage linking ...``: the linking workflow on the server's own database.

Batch runs over the registry, the review queue, decisions, bulk acceptance of a band, merge and
unmerge, the duplicate check's index and the tracing re-check (for a cron), each audited under
``cli:<user>``. Thin: the rules live in ``safepassage.linking``; the same ones hold through the API.
``safepassage link`` and ``trace`` (files in, files out) are the engine alone.
"""

from __future__ import annotations

import time
import uuid
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from safepassage.cli.common import container as _container
from safepassage.cli.common import operator as _operator
from safepassage.cli.common import refusal as _failed
from safepassage.cli.common import refused
from safepassage.linking import duplicates, merging, queries, services, tracing
from safepassage.linking.models import Band, PairStatus, Verdict

console = Console()
err = Console(stderr=True)
linking_app = typer.Typer(
    help="Linking: batch runs, the review queue, decisions, merges, tracing re-checks.", no_args_is_help=True
)


@linking_app.command("run")
def run(
    floor: Annotated[float, typer.Option("--floor", help="Pairs below this probability are not kept.")] = 0.5,
    near_certain: Annotated[
        float, typer.Option("--near-certain", help="Probability from which a pair is near-certain.")
    ] = 0.99,
) -> None:
    """Score every person of every site and queue the pairs in bands (nothing is merged)."""
    container = _container()
    with refused(_failed):
        run_id = services.run_batch(
            container.uow(), services.RunOptions(floor=floor, near_certain=near_certain), actor=_operator()
        )
    r = queries.get_run(container.uow(), run_id, actor=_operator())
    console.print(
        f"run {r.id}: {r.persons} persons, {r.pairs} pairs queued ({r.near_certain} near-certain, "
        f"{r.uncertain} uncertain), {r.kept_apart} already decided"
    )


@linking_app.command("queue")
def queue(
    band: Annotated[Band | None, typer.Option("--band", help="Only this band.")] = None,
    status: Annotated[PairStatus, typer.Option("--status", help="Pairs in this state.")] = PairStatus.OPEN,
    limit: Annotated[int, typer.Option("--limit", help="At most this many pairs.")] = 50,
) -> None:
    """The review queue: both records side by side with the reasons."""
    pairs = queries.list_pairs(_container().uow(), actor=_operator(), status=status, band=band, limit=limit)
    table = Table("pair", "band", "p", "first", "second", "reasons")
    for p in pairs:
        first = f"{p.a.given_name} {p.a.family_name} {p.a.birth_date} ({p.a.site_code})"
        second = f"{p.b.given_name} {p.b.family_name} {p.b.birth_date} ({p.b.site_code})"
        table.add_row(str(p.id), p.band.value, f"{p.probability:.3f}", first, second, p.explanation)
    console.print(table)


def _decide(pair_id: uuid.UUID, verdict: Verdict, reason: str) -> None:
    with refused(_failed):
        services.decide_pair(_container().uow(), pair_id, verdict, reason=reason, actor=_operator())
    console.print(f"pair {pair_id}: {verdict.value}")


@linking_app.command("accept")
def accept(
    pair_id: Annotated[uuid.UUID, typer.Argument(help="The pair's number.")],
    reason: Annotated[str, typer.Option("--reason", help="Why (optional).")] = "",
) -> None:
    """The same person (merge it with ``linking merge``)."""
    _decide(pair_id, Verdict.ACCEPTED, reason)


@linking_app.command("reject")
def reject(
    pair_id: Annotated[uuid.UUID, typer.Argument(help="The pair's number.")],
    reason: Annotated[str, typer.Option("--reason", help="Why these are two people (required).")] = "",
) -> None:
    """Two people: later runs keep them apart."""
    _decide(pair_id, Verdict.REJECTED, reason)


@linking_app.command("accept-band")
def accept_band(
    run_id: Annotated[uuid.UUID, typer.Argument(help="The run's number.")],
    reason: Annotated[str, typer.Option("--reason", help="Why (recorded on each pair).")] = "",
) -> None:
    """Accept every open near-certain pair of a run (they are not merged yet)."""
    with refused(_failed):
        accepted = services.accept_band(_container().uow(), run_id, reason=reason, actor=_operator())
    console.print(f"{len(accepted)} near-certain pairs accepted")


@linking_app.command("merge")
def merge(
    pair_id: Annotated[uuid.UUID, typer.Argument(help="An accepted pair's number.")],
    survivor: Annotated[
        uuid.UUID | None,
        typer.Option("--survivor", help="The record kept (default: the earlier registered)."),
    ] = None,
    reason: Annotated[str, typer.Option("--reason", help="Why (optional).")] = "",
) -> None:
    """Merge an accepted pair (reversible with ``linking unmerge``)."""
    with refused(_failed):
        merge_id = merging.merge_pair(
            _container().uow(), pair_id, survivor_id=survivor, reason=reason, actor=_operator()
        )
    console.print(f"merge {merge_id}")


@linking_app.command("unmerge")
def unmerge(
    merge_id: Annotated[uuid.UUID, typer.Argument(help="The merge's number.")],
    reason: Annotated[str, typer.Option("--reason", help="Why the merge was wrong (required).")] = "",
) -> None:
    """Undo a merge: both records as they were; the pair is kept apart from now on."""
    with refused(_failed):
        merging.unmerge(_container().uow(), merge_id, reason=reason, actor=_operator())
    console.print(f"merge {merge_id} undone")


@linking_app.command("refresh-index")
def refresh_index() -> None:
    """Rebuild the possible-duplicate check's index in this process (a measure of its cost)."""
    started = time.perf_counter()
    size = duplicates.CHECKER.refresh(_container().uow())
    console.print(f"index of {size} persons built in {time.perf_counter() - started:.1f} s")


@linking_app.command("trace-recheck")
def trace_recheck() -> None:
    """Search again for every open tracing request; notify caseworkers of new strong candidates."""
    added = tracing.recheck_open_requests(_container().uow(), actor=_operator())
    console.print(f"{added} new tracing candidates")


def register(app: typer.Typer) -> None:
    app.add_typer(linking_app, name="linking")
