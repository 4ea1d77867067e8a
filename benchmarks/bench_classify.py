"""Time `Classifier.classify` per headline on the labelled headlines.

The headlines are every row of the label files `data/labels/` holds for training and
tuning (never a sealed-*.csv test set). One run classifies each of them once; the
figure is the run's time divided by the number of headlines, and the script prints
the median (and the range) of N runs (default 20). Two cases:

- "first sight": the classifier's cache of recent headlines is emptied before each
  run, so every headline is classified from scratch (what a build of new entries pays).
  What the classifier remembers per word (stems, gate pieces, language weights) stays,
  as it would in any build past its first few hundred entries;
- "repeated": the same headlines again, as wire stories repeat in a big directory.

    python benchmarks/bench_classify.py [--runs 20] [--files seed.csv unseen.csv]

Run it against another checkout with PYTHONPATH=<checkout>/src (that checkout's
rules and model are used, through its hikgraph.paths).
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import statistics
import time
from collections.abc import Callable

from hikgraph.classify import default_classifier
from hikgraph.paths import data_dir


def labelled_headlines(names: list[str] | None = None) -> list[str]:
    """Return the headlines of the non-sealed label files (or of the files *names*),
    in file order."""
    labels = data_dir() / "labels"
    headlines = []
    for path in sorted(labels.glob("*.csv")):
        if path.name.startswith("sealed-"):  # scored once, at the end, by its owner
            continue
        if names is not None and path.name not in names:
            continue
        with path.open(encoding="utf-8", newline="") as handle:
            headlines += [row["headline"] for row in csv.DictReader(handle)]
    return headlines


def time_runs(
    headlines: list[str], runs: int, before: Callable[[], None]
) -> tuple[list[float], list[float]]:
    """Return µs per headline of *runs* runs, wall clock and CPU time of this process
    (which other processes on a busy machine inflate less), calling *before* ahead of
    each run."""
    classifier = default_classifier()
    classify = classifier.classify
    wall, cpu = [], []
    for _ in range(runs):
        before()
        start, start_cpu = time.perf_counter(), time.process_time()
        for headline in headlines:
            classify(headline)
        cpu.append((time.process_time() - start_cpu) / len(headlines) * 1e6)
        wall.append((time.perf_counter() - start) / len(headlines) * 1e6)
    return wall, cpu


def main() -> None:
    """Print the median µs per headline, first sight and repeated."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument(
        "--files", nargs="+", help="only these label files, e.g. seed.csv unseen.csv"
    )
    args = parser.parse_args()
    headlines = labelled_headlines(args.files)
    loads = []
    for _ in range(args.runs):  # loading the rules, terms and model from their files
        start = time.perf_counter()
        default_classifier.cache_clear()
        default_classifier()
        loads.append(time.perf_counter() - start)
    print(f"  load         median {statistics.median(loads) * 1000:7.1f} ms")
    classifier = default_classifier()
    clear = getattr(classifier, "clear_cache", lambda: None)  # older code had no cache
    for headline in headlines:  # warm up: imports, stemmer memo, regex caches
        classifier.classify(headline)
    print(
        f"{len(headlines)} headlines × {args.runs} runs; Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}"
    )
    for name, before in (("first sight", clear), ("repeated", lambda: None)):
        wall, cpu = time_runs(headlines, args.runs, before)
        print(
            f"  {name:<12} median {statistics.median(wall):7.1f} µs/headline wall "
            f"(min {min(wall):.1f}, max {max(wall):.1f}), "
            f"{statistics.median(cpu):.1f} µs CPU"
        )


if __name__ == "__main__":
    main()
