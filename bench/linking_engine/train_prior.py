"""Train the linking engine's prior model on a synthetic population and write it into the package.

    .venv/bin/python bench/linking_engine/train_prior.py [--records 50000] [--seed 42]

The population comes from the cross-script benchmark generator (bench/linking/generator.py:
invented people in Arabic, Cyrillic and Latin script, with relatives and namesakes), never from real
people. Run it again whenever ``safepassage/linking/engine/model.py`` changes its comparisons.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.linking.generator import generate  # noqa: E402

from safepassage.linking.engine.backends import DuckDBBackend  # noqa: E402
from safepassage.linking.engine.features import features_of  # noqa: E402
from safepassage.linking.engine.link import feature_table  # noqa: E402
from safepassage.linking.engine.prior import PRIOR_MODEL_FILE  # noqa: E402
from safepassage.linking.engine.records import read_records_csv, validate_records  # noqa: E402
from safepassage.linking.engine.training import TrainingOptions, train_model  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        generate(Path(tmp), args.records, seed=args.seed + 1000, requests=0)
        read = read_records_csv(Path(tmp) / "records.csv")
    checked = validate_records(read.records)
    rows = sorted((features_of(c) for c in checked.valid), key=lambda r: str(r["unique_id"]))
    model = train_model(DuckDBBackend(), feature_table(rows), TrainingOptions(seed=args.seed))
    target = ROOT / "src" / "safepassage" / "linking" / "engine" / PRIOR_MODEL_FILE
    target.write_text(json.dumps(model, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{len(rows)} records; prior model written to {target}")


if __name__ == "__main__":
    main()
