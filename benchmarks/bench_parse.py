"""Time the "parse" stage of a build: `read_directory`, `load_registry` and `plan`.

On a synthetic directory (`hikgraph synth`, cached between runs as in `scale.py`) or
on a given text, each run reads the directory, loads the registry and plans the
entries in this process, timing each step with `time.perf_counter`; the script prints
the median (and the range) of --runs runs. The previous run's records are freed (and
collected) before the next run starts, so a run does not pay for the last one's.

    python benchmarks/bench_parse.py [--size 100k] [--runs 5] [--seed 7] [--input PATH]

Run it against another checkout with PYTHONPATH=<checkout>/src.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

from hikgraph.directory import read_directory
from hikgraph.enrich import plan
from hikgraph.registry import load_registry

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scale import label, parse_size, synthetic_source

STEPS = ("read_directory", "load_registry", "plan", "parse stage")


def one_run(path: Path) -> dict[str, float]:
    """Return the seconds each step of the parse stage took on *path*, in one run."""
    start = time.perf_counter()
    directory = read_directory(path)
    read = time.perf_counter()
    registry = load_registry()
    loaded = time.perf_counter()
    planned = plan([directory], registry)
    done = time.perf_counter()
    del planned, directory  # freed outside the timed span, as the build keeps them
    return {
        "read_directory": read - start,
        "load_registry": loaded - read,
        "plan": done - loaded,
        "parse stage": done - start,
    }


def main(argv: list[str] | None = None) -> None:
    """Print a table of the medians; raises SystemExit(2) for a bad --size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="100k", help="entries, e.g. 10k, 100k, 1m")
    parser.add_argument("--runs", type=int, default=5, help="runs (median reported)")
    parser.add_argument("--seed", type=int, default=7, help="seed of the synthetic input")
    parser.add_argument("--input", type=Path, help="a directory text to read instead")
    parser.add_argument(
        "--cache",
        type=Path,
        default=Path(tempfile.gettempdir()) / "hikgraph-bench",
        help="folder for synthetic inputs",
    )
    args = parser.parse_args(argv)
    if args.input is not None:
        path, what = args.input, str(args.input)
    else:
        try:
            size = parse_size(args.size)
        except ValueError as error:
            parser.error(str(error))
        path, what = synthetic_source(size, args.seed, args.cache), f"synth {label(size)}"
    runs = []
    for _ in range(args.runs):
        gc.collect()
        runs.append(one_run(path))
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"{what}: {args.runs} runs; Python {platform.python_version()}; load {load}")
    print(f"{'step':<16} {'median s':>9} {'min s':>8} {'max s':>8}")
    for step in STEPS:
        times = [run[step] for run in runs]
        print(f"{step:<16} {statistics.median(times):>9.3f} {min(times):>8.3f} {max(times):>8.3f}")


if __name__ == "__main__":
    main()
