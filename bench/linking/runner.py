"""Run a linker as a child process and measure it: wall time and the peak resident memory of the
child together with its own children (a Spark JVM, DuckDB threads live in the child), sampled every
100 ms with psutil. Sampling can miss a spike shorter than the interval; the figure is a floor of
the true peak, which is what a 6 GB target needs to be read against."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

BENCH_DIR = Path(__file__).resolve().parent.parent
ROOT = BENCH_DIR.parent
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"


@dataclass(frozen=True, slots=True)
class Run:
    command: list[str]
    returncode: int
    seconds: float
    peak_rss_bytes: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    @property
    def peak_gb(self) -> float:
        return self.peak_rss_bytes / 1e9


def _tree_rss(proc: psutil.Process) -> int:
    total = 0
    try:
        procs = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            continue
    return total


def _kill_tree(proc: psutil.Process) -> None:
    try:
        procs = [*proc.children(recursive=True), proc]
    except psutil.Error:
        return
    for p in procs:
        try:
            p.kill()
        except psutil.Error:
            continue


def run_measured(
    command: list[str],
    *,
    timeout: float | None = None,
    cwd: Path | None = None,
    max_rss_gb: float | None = None,
) -> Run:
    """Run ``command`` to its end (or ``timeout`` seconds), measuring time and peak tree RSS. On a
    shared machine a linker that outgrows ``max_rss_gb`` is stopped (with its children) before it
    pushes everyone else into swap; its run then reports the memory it had reached."""
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=cwd)
    peak = 0
    stopped = ""
    done = threading.Event()
    ps = psutil.Process(child.pid)

    def sample() -> None:
        nonlocal peak, stopped
        while not done.is_set():
            peak = max(peak, _tree_rss(ps))
            if max_rss_gb is not None and peak > max_rss_gb * 1e9 and not stopped:
                took = time.perf_counter() - started
                stopped = (
                    f"\n(stopped at {peak / 1e9:.1f} GB, over the {max_rss_gb} GB limit, after {took:.0f} s)"
                )
                _kill_tree(ps)
            done.wait(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        out, err = child.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        child.kill()
        out, err = child.communicate()
        err += f"\n(killed after {timeout} s)"
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    return Run(command, child.returncode, seconds, peak, out, err + stopped)


def python_script(name: str, *args: str) -> list[str]:
    """Command line running one of the benchmark's helper scripts with the project's Python."""
    python = str(VENV_PYTHON) if VENV_PYTHON.exists() else sys.executable
    return [python, str(BENCH_DIR / "linking" / name), *args]


def engine_available(executable: Path) -> bool:
    """Whether ``safepassage link`` and ``safepassage trace`` exist (the engine may not be built yet)."""
    if not executable.exists():
        return False
    for command in ("link", "trace"):
        probe = subprocess.run(
            [str(executable), command, "--help"], capture_output=True, text=True, check=False
        )
        if probe.returncode != 0:
            return False
    return True
