"""Plain Splink, configured as its documentation's examples do: the baseline beside our engine.

    python bench/linking/splink_baseline.py dedupe INPUT.csv --out DIR [--threshold 0.95]
    python bench/linking/splink_baseline.py febrl A.csv B.csv --out DIR [--threshold 0.9]

``dedupe`` runs on the raw columns of the batch CSV, as a typical user would, after Splink's
deduplication tutorial: NameComparison with term frequencies on given and family names, Jaro-Winkler
on the father's name, DateOfBirthComparison on the birth date (string, ``%Y-%m-%d``; year-only and
year-month dates do not parse and count as missing), exact match on sex, place, nationality, document
and phone; blocking on given name + birth date, family name + birth date, given + family name; u by
random sampling, λ from deterministic rules, m by EM on given + family name and on birth date;
clusters at match probability ``--threshold``. Nothing in it knows a script.

``febrl`` is Splink's FEBRL4 example (link-only): NameComparison on given name and surname,
DateOfBirthComparison (``%Y%m%d``), Damerau-Levenshtein on soc_sec_id, exact street number and postcode
with term frequencies. Both write ``clusters.csv`` (``record_id,cluster_id``).
"""

from __future__ import annotations

import argparse
import csv
import logging
from pathlib import Path
from typing import Any

import duckdb
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on


def _write_clusters(rows: list[tuple[Any, ...]], all_ids: list[str], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    seen: dict[str, str] = {str(rid): str(cid) for rid, cid in rows}
    with (out / "clusters.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(("record_id", "cluster_id"))
        for rid in all_ids:
            writer.writerow((rid, seen.get(rid, rid)))


def dedupe(input_csv: Path, out: Path, threshold: float) -> None:
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE people AS SELECT * FROM read_csv(?, all_varchar = true, header = true)",
        [str(input_csv)],
    )
    db_api = DuckDBAPI(connection=con)
    people = db_api.register("people")
    settings = SettingsCreator(
        unique_id_column_name="record_id",
        link_type="dedupe_only",
        comparisons=[
            cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("family_name").configure(term_frequency_adjustments=True),
            cl.JaroWinklerAtThresholds("father_name", [0.9, 0.8]),
            cl.DateOfBirthComparison(
                "birth_date", input_is_string=True, datetime_format="%Y-%m-%d", invalid_dates_as_null=True
            ),
            cl.ExactMatch("sex"),
            cl.ExactMatch("birth_place").configure(term_frequency_adjustments=True),
            cl.ExactMatch("nationality"),
            cl.ExactMatch("document_number"),
            cl.ExactMatch("phone"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("given_name", "birth_date"),
            block_on("family_name", "birth_date"),
            block_on("given_name", "family_name"),
        ],
        retain_intermediate_calculation_columns=False,
    )
    linker = Linker(people, settings, log_level=logging.WARNING)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("given_name", "family_name", "birth_date"), block_on("document_number")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e7, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("given_name", "family_name"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("birth_date"))
    predictions = linker.inference.predict(threshold_match_probability=0.2)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, threshold)
    rows = con.execute(f"SELECT record_id, cluster_id FROM {clusters.physical_name}").fetchall()
    ids = [r[0] for r in con.execute("SELECT record_id FROM people").fetchall()]
    _write_clusters(rows, ids, out)


def febrl(a_csv: Path, b_csv: Path, out: Path, threshold: float) -> None:
    con = duckdb.connect()
    for name, path in (("febrl_a", a_csv), ("febrl_b", b_csv)):
        con.execute(
            f"CREATE TABLE {name} AS SELECT * FROM read_csv(?, all_varchar = true, header = true)",
            [str(path)],
        )
    db_api = DuckDBAPI(connection=con)
    tables = [db_api.register("febrl_a"), db_api.register("febrl_b")]
    settings = SettingsCreator(
        unique_id_column_name="rec_id",
        link_type="link_only",
        blocking_rules_to_generate_predictions=[
            block_on("given_name", "surname"),
            block_on("surname", "date_of_birth"),
            block_on("given_name", "date_of_birth"),
            block_on("soc_sec_id"),
            block_on("postcode", "street_number"),
        ],
        comparisons=[
            cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison(
                "date_of_birth", input_is_string=True, datetime_format="%Y%m%d", invalid_dates_as_null=True
            ),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [1, 2]),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.ExactMatch("postcode").configure(term_frequency_adjustments=True),
        ],
        retain_intermediate_calculation_columns=False,
    )
    linker = Linker(tables, settings, log_level=logging.WARNING)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("given_name", "surname", "date_of_birth"), block_on("soc_sec_id")], recall=0.8
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e7, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("date_of_birth"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("postcode"))
    predictions = linker.inference.predict(threshold_match_probability=0.2)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, threshold)
    rows = con.execute(f"SELECT rec_id, cluster_id FROM {clusters.physical_name}").fetchall()
    ids = [
        r[0]
        for r in con.execute("SELECT rec_id FROM febrl_a UNION ALL SELECT rec_id FROM febrl_b").fetchall()
    ]
    _write_clusters(rows, ids, out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_d = sub.add_parser("dedupe")
    p_d.add_argument("input", type=Path)
    p_d.add_argument("--out", type=Path, required=True)
    p_d.add_argument("--threshold", type=float, default=0.95)
    p_f = sub.add_parser("febrl")
    p_f.add_argument("a", type=Path)
    p_f.add_argument("b", type=Path)
    p_f.add_argument("--out", type=Path, required=True)
    p_f.add_argument("--threshold", type=float, default=0.9)
    args = parser.parse_args()
    if args.command == "dedupe":
        dedupe(args.input, args.out, args.threshold)
    else:
        febrl(args.a, args.b, args.out, args.threshold)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
