"""Cold `hikgraph publish` wall time on the shipped source and on a ~10,000-entry input.

The exports are built once for each input (not timed); then each run is a fresh
process (`python -m hikgraph publish --exports … --out …`) into a new folder, so
imports and writing every file are counted, as a user would see them. The large
input is the shipped months repeated (``scaled_source`` of bench_build.py) until it
has about 10,000 entries. Prints the median and the spread of N runs (default 5)
with the machine it ran on, and the size of each site.

    python benchmarks/bench_publish.py [--runs 5] [--entries 10000]
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_build import SOURCE, scaled_source


def build(source: Path, out: Path) -> int:
    """Build the exports of *source* into *out*; return the number of entries."""
    from hikgraph.build import build as run_build

    return run_build([source], out).entries


def time_publish(exports: Path, runs: int, work: Path) -> tuple[list[float], list[float], int, int]:
    """Return the wall and CPU seconds of *runs* cold publishes, and the files and
    bytes written. CPU time (user + system) is what a busy machine disturbs least."""
    walls, cpus = [], []
    files = size = 0
    for run in range(runs):
        out = work / f"site-{run}"
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "hikgraph", "publish", "--exports", str(exports),
             "--out", str(out), "--quiet"],
            check=True,
        )  # fmt: skip
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
        written = [p for p in out.rglob("*") if p.is_file()]
        files, size = len(written), sum(p.stat().st_size for p in written)
        shutil.rmtree(out)
    return walls, cpus, files, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--entries", type=int, default=10_000)
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        factor = math.ceil(args.entries / 184)  # the shipped source has 184 entries
        big = work / f"directory-x{factor}.txt"
        big.write_text(scaled_source(factor), encoding="utf-8")
        for label, source in (("shipped source", SOURCE), (f"{factor}x source", big)):
            exports = work / f"exports-{label.split()[0]}"
            entries = build(source, exports)
            walls, cpus, files, size = time_publish(exports, args.runs, work / label.split()[0])
            print(
                f"{label:<16} {entries:>6} entries: median {statistics.median(walls):.3f}s "
                f"over {args.runs} runs (min {min(walls):.3f}s, max {max(walls):.3f}s), "
                f"CPU median {statistics.median(cpus):.3f}s; {files} files, {size / 1e6:.1f} MB; "
                f"load average {os.getloadavg()[0]:.1f}"
            )


if __name__ == "__main__":
    main()
