"""How many pairs each blocking rule makes, to keep blocking within budget at a million records.

    .venv/bin/python bench/linking_engine/block_sizes.py RECORDS.csv

Counts, per rule, the pairs it generates (sum of n(n-1)/2 over its key groups) and the largest
group, from the engine's own feature columns.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from safepassage.linking.engine.features import features_of  # noqa: E402
from safepassage.linking.engine.model import blocking_rules  # noqa: E402
from safepassage.linking.engine.records import read_records_csv, validate_records  # noqa: E402


def main() -> None:
    read = read_records_csv(Path(sys.argv[1]))
    rows = [features_of(c) for c in validate_records(read.records).valid]
    total = 0
    for rule in blocking_rules():
        if isinstance(rule, str):  # one-sided: l.a = r.b
            left, right = re.findall(r"[lr]\.(\w+)", rule)
            sides = Counter(row[right] for row in rows if row[right] is not None)
            groups = Counter(row[left] for row in rows if row[left] is not None)
            pairs = sum(n * sides[key] for key, n in groups.items())
            keys = [left, right]
        else:
            sql = rule.get_blocking_rule("duckdb").blocking_rule_sql
            keys = re.findall(r'l\."?(\w+)"?\s*=', sql)
            groups = Counter(
                tuple(row[k] for k in keys) for row in rows if all(row[k] is not None for k in keys)
            )
            pairs = sum(n * (n - 1) // 2 for n in groups.values())
        total += pairs
        print(
            f"{'+'.join(keys):40s} pairs {pairs:>12,d}  largest group {max(groups.values(), default=0):>7,d}"
        )
    print(f"{'all rules (with overlaps)':40s} pairs {total:>12,d}  records {len(rows):,d}")


if __name__ == "__main__":
    main()
