"""`hikgraph push` throughput into a real Virtuoso on 127.0.0.1 (Debian's
virtuoso-opensource, started by tests/virtuoso.py in a temporary folder).

Builds the shipped source and a ~10k-entry input (the month sections repeated
--scale times), then pushes each graph N times with `hikgraph.push.push` (a replace:
the first chunk is a PUT), and prints the median upload time and triples per second.
The upload time runs from the greeting request to the last chunk's answer; the final
COUNT check is timed apart.

    python benchmarks/bench_push.py [--runs 5] [--scale 55] [--chunk-size 50000]
"""

from __future__ import annotations

import argparse
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT / "tests"))

from bench_build import SOURCE, scaled_source  # noqa: E402
from hikgraph.build import build  # noqa: E402
from hikgraph.httpauth import Credentials  # noqa: E402
from hikgraph.push import count_triples, push  # noqa: E402
from virtuoso import PASSWORD, USER, running  # noqa: E402


def bench(label: str, graph: Path, endpoint: str, query: str, runs: int, chunk: int) -> None:
    uploads, rates, counts = [], [], []
    for _ in range(runs):
        result = push(graph, endpoint, credentials=Credentials(USER, PASSWORD), chunk_lines=chunk)
        uploads.append(result.seconds)
        rates.append(result.triples_per_second)
        start = time.perf_counter()
        count_triples(query, result.graph)
        counts.append(time.perf_counter() - start)
    print(
        f"{label}: {result.triples:,} triples in {result.chunks} chunk(s); upload median "
        f"{statistics.median(uploads):.2f} s (min {min(uploads):.2f}, max {max(uploads):.2f}),"
        f" {statistics.median(rates):,.0f} triples/s; COUNT check median "
        f"{statistics.median(counts) * 1000:.0f} ms ({runs} runs)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--scale", type=int, default=55, help="copies of the source")
    parser.add_argument("--chunk-size", type=int, default=50_000)
    args = parser.parse_args()
    virtuoso_t = shutil.which("virtuoso-t")
    if virtuoso_t is None:
        sys.exit("virtuoso-t is not installed (apt-get install virtuoso-opensource-7-bin)")
    print(f"{platform.machine()}, {platform.python_version()}, chunk {args.chunk_size:,} lines")
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        build([SOURCE], work / "seed")
        big_source = work / f"directory-x{args.scale}.txt"
        big_source.write_text(scaled_source(args.scale), encoding="utf-8")
        build([big_source], work / "big")
        with running(virtuoso_t, work / "virtuoso") as server:
            for label, exports in (("seed", work / "seed"), (f"x{args.scale}", work / "big")):
                nt = exports / "hikgraph.nt"
                bench(label, nt, server.graph_store, server.sparql, args.runs, args.chunk_size)


if __name__ == "__main__":
    main()
