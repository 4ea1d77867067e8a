"""The network page: generation time and load-to-stable time in Chromium.

For the shipped source and for a synthetic input of about 10,000 entries (the
shipped months repeated with shifted years, outlet names varied so the network has
a few hundred outlets), it measures:

* ``hikgraph viz`` in a fresh process (imports counted) writing ``network.html``;
* ``network_exports`` in-process: all six network files ``hikgraph build`` writes;
* for the shipped source, the time ``hikgraph build`` spends on them: a cold build
  with and without them;
* the page in Debian's Chromium (Playwright, headless): time from navigation start
  to the load event and to the moment the layout has stabilised and physics stops.

Prints the median and the spread of N runs (default 5) with the machine it ran on.

    python benchmarks/bench_network.py [--runs 5] [--entries 10000]
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
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "data" / "sources" / "ipvm-hikvision-news-directory-2022-05-13.txt"
MONTH = re.compile(r"^([A-Z][a-z]+) (\d{4})$")
ENTRY = re.compile(r"^([^:]{1,40}): (.+)$")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Copies of the shipped months keep their outlets in one copy of four; the others
# name each outlet with a suffix, so the network grows to a few hundred outlets as a
# real directory of that size would, instead of the same 83 with larger weights.
SUFFIXES = ("", " B", " C", " D")


def synthetic_source(entries: int) -> str:
    """Return the shipped text with its month sections repeated until it has about
    *entries* entries, each copy moved back by 10 years (so month headings stay
    unique) and, in three copies of four, with suffixed outlet names."""
    lines = SOURCE.read_text(encoding="utf-8").splitlines()
    first = next(i for i, line in enumerate(lines) if MONTH.match(line))
    end = lines.index("IPVM Coverage")
    head, months, tail = lines[:first], lines[first:end], lines[end:]
    per_copy = sum(1 for line in months if ENTRY.match(line))
    copies = []
    for copy in range(max(1, round(entries / per_copy))):
        suffix = SUFFIXES[copy % len(SUFFIXES)]
        for line in months:
            match = MONTH.match(line)
            if match:
                line = f"{match[1]} {int(match[2]) - 10 * copy}"
            elif suffix and (entry := ENTRY.match(line)):
                line = f"{entry[1]}{suffix}: {entry[2]}"
            copies.append(line)
    return "\n".join([*head, *copies, *tail]) + "\n"


def hikgraph(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "hikgraph", *args], check=True)


def timed(runs: int, action: Callable[[], object]) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return times


def report(label: str, times: list[float]) -> None:
    print(
        f"  {label:<48} median {statistics.median(times):6.3f}s  "
        f"(min {min(times):.3f}s, max {max(times):.3f}s, {len(times)} runs)"
    )


_BUILD_WITHOUT_NETWORK = (
    "import sys, hikgraph.network as n; n.network_exports = lambda ntriples: {}; "
    "from hikgraph.cli import main; main(sys.argv[1:])"
)


def cold_build(source: Path, network: bool) -> None:
    with tempfile.TemporaryDirectory() as out:
        arguments = ["build", str(source), "--out", out, "--quiet"]
        if network:
            hikgraph(*arguments)
        else:
            subprocess.run([sys.executable, "-c", _BUILD_WITHOUT_NETWORK, *arguments], check=True)


def browser_times(page_path: Path, runs: int) -> tuple[list[float], list[float]]:
    from playwright.sync_api import sync_playwright

    loaded, stable = [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        for _ in range(runs):
            context = browser.new_context(viewport={"width": 1500, "height": 1000})
            page = context.new_page()
            page.goto(page_path.resolve().as_uri())
            page.wait_for_selector("body[data-state=stable]", state="attached", timeout=120_000)
            load, settled = page.evaluate(
                "() => [performance.getEntriesByType('navigation')[0].loadEventEnd,"
                " hikgraph.stableAt]"
            )
            loaded.append(load / 1000)
            stable.append(settled / 1000)
            context.close()
        browser.close()
    return loaded, stable


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--entries", type=int, default=10_000)
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, {platform.platform()}"
    )
    from hikgraph.network import network_exports

    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        big = work / "directory-synthetic.txt"
        big.write_text(synthetic_source(args.entries), encoding="utf-8")
        for label, source in (("shipped source", SOURCE), ("synthetic source", big)):
            out = work / label.replace(" ", "-")
            hikgraph("build", str(source), "--out", str(out), "--quiet")
            graph = out / "hikgraph.nt"
            ntriples = graph.read_bytes()
            page = out / "network.html"
            counts = subprocess.run(
                [sys.executable, "-m", "hikgraph", "stats", "--graph", str(graph), "--network"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.splitlines()[:2]
            print(f"{label}: {page.stat().st_size / 1e6:.2f} MB page; " + "; ".join(counts))
            report(
                "hikgraph viz (fresh process, page only)",
                timed(
                    args.runs,
                    lambda g=graph, o=out: hikgraph(
                        "viz", "--graph", str(g), "--out", str(o / "viz"), "-q"
                    ),
                ),
            )
            report(
                "network_exports (in-process, all six files)",
                timed(args.runs, lambda n=ntriples: network_exports(n)),
            )
            if source == SOURCE:
                # The cold-build comparison is for the shipped source only: the build
                # target is set for it, and a 10k build takes a minute (mostly SHACL).
                with_network = timed(args.runs, lambda s=source: cold_build(s, network=True))
                without = timed(args.runs, lambda s=source: cold_build(s, network=False))
                report("hikgraph build (cold), with the network files", with_network)
                report("hikgraph build (cold), without them", without)
                print(
                    f"  {'added to the build (difference of medians)':<48} "
                    f"{statistics.median(with_network) - statistics.median(without):6.3f}s"
                )
            loaded, stable = browser_times(page, args.runs)
            report("Chromium: navigation start → load event", loaded)
            report("Chromium: navigation start → stable layout", stable)


if __name__ == "__main__":
    main()
