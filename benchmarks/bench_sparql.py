"""SPARQL speed: every named query on the embedded Oxigraph store and on rdflib's
engine, on the shipped source and on a ~10k-entry input, side by side; then /sparql
requests per second under a bounded loopback load client.

    python benchmarks/bench_sparql.py [--runs 20] [--rdflib-runs 5] [--scale 55]
                                      [--requests 2000] [--seconds 20] [--clients 4]

Query times are in-process ``store.query(text)`` (the safety check is cached after
the first call, so they are engine time); the cost of that first check (rdflib's
parser) is reported apart. The load client only talks to 127.0.0.1 and stops after
--requests requests or --seconds seconds, whichever comes first.
"""

from __future__ import annotations

import argparse
import http.client
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_build import SOURCE, scaled_source
from hikgraph import sparql
from hikgraph.build import build
from hikgraph.queries import named_queries
from hikgraph.store import OxigraphStore, RdflibStore

SERVE = [sys.executable, "-m", "hikgraph", "serve"]
SIMPLE = (
    "SELECT ?name WHERE { <https://w3id.org/hikgraph/id/country/GB> "
    "<http://schema.org/name> ?name }"
)


def p50(store: object, text: str, runs: int) -> float:
    """Median seconds of *runs* evaluations (after one warm-up)."""
    store.query(text)  # type: ignore[attr-defined]
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        store.query(text)  # type: ignore[attr-defined]
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def check_cost(text: str, runs: int = 5) -> float:
    """Median seconds of the uncached safety check (rdflib's SPARQL parser)."""
    uncached = sparql._check_query.__wrapped__  # type: ignore[attr-defined]
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        uncached(text)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_queries(
    label: str, exports: Path, runs: int, rdflib_runs: int, store_seconds: float
) -> None:
    oxigraph = OxigraphStore.open(exports)
    start = time.perf_counter()
    rdflib = RdflibStore.open(exports)
    parsed = time.perf_counter() - start
    print(
        f"\n{label}: {len(oxigraph)} triples; Oxigraph store loaded (by the build) in "
        f"{store_seconds:.2f}s, rdflib graph parsed in {parsed:.2f}s"
    )
    print(f"{'query':<40} {'oxigraph p50':>13} {'rdflib p50':>12} {'ratio':>7} {'check':>7}")
    ratios = []
    for named in named_queries():
        ox = p50(oxigraph, named.text, runs)
        rd = p50(rdflib, named.text, rdflib_runs)
        ratios.append(rd / ox)
        print(
            f"{named.name:<40} {ox * 1000:>10.1f} ms {rd * 1000:>9.1f} ms "
            f"{rd / ox:>6.1f}x {check_cost(named.text) * 1000:>4.1f} ms"
        )
    print(f"{'(median ratio)':<40} {'':>13} {'':>12} {statistics.median(ratios):>6.1f}x")


def start_server(exports: Path) -> tuple[subprocess.Popen[bytes], str, Path]:
    log = Path(tempfile.mkstemp(suffix=".log")[1])
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [*SERVE, "--exports", str(exports), "--port", "0", "--quiet", "--workers", "2"],
            stderr=stderr,
            stdout=subprocess.DEVNULL,
        )
    deadline = time.monotonic() + 120
    while "serving http://" not in log.read_text():
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"server did not start: {log.read_text()}")
        time.sleep(0.1)
    url = log.read_text().split("serving ", 1)[1].split()[0]
    return process, url, log


def bench_http(exports: Path, requests: int, seconds: float, clients: int) -> None:
    process, url, log = start_server(exports)
    parts = urllib.parse.urlsplit(url)
    assert parts.hostname == "127.0.0.1"  # loopback only
    path = "/sparql?" + urllib.parse.urlencode({"query": SIMPLE})
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    sent = 0
    stop_at = time.monotonic() + seconds

    def client() -> None:
        nonlocal sent, errors
        while True:
            with lock:
                if sent >= requests or time.monotonic() > stop_at:
                    return
                sent += 1
            start = time.perf_counter()
            connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
            try:
                connection.request(
                    "GET", path, headers={"Accept": "application/sparql-results+json"}
                )
                response = connection.getresponse()
                response.read()
                ok = response.status == 200
            except OSError:
                ok = False
            finally:
                connection.close()
            with lock:
                latencies.append(time.perf_counter() - start)
                errors += not ok

    try:
        for _ in range(20):  # warm the workers up
            connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
            connection.request("GET", path)
            connection.getresponse().read()
            connection.close()
        threads = [threading.Thread(target=client) for _ in range(clients)]
        start = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - start
    finally:
        process.terminate()
        process.wait(30)
        log.unlink()
    print(
        f"\n/sparql, {clients} loopback clients, simple SELECT, 2 worker processes: "
        f"{len(latencies)} requests in {elapsed:.1f}s = {len(latencies) / elapsed:.0f} req/s, "
        f"p50 latency {statistics.median(latencies) * 1000:.1f} ms, "
        f"p95 {sorted(latencies)[int(len(latencies) * 0.95)] * 1000:.1f} ms, errors {errors}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--rdflib-runs", type=int, default=5)
    parser.add_argument("--scale", type=int, default=55, help="copies of the source (55 ≈ 10k)")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; runs: {args.runs} (oxigraph), {args.rdflib_runs} (rdflib)"
    )
    with tempfile.TemporaryDirectory() as folder:
        os.environ.setdefault("HIKGRAPH_CACHE_DIR", str(Path(folder) / "cache"))
        seed = Path(folder) / "seed"
        seed_result = build([SOURCE], seed, validate=False)
        big_source = Path(folder) / f"directory-x{args.scale}.txt"
        big_source.write_text(scaled_source(args.scale), encoding="utf-8")
        big = Path(folder) / "big"
        result = build([big_source], big, validate=False)
        bench_queries(
            f"seed ({seed_result.entries} entries)",
            seed,
            args.runs,
            args.rdflib_runs,
            seed_result.timings["store"],
        )
        bench_queries(
            f"{result.entries} entries", big, args.runs, args.rdflib_runs, result.timings["store"]
        )
        bench_http(seed, args.requests, args.seconds, args.clients)


if __name__ == "__main__":
    main()
