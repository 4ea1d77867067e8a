"""Cold `hikgraph build` wall time on the shipped source and on a 10× input.

Each run is a fresh process (`python -m hikgraph build ...`), so imports are counted,
as a user would see them. Two cases per input: "from scratch" builds into an empty
folder each time; "rebuild" builds again into a folder that already holds the exports
of the same graph, as `hikgraph build` does in a checkout (the network files are then
reused, see build.py). Prints the median and spread of N runs (default 5).

    python benchmarks/bench_build.py [--runs 5] [--scale 10]
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "data" / "sources" / "ipvm-hikvision-news-directory-2022-05-13.txt"
MONTH = re.compile(r"^([A-Z][a-z]+) (\d{4})$")


def scaled_source(factor: int) -> str:
    """Return the shipped text with its month sections repeated *factor* times, each
    copy moved back by 10 years so every month heading stays unique."""
    lines = SOURCE.read_text(encoding="utf-8").splitlines()
    first = next(i for i, line in enumerate(lines) if MONTH.match(line))
    end = lines.index("IPVM Coverage")
    head, months, tail = lines[:first], lines[first:end], lines[end:]
    copies = []
    for copy in range(factor):
        for line in months:
            match = MONTH.match(line)
            if match:
                line = f"{match[1]} {int(match[2]) - 10 * copy}"
            copies.append(line)
    return "\n".join([*head, *copies, *tail]) + "\n"


def run_build(source: Path, out: str) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "hikgraph", "build", str(source), "--out", out, "--quiet"],
        check=True,
    )
    return time.perf_counter() - start


def time_build(source: Path, runs: int) -> tuple[list[float], list[float]]:
    """Return the wall times of *runs* builds from scratch and of *runs* rebuilds."""
    scratch = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as out:
            scratch.append(run_build(source, out))
    with tempfile.TemporaryDirectory() as out:
        run_build(source, out)
        rebuild = [run_build(source, out) for _ in range(runs)]
    return scratch, rebuild


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--scale", type=int, default=10)
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    with tempfile.TemporaryDirectory() as folder:
        big = Path(folder) / f"directory-x{args.scale}.txt"
        big.write_text(scaled_source(args.scale), encoding="utf-8")
        for label, source in (("shipped source", SOURCE), (f"{args.scale}x source", big)):
            cases = zip(("from scratch", "rebuild"), time_build(source, args.runs), strict=True)
            for case, times in cases:
                print(
                    f"{label:<16} {case:<13} median {statistics.median(times):.3f}s over "
                    f"{args.runs} runs (min {min(times):.3f}s, max {max(times):.3f}s)"
                )


if __name__ == "__main__":
    main()
