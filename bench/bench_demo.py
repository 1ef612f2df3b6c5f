"""How fast the demo generator makes households (no database): households/s and persons/s.

    .venv/bin/python bench/bench_demo.py --households 100000 --repeats 3

The floor beside it: validating the same number of already-made households again
(``HouseholdCreate.model_validate`` of their JSON dumps), the part of the cost that every household
must pay whoever makes it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time
import uuid

from safepassage.demo.generator import generate_households, generate_sites
from safepassage.registry.schemas import HouseholdCreate


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    site_ids = {s.code: uuid.uuid5(uuid.NAMESPACE_DNS, s.code) for s in generate_sites()}
    today = dt.date(2026, 11, 22)
    runs, persons = [], 0
    for _ in range(args.repeats):
        started = time.perf_counter()
        persons = sum(
            len(h.members) for h in generate_households(args.households, args.seed, site_ids, today)
        )
        runs.append(time.perf_counter() - started)
    dumps = [h.model_dump(mode="json") for h in generate_households(1000, args.seed, site_ids, today)]
    floor = []
    for _ in range(args.repeats):
        started = time.perf_counter()
        for i in range(args.households):
            HouseholdCreate.model_validate(dumps[i % len(dumps)])
        floor.append(time.perf_counter() - started)
    median = statistics.median(runs)
    print(f"households           {args.households}")
    print(f"persons              {persons}")
    print(
        f"generator median     {median:.2f} s  ({args.households / median:,.0f} households/s, "
        f"{persons / median:,.0f} persons/s)"
    )
    print(f"floor (validation)   {statistics.median(floor):.2f} s")
    print(f"ratio generator/floor {median / statistics.median(floor):.1f}x")


if __name__ == "__main__":
    main()
