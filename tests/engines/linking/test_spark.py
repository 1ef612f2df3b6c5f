"""The same model on Spark (local mode): the only module that starts a JVM, once."""

from __future__ import annotations

import pytest

from safepassage.linking.engine import LinkSettings, SparkBackend, link
from tests.engines.linking.golden import APART, GOLDEN, SAME

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def spark():
    backend = SparkBackend(cores=1, shuffle_partitions=1)
    yield backend
    backend.session().stop()


def test_spark_links_the_golden_set_like_duckdb(spark):
    on_spark = link(GOLDEN, LinkSettings(), backend=spark)
    on_duckdb = link(GOLDEN, LinkSettings())
    assert spark.session().sparkContext.master.startswith("local")
    for group in SAME:
        assert len({on_spark.clusters[rid] for rid in group}) == 1
    for left, right in APART:
        assert on_spark.clusters[left] != on_spark.clusters[right]
    assert on_spark.clusters == on_duckdb.clusters
    spark_pairs = {(r["record_id_l"], r["record_id_r"]): r for r in on_spark.pairs.to_pylist()}
    duck_pairs = {(r["record_id_l"], r["record_id_r"]): r for r in on_duckdb.pairs.to_pylist()}
    assert spark_pairs.keys() == duck_pairs.keys()
    for key, row in spark_pairs.items():
        assert row["match_probability"] == pytest.approx(duck_pairs[key]["match_probability"], abs=1e-4)
        assert row["given_name_level"] == duck_pairs[key]["given_name_level"]
