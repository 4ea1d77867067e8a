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

    python benchmarks/bench_classify.py [--runs 20]

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


def labelled_headlines() -> list[str]:
    """Return the headlines of the non-sealed label files, in file order."""
    labels = data_dir() / "labels"
    headlines = []
    for path in sorted(labels.glob("*.csv")):
        if path.name.startswith("sealed-"):  # scored once, at the end, by its owner
            continue
        with path.open(encoding="utf-8", newline="") as handle:
            headlines += [row["headline"] for row in csv.DictReader(handle)]
    return headlines


def time_runs(headlines: list[str], runs: int, before: Callable[[], None]) -> list[float]:
    """Return µs per headline of *runs* runs, calling *before* ahead of each run."""
    classifier = default_classifier()
    classify = classifier.classify
    figures = []
    for _ in range(runs):
        before()
        start = time.perf_counter()
        for headline in headlines:
            classify(headline)
        figures.append((time.perf_counter() - start) / len(headlines) * 1e6)
    return figures


def main() -> None:
    """Print the median µs per headline, first sight and repeated."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    headlines = labelled_headlines()
    classifier = default_classifier()
    clear = getattr(classifier, "clear_cache", lambda: None)  # older code had no cache
    for headline in headlines:  # warm up: imports, stemmer memo, regex caches
        classifier.classify(headline)
    print(
        f"{len(headlines)} headlines × {args.runs} runs; Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}"
    )
    for name, before in (("first sight", clear), ("repeated", lambda: None)):
        figures = time_runs(headlines, args.runs, before)
        print(
            f"  {name:<12} median {statistics.median(figures):7.1f} µs/headline "
            f"(min {min(figures):.1f}, max {max(figures):.1f})"
        )


if __name__ == "__main__":
    main()
