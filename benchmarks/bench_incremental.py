"""Rebuild after one new month: what a large directory's next edition costs.

Synthesizes a directory of N entries, builds it from a cold classification cache,
then adds a month of new entries above the newest month (as the next edition would)
and builds again into the same folder. Prints, for both builds, the seconds per stage,
how many headlines were classified and how many came from the cache.

    python benchmarks/bench_incremental.py --entries 100000 --new 1000 --runs 3

A build decides what to reuse by content, never by time stamps: a headline's
classification is reused when the classifier's digest (its code, rules, model and
library versions) and the headline text match a cached answer. Everything else an
entry becomes (triples, its line number, the dumps, the store) is rewritten: a new
month above shifts every later line number, which is part of each entry's triples.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from hikgraph.slugs import slugify
from hikgraph.synth import synthesize_with_labels, write_synthetic

MONTH = re.compile(r"^[A-Z][a-z]+ \d{4}$")


def with_new_month(source: Path, target: Path, entries: int, seed: int) -> None:
    """Write *source* with a month of *entries* new entries above its newest month."""
    # Entries of another synthetic directory, one month's worth, each headline once: the
    # same headline from one outlet under two spellings would be a duplicate entry.
    seen: set[str] = set()
    new_lines = []
    for line in synthesize_with_labels(entries * 2, seed=seed):
        key = slugify(line.label.headline, max_length=10_000) if line.label else ""
        if line.kind == "entry" and key not in seen and len(new_lines) < entries:
            seen.add(key)
            new_lines.append(line.text + "\n")
    lines = source.read_text(encoding="utf-8").splitlines(keepends=True)
    first = next(i for i, line in enumerate(lines) if MONTH.match(line))
    target.write_text("".join([*lines[:first], "June 2022\n", *new_lines, *lines[first:]]))


def build(source: Path, out: Path, cache: Path, summary: Path) -> dict[str, object]:
    env = {**os.environ, "HIKGRAPH_CACHE_DIR": str(cache)}
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "hikgraph",
            "build",
            str(source),
            "--out",
            str(out),
            "--quiet",
            "--json-summary",
            str(summary),
        ],
        check=True,
        env=env,
        timeout=3600,
    )
    figures: dict[str, object] = json.loads(summary.read_text())
    figures["wall"] = time.perf_counter() - started
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--new", type=int, default=1000, help="entries in the new month")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(f"{platform.node()}: {os.cpu_count()} CPUs, Python {platform.python_version()}")
    cold: list[dict[str, object]] = []
    warm: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory(prefix="hikgraph-incremental-") as folder:
        work = Path(folder)
        source = work / "directory.txt"
        write_synthetic(source, args.entries, seed=1)
        newer = work / "next-edition.txt"
        with_new_month(source, newer, args.new, seed=2)
        for run in range(args.runs):
            cache, out = work / f"cache-{run}", work / f"out-{run}"
            cold.append(build(source, out, cache, work / "cold.json"))
            warm.append(build(newer, out, cache, work / "warm.json"))
    for label, results in (("first build (cold cache)", cold), ("+1 month (rebuild)", warm)):
        walls = [float(str(r["wall"])) for r in results]
        print(f"\n{label}: wall median {statistics.median(walls):.2f}s over {len(walls)} runs")
        print(f"  classified {results[0]['classified']}, from cache {results[0]['reused']}")
        stages = results[0]["timings"]
        assert isinstance(stages, dict)
        for stage in stages:
            values = [float(r["timings"][stage]) for r in results]  # type: ignore[index]
            print(f"  {stage:10s} {statistics.median(values):7.2f}s")


if __name__ == "__main__":
    main()
