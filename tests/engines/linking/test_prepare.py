"""Preparing records in worker processes gives exactly what one process gives."""

from __future__ import annotations

from safepassage.linking.engine.prepare import prepare
from safepassage.linking.engine.records import PersonRecord
from tests.engines.linking.golden import GOLDEN


def test_parallel_preparation_matches_the_serial_one():
    records = [
        *GOLDEN,
        PersonRecord("nat-lat", given_name="Repeated"),
        PersonRecord("", given_name="No id"),
        PersonRecord("bad", given_name="Ali", birth_date="1990-13"),
        PersonRecord("phone", given_name="Ali", phone="n/a"),
    ]
    serial = prepare(records, parallel_above=10**9)
    parallel = prepare(records, parallel_above=1, workers=2, chunk=5)
    assert parallel.table.equals(serial.table)
    assert parallel.problems == serial.problems
    assert [r.record_id for r in parallel.malformed] == [r.record_id for r in serial.malformed] == ["bad"]
    assert {p.field for p in serial.problems} == {"record_id", "birth_date", "phone"}
    expected = sorted({r.record_id for r in GOLDEN} | {"phone"})
    assert serial.table.column("unique_id").to_pylist() == expected
