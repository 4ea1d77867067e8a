"""Cold `hikgraph build` wall time on the shipped source and on a 10× input.

Each run is a fresh process (`python -m hikgraph.cli build ...` into a temporary
folder), so imports are counted, as a user would see them. Prints the median and the
spread of N runs (default 5) with the machine it ran on.

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


def time_build(source: Path, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as out:
            start = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "hikgraph", "build", str(source), "--out", out, "--quiet"],
                check=True,
            )
            times.append(time.perf_counter() - start)
    return times


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
            times = time_build(source, args.runs)
            print(
                f"{label:<16} median {statistics.median(times):.3f}s over {args.runs} runs "
                f"(min {min(times):.3f}s, max {max(times):.3f}s)"
            )


if __name__ == "__main__":
    main()
