"""Where the scan service's time goes: cProfile of ``record_scans`` in-process against PostgreSQL.

Setup as ``bench_scans.py`` (a fresh database, ``--households`` synthetic households, one leg, a pass
per person, signed tokens with 5% duplicates and 1% altered), then ``--calls`` batches of ``--batch``
scans through the service (no HTTP, no token lookup), after 20 unprofiled ones. Prints CPU and wall
per call and the top of the profile by own time. Not a throughput figure: the HTTP benchmark is
``bench_scans.py``; this says what a change did to the service's own cost.

    flock /tmp/sp-bench.lock .venv/bin/python bench/profile_scans.py --batch 50 --calls 60
    flock /tmp/sp-bench.lock .venv/bin/python bench/profile_scans.py --batch 1 --calls 400
"""

from __future__ import annotations

import argparse
import cProfile
import logging
import pstats
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c

c.use_src_from_argv()

import bench_scans as b  # noqa: E402 (after the --src switch)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--database", default="sp_profile_scans", help="Database (recreated).")
    ap.add_argument("--households", type=int, default=60)
    ap.add_argument("--batch", type=int, default=50, help="Scans per call.")
    ap.add_argument("--calls", type=int, default=60, help="Profiled calls.")
    ap.add_argument("--top", type=int, default=25, help="Rows of the profile printed.")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--src", help="Import safepassage from this src directory (a worktree).")
    args = ap.parse_args()
    logging.disable(logging.INFO)

    from safepassage.bootstrap import bootstrap
    from safepassage.config import Settings
    from safepassage.movements import passes
    from safepassage.movements import scans as service
    from safepassage.movements.schemas import ScanBatch
    from safepassage.security.policy import Actor, Role

    c.recreate_database(args.database)
    key = Path(tempfile.mkdtemp(prefix="sp-profile-keys-")) / "boarding-pass.key"
    world = b.build_world(args.database, args.households, args.seed, key)
    n = args.calls + 20
    bodies = b.make_scans(world, n * args.batch, args.seed)
    batches = [
        ScanBatch.model_validate({"scans": bodies[i * args.batch : (i + 1) * args.batch]}) for i in range(n)
    ]
    container = bootstrap(Settings(database_url=c.sa_url(args.database), boarding_pass_key_file=key))
    public = passes.public_key(key)
    actor = Actor(username="bench_scanner", role=Role.REGISTRATION_CLERK, site_ids=frozenset({world.site}))
    try:
        for batch in batches[:20]:
            service.record_scans(container.uow(), batch, actor=actor, public_key=public)
        profile = cProfile.Profile()
        wall, cpu = time.perf_counter(), time.process_time()
        profile.enable()
        for batch in batches[20:]:
            service.record_scans(container.uow(), batch, actor=actor, public_key=public)
        profile.disable()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    finally:
        container.dispose()
    print(f"machine: {c.machine_line()}")
    print(
        f"{args.calls} calls of {args.batch} scans: CPU {cpu / args.calls * 1e3:.1f} ms per call, "
        f"wall {wall / args.calls * 1e3:.1f} ms per call (profiled)"
    )
    pstats.Stats(profile).sort_stats("tottime").print_stats(args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
