"""``safepassage link`` and ``safepassage trace``: the linking engine on CSV files (no database).

For partners' lists and for benchmarks: records in, proposed clusters and explained pairs out. The
commands never merge anything in the registry; they write files for people to review.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from safepassage.linking.engine import (
    InputFileError,
    LinkIndex,
    LinkSettings,
    TracingRequest,
    TrainingOptions,
    backend_named,
    link,
    read_records_csv,
    read_requests_csv,
)
from safepassage.linking.ranking import trace_ranked

console = Console()
err = Console(stderr=True)


def _fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[red]error:[/red] {message}")
    return typer.Exit(code)


def _write_csv(path: Path, header: list[str], rows: Any) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def _load_model(path: Path | None) -> dict[str, Any] | None:
    if path is None:
        return None
    try:
        model: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise _fail(f"{path}: not a readable model file ({exc})") from None
    if not isinstance(model, dict) or "comparisons" not in model:
        raise _fail(f"{path}: not a linking model (no comparisons)")
    return model


def link_command(
    input_csv: Annotated[Path, typer.Argument(metavar="INPUT.csv", help="Records to link (UTF-8 CSV).")],
    out: Annotated[Path, typer.Option("--out", help="Directory for clusters.csv, pairs.csv, model.json.")],
    backend: Annotated[
        str, typer.Option("--backend", help="Where the model runs: duckdb or spark.")
    ] = "duckdb",
    threshold: Annotated[
        float, typer.Option("--threshold", help="Match probability at or above which records cluster.")
    ] = 0.9,
    seed: Annotated[
        int, typer.Option("--seed", help="Seed of the u sampling (same seed, same output).")
    ] = 42,
    model: Annotated[
        Path | None, typer.Option("--model", help="A trained model.json to use instead of training.")
    ] = None,
) -> None:
    """Find the same person across lists and scripts: proposed clusters, explained pairs."""
    if not 0.0 < threshold <= 1.0:
        raise _fail(f"--threshold {threshold} is not a probability in (0, 1]")
    try:
        chosen = backend_named(backend)
    except ValueError as exc:
        raise _fail(str(exc)) from None
    try:
        read = read_records_csv(input_csv)
    except InputFileError as exc:
        raise _fail(str(exc)) from None
    settings = LinkSettings(
        threshold=threshold, training=TrainingOptions(seed=seed), model=_load_model(model)
    )
    with err.status(f"linking {len(read.records):,} records on {backend}"):
        result = link(read.records, settings, backend=chosen, rows=read.rows, known_problems=read.problems)
    out.mkdir(parents=True, exist_ok=True)
    listed: list[str] = []
    seen: set[str] = set()
    for record in read.records:
        rid = record.record_id.strip()
        if rid and rid not in seen and rid in result.clusters:
            seen.add(rid)
            listed.append(rid)
    _write_csv(
        out / "clusters.csv", ["record_id", "cluster_id"], ((rid, result.clusters[rid]) for rid in listed)
    )
    pairs = result.pairs
    _write_csv(out / "pairs.csv", pairs.column_names, (row.values() for row in pairs.to_pylist()))
    problems_path = out / "problems.csv"
    if result.problems:
        _write_csv(
            problems_path, ["row", "field", "reason"], ((p.row, p.field, p.reason) for p in result.problems)
        )
    elif problems_path.exists():
        problems_path.unlink()
    (out / "model.json").write_text(
        json.dumps(result.model, indent=1, sort_keys=True) + "\n", encoding="utf-8"
    )
    clusters = len(set(result.clusters.values()))
    table = Table("records", "clusters", "pairs ≥ floor", "malformed", "problems", "model")
    table.add_row(
        f"{len(listed):,}",
        f"{clusters:,}",
        f"{pairs.num_rows:,}",
        f"{len(result.malformed_ids):,}",
        f"{len(result.problems):,}",
        "trained here" if result.trained else ("given" if model else "prior (too few records to train)"),
    )
    console.print(table)
    for problem in result.problems[:10]:
        err.print(f"  row {problem.row}: {problem.field or 'row'}: {problem.reason}")
    if len(result.problems) > 10:
        err.print(f"  ... {len(result.problems) - 10} more in {problems_path}")
    console.print(f"written to {out}/")


def trace_command(
    registry_csv: Annotated[
        Path, typer.Argument(metavar="REGISTRY.csv", help="Registry in the link format.")
    ],
    requests_csv: Annotated[
        Path, typer.Argument(metavar="REQUESTS.csv", help="Tracing requests (UTF-8 CSV).")
    ],
    out: Annotated[Path, typer.Option("--out", help="Directory for candidates.csv.")],
    top: Annotated[int, typer.Option("--top", help="Candidates per request.")] = 10,
    model: Annotated[
        Path | None, typer.Option("--model", help="A trained model.json (default: the prior).")
    ] = None,
) -> None:
    """Family tracing: ranked candidates for requests written as a relative would."""
    if top < 1:
        raise _fail("--top must be at least 1")
    trained = _load_model(model)
    try:
        registry = read_records_csv(registry_csv)
        requests, problems = read_requests_csv(requests_csv)
    except InputFileError as exc:
        raise _fail(str(exc)) from None
    by_id = {r.record_id.strip(): r for r in registry.records}
    with err.status(f"tracing {len(requests):,} requests in {len(registry.records):,} records"):
        index = LinkIndex(registry.records, trained)
        found = trace_ranked(
            [index], requests, top=top, records_of=lambda ids: {i: by_id[i] for i in ids if i in by_id}
        )
    out.mkdir(parents=True, exist_ok=True)
    rows = (
        (request.request_id, rank, c.record_id, c.score, c.explanation)
        for request in requests
        for rank, c in enumerate(found.get(request.request_id, []), start=1)
    )
    _write_csv(out / "candidates.csv", ["request_id", "rank", "record_id", "score", "explanation"], rows)
    answered = sum(1 for r in requests if found.get(r.request_id))
    console.print(
        f"{len(requests):,} requests, {answered:,} with candidates; written to {out}/candidates.csv"
    )
    for problem in problems[:10]:
        err.print(f"  requests row {problem.row}: {problem.field or 'row'}: {problem.reason}")


def register(app: typer.Typer) -> None:
    """Add ``link`` and ``trace`` to the ``safepassage`` command."""
    app.command("link")(link_command)
    app.command("trace")(trace_command)


__all__ = ["TracingRequest", "register"]
