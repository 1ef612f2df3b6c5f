"""The child process of the exact solver: ``python -m safepassage.movements.planner.worker``.

Reads one pickled ``(Spec, time_limit, gap)`` from standard input, solves the levels, and writes
each :class:`~.levels.LevelReport` to standard output as soon as it is known (pickled frames),
then ``"done"``. A separate interpreter, not a fork of the caller: the caller may be a web server
or the CLI (whose imports take seconds), and HiGHS threads do not survive a fork.
"""

from __future__ import annotations

import pickle
import sys

from safepassage.movements.planner.levels import LevelReport, solve_levels


def main() -> None:
    spec, time_limit, gap = pickle.load(sys.stdin.buffer)  # noqa: S301 - sent by our own parent
    out = sys.stdout.buffer

    def send(message: LevelReport | str) -> None:
        pickle.dump(message, out)
        out.flush()

    try:
        solve_levels(spec, time_limit=time_limit, gap=gap, threads=1, send=send)
        send("done")
    except Exception as exc:  # reported to the parent, which falls back
        send(f"error: {type(exc).__name__}: {exc}")


if __name__ == "__main__":
    main()
