"""`hikgraph build` at scale: wall time, triples per second and peak memory per stage.

For each size, a synthetic directory (`hikgraph synth`, cached between runs) is built
from scratch in a fresh process per run, with an empty output folder and a cache
folder that holds only the ready copies of the classifier and the language identifier
(made once from the installed hikgraph and py3langid, as Python keeps its compiled
modules), so no classification or store is reused. The build's own stage timings are
read from its `--json-summary` file when the build has that option; otherwise from a
`python -c` that calls `hikgraph.build.build()` and prints them. Peak RSS per stage
comes from the build (`BuildResult.peak_rss`) where it reports it; the process's peak
RSS is read by the parent with wait4(). Beside it, a plain-rdflib baseline builds ~9
triples per article from the same parsed entries and serialises Turtle, N-Triples and
JSON-LD. Medians of --runs runs; each run is bounded by a timeout.

    python benchmarks/scale.py --sizes 1k,10k,100k [--runs 3] [--out docs/benchmarks.md]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "docs" / "benchmarks.md"
DEFAULT_OUT_NO_STORE = ROOT / "docs" / "benchmarks-no-store.md"
MIB = 1024 * 1024

# Run in a fresh interpreter when the build has no --json-summary option: the
# timings and per-stage memory of the BuildResult, and the process's own peak RSS
# read after the call (getattr, so it works before and after peak_rss exists).
_LIBRARY_RUN = """
import json, resource, sys
from pathlib import Path
from hikgraph.build import build
result = build([Path(sys.argv[1])], Path(sys.argv[2]))
json.dump({
    "entries": result.entries,
    "triples": result.triples,
    "timings": result.timings,
    "peak_rss": getattr(result, "peak_rss", {}) or {},
    "self_peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
}, open(sys.argv[3], "w"))
"""

_BASELINE_RUN = """
import sys
sys.path.insert(0, sys.argv[1])
import scale
scale.baseline_worker(sys.argv[2], sys.argv[3], sys.argv[4])
"""


@dataclass
class Run:
    """One measured build (or baseline) process."""

    wall: float  # seconds, measured by the parent: imports, build and exit
    peak_rss: int  # bytes, the largest process of the tree (wait4)
    entries: int
    triples: int
    timings: dict[str, float]
    stage_rss: dict[str, int] = field(default_factory=dict)
    # bytes, the most all its processes held together (their PSS summed, sampled every
    # 0.5 s): forked workers share pages with the build, which RSS would count twice
    peak_pss: int = 0


@dataclass
class Measured:
    """The runs of one size, or why there are none."""

    size: int
    runs: list[Run] = field(default_factory=list)
    failure: str | None = None


def parse_size(text: str) -> int:
    """Return the entry count *text* names: ``200``, ``10k`` or ``1m`` (ValueError if
    it names none)."""
    match = re.fullmatch(r"\s*(\d+)\s*([km]?)\s*", text.lower())
    if not match or int(match[1]) < 1:
        raise ValueError(f"not a size: {text!r} (use e.g. 200, 10k, 1m)")
    return int(match[1]) * {"": 1, "k": 1000, "m": 1_000_000}[match[2]]


def label(size: int) -> str:
    """Return *size* as the command line spells it (1k, 100k, 1m)."""
    if size % 1_000_000 == 0:
        return f"{size // 1_000_000}m"
    if size % 1000 == 0:
        return f"{size // 1000}k"
    return str(size)


def synthetic_source(size: int, seed: int, cache: Path) -> Path:
    """Return the synthetic directory of *size* entries in *cache*, writing it once.

    The file name carries a digest of the generator and its data files, so a changed
    generator writes a new file instead of reusing a stale one.
    """
    import hashlib

    from hikgraph import synth
    from hikgraph.paths import data_dir

    digest = hashlib.sha256()
    for path in (
        Path(synth.__file__),
        data_dir() / "outlets.csv",
        data_dir() / "countries.csv",
        data_dir() / "country-terms.csv",
    ):
        digest.update(path.read_bytes())
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / f"synth-{label(size)}-seed{seed}-{digest.hexdigest()[:12]}.txt"
    if not path.exists():
        synth.write_synthetic(path, size, seed)
    return path


def _session_pss(session: int) -> int:
    """Return the summed PSS (bytes) of the processes of *session* (Linux; 0 elsewhere)."""
    total = 0
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            stat = (entry / "stat").read_text()
            if int(stat.rsplit(")", 1)[1].split()[3]) != session:
                continue
            for line in (entry / "smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1]) * 1024
        except (OSError, ValueError, IndexError):
            continue  # ended meanwhile, or not readable
    return total


def _run_process(command: list[str], env: dict[str, str], timeout: float) -> tuple[float, int, int]:
    """Run *command*; return its wall seconds, the peak RSS in bytes of its largest
    process and the peak of its processes' summed PSS (sampled every 0.5 s).

    Raises TimeoutError (after killing its process group) when it runs past *timeout*,
    RuntimeError with the end of its stderr when it fails.
    """
    with tempfile.TemporaryFile() as stderr:
        start = time.perf_counter()
        process = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=stderr, start_new_session=True
        )
        deadline = start + timeout
        pss = 0
        for tick in itertools.count():
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if tick % 10 == 0:
                pss = max(pss, _session_pss(process.pid))
            if time.perf_counter() > deadline:
                os.killpg(process.pid, signal.SIGKILL)
                os.wait4(process.pid, 0)
                process.returncode = -9
                raise TimeoutError(f"timed out after {timeout:.0f} s")
            time.sleep(0.05)
        wall = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            stderr.seek(0)
            tail = stderr.read().decode("utf-8", "replace").strip().splitlines()[-3:]
            raise RuntimeError(f"exit {process.returncode}: {' | '.join(tail)}")
    return wall, usage.ru_maxrss * 1024, pss


def _has_json_summary() -> bool:
    from click.testing import CliRunner

    from hikgraph.cli import main

    return "--json-summary" in CliRunner().invoke(main, ["build", "--help"]).output


#: The cache folder's subfolders of ready copies (hikgraph.ready_copy).
READY_COPIES = ("classifier", "language-identifier")


def ready_copies(cache: Path, timeout: float) -> list[Path]:
    """Return the folders of the classifier's and the language identifier's ready
    copies, made in *cache* if they are not there (those this hikgraph keeps)."""
    env = {**os.environ, "HIKGRAPH_CACHE_DIR": str(cache)}
    program = (
        "from hikgraph.classify import default_classifier, load_language_identifier\n"
        "default_classifier(); load_language_identifier()"
    )
    subprocess.run([sys.executable, "-c", program], env=env, check=True, timeout=timeout)
    return [cache / name for name in READY_COPIES if (cache / name).is_dir()]


def build_once(
    source: Path,
    timeout: float,
    use_cli: bool,
    store: bool = True,
    copies: tuple[Path, ...] = (),
) -> Run:
    """Build *source* from scratch in a fresh process (without loading the query store
    when *store* is False, which needs *use_cli*); return what was measured. The cache
    folder starts empty but for copies of the folders of ready *copies*."""
    with tempfile.TemporaryDirectory(prefix="hikgraph-scale-") as folder:
        work = Path(folder)
        summary = work / "summary.json"
        # No classification or query store is reused: a new cache folder.
        env = {**os.environ, "HIKGRAPH_CACHE_DIR": str(work / "cache")}
        for ready in copies:
            shutil.copytree(ready, work / "cache" / ready.name)
        if use_cli:
            command = [sys.executable, "-m", "hikgraph", "build", str(source)]
            command += ["--out", str(work / "out"), "--quiet", "--json-summary", str(summary)]
            command += [] if store else ["--no-store"]
        else:
            assert store, "--no-store needs the cli mode"
            command = [sys.executable, "-c", _LIBRARY_RUN, str(source), str(work / "out")]
            command.append(str(summary))
        wall, peak, pss = _run_process(command, env, timeout)
        document = json.loads(summary.read_text(encoding="utf-8"))
    return Run(
        wall=wall,
        peak_pss=pss,
        peak_rss=max(peak, int(document.get("self_peak_rss", 0))),
        entries=int(document["entries"]),
        triples=int(document["triples"]),
        timings={k: float(v) for k, v in document["timings"].items()},
        stage_rss={k: int(v) for k, v in (document.get("peak_rss") or {}).items()},
    )


def baseline_worker(source: str, out_dir: str, summary: str) -> None:
    """Build a plain rdflib Graph of the parsed entries of *source* (~9 triples per
    article), serialise it as Turtle, N-Triples and JSON-LD into *out_dir* and write
    the timings and counts to *summary* (JSON). Run in a fresh process."""
    clock = time.perf_counter()
    timings: dict[str, float] = {}

    def lap(stage: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[stage] = now - clock
        clock = now

    from rdflib import RDF, XSD, Graph, Literal, Namespace, URIRef

    from hikgraph.directory import read_directory
    from hikgraph.slugs import slugify

    directory = read_directory(source)
    lap("parse")
    schema = Namespace("http://schema.org/")
    prov = Namespace("http://www.w3.org/ns/prov#")
    hik = Namespace("https://w3id.org/hikgraph/ontology#")
    ids = "https://w3id.org/hikgraph/id/"
    graph = Graph()
    whole = URIRef(ids + "directory/" + slugify(directory.metadata.title))
    origin = URIRef(ids + "source/" + slugify(Path(source).stem))
    outlets: dict[str, URIRef] = {}
    for entry in directory.entries:
        article = URIRef(f"{ids}article/{entry.year_month}-{entry.line}")
        graph.add((article, RDF.type, schema.CreativeWork))
        graph.add((article, schema.headline, Literal(entry.headline, lang="en")))
        graph.add(
            (article, schema.datePublished, Literal(entry.year_month, datatype=XSD.gYearMonth))
        )
        graph.add((article, schema.inLanguage, Literal("en")))
        graph.add((article, schema.isPartOf, whole))
        graph.add((article, prov.wasDerivedFrom, origin))
        graph.add((article, hik.sourceLine, Literal(entry.line)))
        if entry.outlet is not None:
            outlet = outlets.get(entry.outlet)
            if outlet is None:
                # Numbered: a spelling such as "财新" has no letters for a slug.
                outlet = outlets[entry.outlet] = URIRef(f"{ids}outlet/{len(outlets)}")
                graph.add((outlet, RDF.type, schema.NewsMediaOrganization))
                graph.add((outlet, schema.name, Literal(entry.outlet)))
            graph.add((article, RDF.type, schema.NewsArticle))
            graph.add((article, schema.publisher, outlet))
    lap("graph")
    out = Path(out_dir)
    graph.serialize(out / "baseline.ttl", format="turtle")
    lap("turtle")
    graph.serialize(out / "baseline.nt", format="nt")
    lap("n-triples")
    graph.serialize(out / "baseline.jsonld", format="json-ld")
    lap("json-ld")
    document = {"entries": len(directory.entries), "triples": len(graph), "timings": timings}
    Path(summary).write_text(json.dumps(document), encoding="utf-8")
    # A process holding millions of rdflib objects spends a long time freeing them.
    os._exit(0)


def baseline_once(source: Path, timeout: float) -> Run:
    """Run :func:`baseline_worker` on *source* in a fresh process; return the measures."""
    with tempfile.TemporaryDirectory(prefix="hikgraph-scale-baseline-") as folder:
        summary = Path(folder) / "summary.json"
        command = [sys.executable, "-c", _BASELINE_RUN, str(Path(__file__).parent)]
        command += [str(source), folder, str(summary)]
        wall, peak, pss = _run_process(command, dict(os.environ), timeout)
        document = json.loads(summary.read_text(encoding="utf-8"))
    return Run(
        wall, peak, document["entries"], document["triples"], document["timings"], peak_pss=pss
    )


def measure(run_one: Callable[[], Run], size: int, runs: int) -> Measured:
    """Return *runs* runs of *run_one()*, or the reason the first failing run failed."""
    measured = Measured(size)
    for number in range(runs):
        try:
            measured.runs.append(run_one())
        except (TimeoutError, RuntimeError, OSError, ValueError, KeyError) as error:
            # One line that cannot break a Markdown table.
            measured.failure = f"run {number + 1}: {error}".replace("|", "/")
            break
        print(
            f"  {label(size)} run {number + 1}/{runs}: {measured.runs[-1].wall:.2f} s", flush=True
        )
    return measured


# --- reporting ------------------------------------------------------------------------


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def _stages(measured: Measured) -> list[str]:
    names: list[str] = []
    for run in measured.runs:
        names.extend(name for name in run.timings if name not in names)
    return names


def _mib(value: float) -> str:
    return f"{value / MIB:,.0f}" if value == value else "–"


def _rate(triples: int, seconds: float) -> str:
    return f"{triples / seconds:,.0f}" if seconds > 0 else "–"


def stage_table(measured: Measured) -> list[str]:
    """Return the Markdown table of one size: a row per stage, the sum, the process."""
    runs = measured.runs
    triples = runs[0].triples
    lines = [
        "| stage | wall median (s) | min–max (s) | triples/s | peak RSS (MiB) |",
        "|---|---:|---:|---:|---:|",
    ]
    for stage in _stages(measured):
        # A stage a run did not report (a build that skips it) is left out, not zero.
        seconds = [run.timings[stage] for run in runs if stage in run.timings]
        rss = [run.stage_rss[stage] for run in runs if stage in run.stage_rss]
        median = _median(seconds)
        name = (
            stage
            if len(seconds) == len(runs)
            else f"{stage} (in {len(seconds)} of {len(runs)} runs)"
        )
        lines.append(
            f"| {name} | {median:.3f} | {min(seconds):.3f}–{max(seconds):.3f} | "
            f"{_rate(triples, median)} | {_mib(_median([float(r) for r in rss]))} |"
        )
    totals = [sum(run.timings.values()) for run in runs]
    walls = [run.wall for run in runs]
    peaks = [float(run.peak_rss) for run in runs]
    lines.append(
        f"| **stages total** | {_median(totals):.3f} | {min(totals):.3f}–{max(totals):.3f} | "
        f"{_rate(triples, _median(totals))} | – |"
    )
    lines.append(
        f"| **process** (imports, build, exit) | {_median(walls):.3f} | "
        f"{min(walls):.3f}–{max(walls):.3f} | {_rate(triples, _median(walls))} | "
        f"{_mib(_median(peaks))} |"
    )
    pss = [float(run.peak_pss) for run in runs if run.peak_pss]
    if pss:
        lines.append(f"| **all processes together** (PSS) | – | – | – | {_mib(_median(pss))} |")
    return lines


def summary_table(builds: list[Measured], baselines: dict[int, Measured | str]) -> list[str]:
    """Return the Markdown table of every size, with the rdflib baseline beside."""
    lines = [
        "| entries | triples | build wall median (s) | build triples/s | build peak RSS (MiB) "
        "| rdflib baseline wall median (s) | baseline triples | baseline triples/s "
        "| baseline peak RSS (MiB) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for measured in builds:
        if measured.runs:
            triples = measured.runs[0].triples
            wall = _median([run.wall for run in measured.runs])
            build = (
                f"{triples:,} | {wall:.2f} | {_rate(triples, wall)} | "
                f"{_mib(_median([float(run.peak_rss) for run in measured.runs]))}"
            )
        else:
            build = f"– | {measured.failure} | – | –"
        baseline = baselines.get(measured.size, "not run")
        if isinstance(baseline, Measured) and baseline.runs:
            btriples = baseline.runs[0].triples
            bwall = _median([run.wall for run in baseline.runs])
            other = (
                f"{bwall:.2f} | {btriples:,} | {_rate(btriples, bwall)} | "
                f"{_mib(_median([float(run.peak_rss) for run in baseline.runs]))}"
            )
        else:
            reason = baseline.failure if isinstance(baseline, Measured) else baseline
            other = f"{reason} | – | – | –"
        lines.append(f"| {measured.size:,} | {build} | {other} |")
    return lines


def baseline_table(baselines: dict[int, Measured | str]) -> list[str]:
    """Return the Markdown table of the baseline's stages per size."""
    measured = [m for m in baselines.values() if isinstance(m, Measured) and m.runs]
    if not measured:
        return []
    stages = _stages(measured[0])
    lines = [
        "| entries | triples | " + " | ".join(f"{s} (s)" for s in stages) + " | process (s) |",
        "|---:|---:|" + "---:|" * (len(stages) + 1),
    ]
    for m in measured:
        cells = [f"{_median([run.timings[s] for run in m.runs]):.2f}" for s in stages]
        wall = _median([run.wall for run in m.runs])
        lines.append(
            f"| {m.size:,} | {m.runs[0].triples:,} | " + " | ".join(cells) + f" | {wall:.2f} |"
        )
    return lines


def machine() -> list[tuple[str, str]]:
    """Return the machine and software the figures were measured on."""
    cpu = "unknown"
    memory = "unknown"
    try:
        info = Path("/proc/cpuinfo").read_text(encoding="utf-8")
        found = re.search(r"^model name\s*:\s*(.+)$", info, re.MULTILINE)
        cpu = found[1].strip() if found else cpu
        meminfo = Path("/proc/meminfo").read_text(encoding="utf-8")
        total = re.search(r"^MemTotal:\s*(\d+) kB", meminfo, re.MULTILINE)
        memory = f"{int(total[1]) / 1024 / 1024:.1f} GiB" if total else memory
    except OSError:
        pass
    system = platform.platform()
    try:
        release = Path("/etc/os-release").read_text(encoding="utf-8")
        pretty = re.search(r'^PRETTY_NAME="?([^"\n]+)"?', release, re.MULTILINE)
        system = f"{pretty[1]} ({platform.system()} {platform.release()})" if pretty else system
    except OSError:
        pass
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    return [
        ("CPU", f"{cpu}, {os.cpu_count()} cores"),
        ("RAM", memory),
        ("OS", system),
        ("Python", f"{platform.python_implementation()} {platform.python_version()}"),
        ("libraries", ", ".join(f"{n} {version(n)}" for n in ("pyoxigraph", "rdflib", "pyshacl"))),
        ("hikgraph", _code_version()),
        ("store loader's allocator", _loader_allocator()),
        ("load average at start (1, 5, 15 min)", load),
    ]


def _loader_allocator() -> str:
    # The allocator the build's store loader runs with (hikgraph.store.loader_allocator),
    # where the code measured has one.
    try:
        from hikgraph.store import StoreError, loader_allocator
    except ImportError:
        return "the C library's (this hikgraph chooses none)"
    try:
        chosen = loader_allocator()
    except StoreError as error:  # the variable names a file that is not there
        return f"unknown ({error})"
    return chosen or "the C library's"


def code_digest() -> str:
    """Return a digest of the hikgraph package's source files, to notice a change of
    the code under measurement while the benchmark runs (a shared checkout)."""
    import hashlib

    import hikgraph

    digest = hashlib.sha256()
    for path in sorted(Path(hikgraph.__file__).resolve().parent.rglob("*")):
        if path.is_file() and path.suffix in {".py", ".html", ".js", ".css"}:
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _code_version() -> str:
    import hikgraph

    package = Path(hikgraph.__file__).resolve().parent
    described = f"{hikgraph.__version__} from {package}"
    try:
        head = subprocess.run(
            ["git", "-C", str(package), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(package), "status", "--porcelain", "--", "."],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return described
    return f"{described}, commit {head}" + (" with uncommitted changes" if dirty else "")


def report(
    args: argparse.Namespace,
    builds: list[Measured],
    baselines: dict[int, Measured | str],
    how: str,
    started: datetime,
    host: list[tuple[str, str]],
) -> str:
    """Return the Markdown document of the measurements."""
    sizes = ",".join(label(m.size) for m in builds)
    lines = [
        "# Scale benchmark",
        "",
        f"Measured {started:%Y-%m-%d %H:%M} UTC with "
        f"`python benchmarks/scale.py --sizes {sizes} --runs {args.runs}"
        f"{' --no-store' if args.no_store else ''}` (this file is "
        "written by that command). Each run builds a synthetic directory (`hikgraph synth "
        f"--seed {args.seed}`) from scratch in a fresh process, with an empty output folder "
        "and a cache folder that holds only the ready copies of the classifier and the "
        "language identifier (made once from the installed hikgraph and py3langid, as "
        "Python keeps its compiled modules; a first build on a machine makes them, in "
        "~1.1 s): no classification or query store is reused. Figures are medians of "
        f"{args.runs} run(s). {how}",
        "",
        "triples/s is the graph's triples divided by the stage's (or the whole run's) "
        "seconds. Peak RSS per stage is the build's own figure at the end of the stage "
        "(the larger of the build's process and its largest worker), where the build "
        "reports it; the process row is the largest process of the tree, read with "
        "wait4(). Forked workers share pages with the build, so the row 'all processes "
        "together' sums their PSS (proportional set size, shared pages split between "
        "the processes that share them), sampled every 0.5 s.",
        "",
        "## Machine",
        "",
        "| | |",
        "|---|---|",
        *(f"| {key} | {value} |" for key, value in host),
        "",
        "## Summary",
        "",
        *summary_table(builds, baselines),
        "",
    ]
    for measured in builds:
        lines += [f"## {measured.size:,} entries", ""]
        if not measured.runs:
            lines += [f"Not measured: {measured.failure}.", ""]
            continue
        run = measured.runs[0]
        counts = sorted({r.triples for r in measured.runs})
        lines += [
            f"{run.entries:,} entries, {run.triples:,} triples, {len(measured.runs)} run(s)"
            + (f"; stopped early: {measured.failure}" if measured.failure else "")
            + (
                f"; the runs made different graphs ({', '.join(f'{c:,}' for c in counts)} triples)"
                if len(counts) > 1
                else ""
            )
            + ".",
            "",
            *stage_table(measured),
            "",
        ]
    lines += [
        "## Plain rdflib baseline",
        "",
        "The same parsed entries as an rdflib `Graph` with ~9 triples per article (types, "
        "headline, month, language, directory, source and line, publisher) and no "
        "classification, SHACL, store or network, serialised as Turtle, N-Triples and "
        "JSON-LD by rdflib: what modelling and serialising cost without hikgraph's "
        "pipeline.",
        "",
        *baseline_table(baselines),
        "",
    ]
    left_out = "not run (not in --baseline-sizes)"
    skipped = [
        f"{size:,}: {why}"
        for size, why in baselines.items()
        if isinstance(why, str) and why != left_out
    ]
    if left_out in baselines.values():
        lines += [
            f"The baseline runs only for --baseline-sizes ({args.baseline_sizes}): rdflib "
            "holds every triple as a Python object, so 1M articles (~9M triples) would need "
            "tens of GB and many minutes (DESIGN.md: 100k articles took ~70 s and 1.9 GB).",
            "",
        ]
    failed = [
        f"{size:,}: {m.failure}"
        for size, m in baselines.items()
        if isinstance(m, Measured)
        if m.failure
    ]
    if skipped or failed:
        lines += ["Not run or stopped: " + "; ".join(skipped + failed) + ".", ""]
    lines += [
        "## Named queries at scale",
        "",
        "Every named query on the embedded store at 100k and 1M synthetic entries, and "
        "what precomputed counts would add, is measured by "
        "`python benchmarks/bench_queries_scale.py --sizes 100k,1m` and written up in "
        "[benchmarks-queries.md](benchmarks-queries.md).",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1k,10k,100k", help="entries, e.g. 1k,10k,100k,1m")
    parser.add_argument("--runs", type=int, default=3, help="runs per size (median reported)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the synthetic input")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per build run")
    parser.add_argument(
        "--baseline-sizes",
        default="10k,100k",
        help="sizes to run the rdflib baseline for (it holds every triple as Python "
        "objects, so 1M is left out by default)",
    )
    parser.add_argument("--baseline-timeout", type=float, default=900, help="seconds per run")
    parser.add_argument("--no-baseline", action="store_true", help="skip the rdflib baseline")
    parser.add_argument(
        "--mode",
        choices=("auto", "cli", "library"),
        default="auto",
        help="cli: `hikgraph build --json-summary`; library: build() via python -c; "
        "auto: cli when the build has --json-summary",
    )
    parser.add_argument(
        "--no-store",
        action="store_true",
        help="build with `hikgraph build --no-store` (the dumps only: no query store, no "
        f"network files); the report then goes to {DEFAULT_OUT_NO_STORE} by default",
    )
    parser.add_argument("--cache", type=Path, default=None, help="folder for synthetic inputs")
    parser.add_argument(
        "--out", type=Path, default=None, help=f"Markdown file to write [default: {DEFAULT_OUT}]"
    )
    args = parser.parse_args(argv)
    if args.out is None:
        args.out = DEFAULT_OUT_NO_STORE if args.no_store else DEFAULT_OUT
    try:
        sizes = [parse_size(text) for text in args.sizes.split(",")]
        baseline_sizes = {parse_size(text) for text in args.baseline_sizes.split(",")}
    except ValueError as error:
        parser.error(str(error))
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    from hikgraph.paths import cache_dir

    cache = args.cache or cache_dir() / "scale"
    started = datetime.now(UTC)
    host = machine()
    code_at_start = code_digest()
    use_cli = args.mode == "cli" or (args.mode == "auto" and _has_json_summary())
    if args.no_store and not use_cli:
        parser.error("--no-store needs the cli mode (a build with --json-summary)")
    how = (
        "Stage timings come from `hikgraph build --quiet --json-summary`."
        if use_cli
        else "Stage timings come from `hikgraph.build.build()` called through `python -c` "
        "(the build had no --json-summary option)."
    )
    if args.no_store:
        how += (
            " The builds ran with `hikgraph build --no-store`: the dumps only, without "
            "loading the embedded query store or drawing the network files from it."
        )
    print(how, flush=True)
    copies = ready_copies(cache, args.timeout)
    builds: list[Measured] = []
    baselines: dict[int, Measured | str] = {}
    for size in sizes:
        print(f"{size:,} entries: synthesising (cached in {cache})", flush=True)
        source = synthetic_source(size, args.seed, cache)
        run_one = partial(
            build_once, source, args.timeout, use_cli, not args.no_store, tuple(copies)
        )
        builds.append(measure(run_one, size, args.runs))
        if args.no_baseline:
            baselines[size] = "--no-baseline"
        elif size not in baseline_sizes:
            baselines[size] = "not run (not in --baseline-sizes)"
        else:
            print(f"{size:,} entries: rdflib baseline", flush=True)
            baselines[size] = measure(
                partial(baseline_once, source, args.baseline_timeout), size, args.runs
            )
    host.append(("load average at end", ", ".join(f"{v:.2f}" for v in os.getloadavg())))
    if code_digest() != code_at_start:
        how += (
            " **The hikgraph source files changed while this ran** (a shared checkout), so "
            "the runs may have measured different code."
        )
    document = report(args, builds, baselines, how, started, host)
    print()
    print(document)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    temporary = args.out.with_name(f".{args.out.name}.tmp")
    temporary.write_text(document, encoding="utf-8")
    os.replace(temporary, args.out)
    print(f"\nwrote {args.out}", file=sys.stderr)
    return 0 if all(m.runs for m in builds) else 1


if __name__ == "__main__":
    sys.exit(main())
