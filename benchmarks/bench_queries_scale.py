"""Every named query (``queries/*.rq``) on the embedded Oxigraph store at 100k and 1M
entries: p50, min and max seconds per query.

    python benchmarks/bench_queries_scale.py [--sizes 100k,1m] [--runs N] [--timeout 120]
        [--work /tmp/hikgraph-bench-queries] [--exports 1m=/tmp/e1m] [--store 100k=/path]
        [--query topics --query ...] [--queries-dir DIR] [--baseline DIR] [--json out.json]

For each size a synthetic directory (``hikgraph synth --seed``) is built once with
``hikgraph build`` into --work and reused by later runs (a build of 1M entries takes
10+ minutes and a few GB). ``--exports SIZE=DIR`` reuses a built export folder (its
query store is found, or loaded, in ``$HIKGRAPH_CACHE_DIR``); ``--store SIZE=DIR``
names an Oxigraph store folder directly.

Each query runs in its own spawned worker process that opens the store read-only,
answers once to warm up (not counted; the safety check's parse is cached then), then
--runs times through ``OxigraphStore.query`` (rows materialised, as ``hikgraph query``
does), measuring wall time and the worker's CPU time: on a shared machine the CPU
time shows what the query costs when other processes take turns on the cores. A run
that passes --timeout seconds has its worker killed and is reported as a
timeout instead of being waited for. Runs default to 5 at sizes below 1M and 3 from 1M.
``--baseline DIR`` (e.g. the queries of an older commit, ``git archive``) times that
folder's version of every changed query right before the current one.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from importlib.metadata import version
from multiprocessing.connection import Connection
from pathlib import Path

from scale import label, parse_size  # one spelling of sizes for both benchmarks

_CONTEXT = multiprocessing.get_context("spawn")


@dataclass
class Timing:
    """The runs of one query at one size, or why there are none."""

    query: str
    rows: int | None = None
    seconds: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    failure: str | None = None

    @property
    def p50(self) -> float | None:
        return statistics.median(self.seconds) if self.seconds else None

    @property
    def cpu_p50(self) -> float | None:
        return statistics.median(self.cpu) if self.cpu else None


def _sized_paths(values: list[str]) -> dict[int, Path]:
    paths = {}
    for value in values:
        size, sep, path = value.partition("=")
        if not sep:
            raise SystemExit(f"expected SIZE=PATH, got {value!r}")
        paths[parse_size(size)] = Path(path)
    return paths


def _run(command: list[str], env: dict[str, str], timeout: float) -> None:
    print(f"  $ {' '.join(command)}", flush=True)
    subprocess.run(command, env=env, check=True, timeout=timeout)


def build_store(size: int, seed: int, work: Path, timeout: float) -> Path:
    """Return the Oxigraph store of a synthetic directory of *size* entries, writing
    the text and building it under *work* unless an earlier run did. Raises
    subprocess.CalledProcessError or TimeoutExpired when synth or build fails."""

    source = work / f"synth-{label(size)}-seed{seed}.txt"
    exports = work / f"exports-{label(size)}-seed{seed}"
    env = {**os.environ, "HIKGRAPH_CACHE_DIR": str(work / "cache")}
    hikgraph = [sys.executable, "-m", "hikgraph"]
    if not source.is_file():
        _run(
            [*hikgraph, "synth", "--entries", str(size), "--seed", str(seed), "-q", str(source)],
            env,
            timeout,
        )
    if not (exports / "hikgraph.nt").is_file():
        _run([*hikgraph, "build", str(source), "--out", str(exports), "-q"], env, timeout)
    return store_of(exports, work / "cache")


def store_of(exports: Path, cache: Path | None = None) -> Path:
    """Return the query store of the export folder *exports* (loading it into the
    cache first if needed; *cache* overrides ``$HIKGRAPH_CACHE_DIR``). Raises
    :class:`hikgraph.store.StoreError`."""
    from hikgraph.store import ensure_store

    if cache is not None:
        os.environ["HIKGRAPH_CACHE_DIR"] = str(cache)
    return ensure_store(exports)


def triples_in(store: Path) -> int | None:
    """Return the triple count recorded beside *store* by ``ensure_store`` (None if
    there is no record: counting 9M triples would cost more than a query)."""
    try:
        marker = json.loads((store.parent / "hikgraph-store.json").read_text())
    except (OSError, ValueError):
        return None
    return int(marker["triples"]) if "triples" in marker else None


def _worker(store_path: str, text: str, runs: int, conn: Connection) -> None:
    """Open the store, answer *text* once to warm up and then *runs* times, sending
    ("run", (wall seconds, CPU seconds), rows) after each, or ("error", message)."""
    from pyoxigraph import Store

    from hikgraph.sparql import QueryError, SelectResult
    from hikgraph.store import OxigraphStore

    try:
        store = OxigraphStore(Store.read_only(store_path))
        for run in range(runs + 1):
            start, cpu = time.perf_counter(), time.process_time()
            result = store.query(text)
            seconds = (time.perf_counter() - start, time.process_time() - cpu)
            rows = len(result.rows) if isinstance(result, SelectResult) else -1
            conn.send(("warm" if run == 0 else "run", seconds, rows))
    except (QueryError, OSError) as error:
        conn.send(("error", str(error), None))


def time_query(store: Path, name: str, text: str, runs: int, timeout: float) -> Timing:
    """Return the timings of *runs* answers of *text* on *store*, each answer limited
    to *timeout* seconds (the worker is killed at the first one past it)."""
    timing = Timing(name)
    parent, child = _CONTEXT.Pipe(duplex=False)
    process = _CONTEXT.Process(target=_worker, args=(str(store), text, runs, child), daemon=True)
    process.start()
    child.close()
    try:
        for _ in range(runs + 1):
            if not parent.poll(timeout):
                timing.failure = f"timeout > {timeout:g} s"
                break
            try:
                kind, seconds, rows = parent.recv()
            except EOFError:
                timing.failure = f"worker died (exit {process.exitcode})"
                break
            if kind == "error":
                timing.failure = str(seconds)
                break
            timing.rows = rows
            if kind == "run":
                timing.seconds.append(seconds[0])
                timing.cpu.append(seconds[1])
    finally:
        process.kill()
        process.join(10)
        parent.close()
    return timing


def _fmt(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds:.3f}"


def _line(name: str, timing: Timing) -> str:
    rows = "—" if timing.rows is None else str(timing.rows)
    if timing.seconds:
        spread = f"{_fmt(timing.p50):>8} {_fmt(min(timing.seconds)):>8} "
        spread += f"{_fmt(max(timing.seconds)):>8} {_fmt(timing.cpu_p50):>8}"
    else:
        spread = f"{'—':>8} {'—':>8} {'—':>8} {'—':>8}"
    note = f"  {timing.failure}" if timing.failure else ""
    return f"{name:<48} {rows:>7} {spread}{note}"


def bench_size(
    store: Path,
    runs: int,
    timeout: float,
    only: list[str],
    folder: Path | None = None,
    baseline: Path | None = None,
) -> list[Timing]:
    """Return the timings of every named query of *folder* (default ``queries/``), or
    of those in *only*, on *store*. With a *baseline* folder, a query whose text there
    differs is timed in that version too (right before), named ``NAME (baseline)``."""
    from hikgraph.queries import NamedQueryError, named_queries, named_query

    timings = []
    print(
        f"{'query':<48} {'rows':>7} {'p50 s':>8} {'min s':>8} {'max s':>8} {'cpu p50':>8}",
        flush=True,
    )
    for query in named_queries(folder):
        if only and query.name not in only:
            continue
        if baseline is not None:
            try:
                old = named_query(query.name, baseline)
            except NamedQueryError:
                old = None
            if old is not None and old.text != query.text:
                before = time_query(store, f"{query.name} (baseline)", old.text, runs, timeout)
                timings.append(before)
                print(_line(before.query, before), flush=True)
        timing = time_query(store, query.name, query.text, runs, timeout)
        timings.append(timing)
        print(_line(query.name, timing), flush=True)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100k,1m", help="entry counts, e.g. 100k,1m")
    parser.add_argument("--runs", type=int, help="timed runs per query (default 5, 3 from 1M)")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per answer")
    parser.add_argument("--seed", type=int, default=1, help="seed of hikgraph synth")
    parser.add_argument("--work", type=Path, default=Path("/tmp/hikgraph-bench-queries"))
    parser.add_argument("--build-timeout", type=float, default=3 * 3600.0)
    parser.add_argument("--exports", action="append", default=[], metavar="SIZE=DIR")
    parser.add_argument("--store", action="append", default=[], metavar="SIZE=DIR")
    parser.add_argument("--query", action="append", default=[], help="only this query")
    parser.add_argument("--queries-dir", type=Path, help="named queries to time [queries/]")
    parser.add_argument(
        "--baseline", type=Path, help="also time this folder's version of each changed query"
    )
    parser.add_argument("--json", type=Path, help="also write the timings here")
    args = parser.parse_args()
    sizes = [parse_size(s) for s in args.sizes.split(",") if s.strip()]
    exports, stores = _sized_paths(args.exports), _sized_paths(args.store)

    load = os.getloadavg()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, pyoxigraph {version('pyoxigraph')}; "
        f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}; timeout {args.timeout:g} s",
        flush=True,
    )
    report: dict[str, object] = {"machine": platform.machine(), "cores": os.cpu_count()}
    for size in sizes:
        runs = args.runs or (3 if size >= 1_000_000 else 5)
        if size in stores:
            store = stores[size]
        elif size in exports:
            store = store_of(exports[size])
        else:
            args.work.mkdir(parents=True, exist_ok=True)
            store = build_store(size, args.seed, args.work, args.build_timeout)
        triples = triples_in(store)
        print(
            f"\n{label(size)} entries ({triples or '?'} triples), store {store}; "
            f"{runs} runs after 1 warm-up",
            flush=True,
        )
        timings = bench_size(store, runs, args.timeout, args.query, args.queries_dir, args.baseline)
        report[label(size)] = {
            "store": str(store),
            "triples": triples,
            "runs": runs,
            "queries": [{**asdict(t), "p50": t.p50, "cpu_p50": t.cpu_p50} for t in timings],
        }
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
