"""The main job: source texts → records → enriched records → triples → exports.

:func:`build` plans the entries, then streams them a chunk at a time through the
classifier, the triple maker and the N-Triples and Turtle serialisers (in worker
processes for a large directory) into a staging folder; a large directory is read and
streamed in a process of its own (:func:`hikgraph.forked.run_forked`), so its records
and the classifier are gone before the store loads. It then loads the query store
from the finished N-Triples in another process while it writes the JSON-LD and
validates the graph (or an even sample of a large one) with SHACL; draws the network
from the store; and only then moves the files into the output folder, so a failed
build leaves the previous exports as they were.

A build told not to load the store (``store=False``, ``hikgraph build --no-store``)
writes the same exports, without the store and the network files drawn from it: for
a publisher who pushes the dumps to another SPARQL store (``hikgraph push``) or only
serves the files. The embedded store is then loaded by the first query.
"""

from __future__ import annotations

import gc
import hashlib
import importlib
import json
import os
import resource
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TypeVar

from pyoxigraph import RdfFormat, Triple, parse, serialize

from hikgraph import export
from hikgraph.classify_stream import BuildWorkerError, ClassificationCache, ClassificationStream
from hikgraph.directory import Directory, ParseWarning, collection_paused, read_directory
from hikgraph.enrich import Plan, plan
from hikgraph.forked import ForkedProcessDied, run_forked
from hikgraph.graph_chunks import ChunkJob, make_chunk, share_entries
from hikgraph.model import (
    EvidenceKey,
    country_triples,
    directory_iri,
    evidence_triples,
    head_triples,
    load_topic_scheme,
    source_iri,
    used_countries,
)
from hikgraph.paths import data_dir, default_exports_dir, default_sources, ontology_dir
from hikgraph.progress import bar
from hikgraph.registry import Country, Outlet, load_registry
from hikgraph.store import StoreError, StoreLoader

_Figure = TypeVar("_Figure", int, float)

#: Records what the derived files in the output folder were drawn from, so a rebuild
#: of an unchanged graph reuses them (see :func:`_network_files`).
MANIFEST = ".derived.json"


class BuildError(Exception):
    """A build that cannot finish; the message is one line naming the cause."""


@dataclass
class BuildResult:
    """What a build wrote, how long each stage took and how much memory it used."""

    out_dir: Path
    files: list[Path]
    entries: int
    months: int
    outlets: int
    triples: int
    unreviewed: tuple[Outlet, ...]
    warnings: list[ParseWarning]
    timings: dict[str, float] = field(default_factory=dict)
    # Peak resident memory (bytes) of the build and its workers at the end of each stage.
    peak_rss: dict[str, int] = field(default_factory=dict)
    # What the reader should know about how the build was done (e.g. a sampled check).
    notes: list[str] = field(default_factory=list)
    classified: int = 0  # headlines classified by this build
    reused: int = 0  # headlines whose classification came from the cache
    processes: int = 1  # worker processes that made the chunks (1: the build's own)

    def summary(self) -> str:
        """Return the one-line summary: counts and seconds per stage."""
        stages = ", ".join(f"{name} {seconds:.2f}s" for name, seconds in self.timings.items())
        return (
            f"built {self.entries} entries in {self.months} months, {self.outlets} outlets, "
            f"{self.triples} triples → {self.out_dir} ({stages})"
        )

    def as_json(self) -> dict[str, object]:
        """Return the counts, timings and memory of the build as a JSON object."""
        return {
            "entries": self.entries,
            "months": self.months,
            "outlets": self.outlets,
            "triples": self.triples,
            "classified": self.classified,
            "reused": self.reused,
            "processes": self.processes,
            "timings": self.timings,
            "peak_rss": self.peak_rss,
            "notes": self.notes,
        }


#: Up to this many entries, SHACL checks the whole graph and hikgraph.jsonld holds it
#: all; past it both use an even sample of this many entries with every other resource
#: (pySHACL and rdflib's JSON-LD writer hold every triple as Python objects).
FULL_CHECK_ENTRIES = 500
#: Past this many entries the build does not draw the outlet–topic network, its metrics
#: and the timeline (reading every entry back and laying out thousands of outlets takes
#: minutes); `hikgraph viz` draws them on demand from the built graph.
NETWORK_MAX_ENTRIES = 20_000
#: Entries per chunk of the stream (classified, turned to triples and serialised
#: together, by one worker process).
CHUNK_ENTRIES = 5000
#: Directory texts of this many bytes or more hold thousands of entries (~80 bytes an
#: entry), enough to fork the classifying workers, so the language model they share
#: is loaded while the texts are parsed rather than after.
PRELOAD_BYTES = 256 << 10


def build(
    sources: Sequence[Path] | None = None,
    out_dir: Path | None = None,
    *,
    strict: bool = False,
    validate: bool = True,
    progress: bool = False,
    workers: int | None = None,
    store: bool = True,
) -> BuildResult:
    """Build the graph from *sources* (default ``data/sources/*.txt``) into *out_dir*
    (default ``exports/``).

    The entries stream through classification, triples and the N-Triples and Turtle
    writers a chunk at a time, so memory does not grow with one object per triple.
    Classifications are cached on disk (see :mod:`hikgraph.classify_stream`), so a
    rebuild classifies only new headlines. *progress* draws bars on stderr; for a
    large directory, *workers* processes (default: the CPU count) make the chunks
    (classify, make triples, serialise; :mod:`hikgraph.graph_chunks`) while this one
    writes them in order: the same bytes as one process makes. The store is loaded
    from the finished N-Triples dump.
    With *store* False the query store is not loaded (the first query loads it) and
    the network files, drawn from it, are not drawn; a note says so.

    Returns a :class:`BuildResult`. Raises :class:`hikgraph.directory.DirectoryError`
    for an unreadable source, :class:`BuildError` when *strict* and the parser warned,
    or when the graph does not conform to the SHACL shapes; nothing in *out_dir* has
    changed then.
    """
    laps = _Laps()
    sources = list(sources) if sources else default_sources()
    if not sources:
        raise BuildError(f"no directory texts to build from in {data_dir() / 'sources'}")
    out_dir = out_dir or default_exports_dir()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".hikgraph-build-", dir=out_dir.parent))
    loader: StoreLoader | None = None
    try:
        # Made first, so that a cache folder it cannot write to, or an allocator that
        # is not there, fails the build at once; it starts loading once the dump is
        # written.
        loader = _store_loader(out_dir) if store else None
        large = sum(Path(p).stat().st_size for p in sources if Path(p).is_file()) >= PRELOAD_BYTES
        job = (sources, staging, strict, progress, workers, large, laps)

        def dump_written(written: tuple[Path, int]) -> None:
            # The dump's lines are distinct triples (the stream writes none twice).
            if loader is not None:
                loader.start(*written)

        if large:
            # A large directory's records (~0.6 GB at a million entries) and the
            # classifier live only in this process of its own: its memory goes back
            # when it ends, before the store loads beside this one. It says when the
            # dump is written, so the store starts loading while it winds up.
            try:
                streamed = run_forked(
                    _read_and_stream,
                    *job,
                    on_note=dump_written,
                    meanwhile=lambda: _import_finishing_modules(validate),
                )
            except ForkedProcessDied as error:
                raise BuildError(
                    "the build's process that reads and streams the entries ended without "
                    f"an answer (exit code {error.exitcode}; out of memory?); nothing written"
                ) from None
        else:
            streamed = _read_and_stream(*job, dump_written)
        laps = streamed.laps
        out_dir.mkdir(parents=True, exist_ok=True)
        sample = list(parse(streamed.sample_ntriples, format=RdfFormat.N_TRIPLES))
        stream = replace(streamed.stream, sample=sample)
        files = _finish(
            streamed.figures.entries,
            streamed.directory,
            stream,
            streamed.source_iris,
            staging,
            out_dir,
            loader,
            validate,
            progress,
            laps.lap,
        )
    finally:
        if loader is not None:
            loader.abort()
        shutil.rmtree(staging, ignore_errors=True)
    figures = streamed.figures
    return BuildResult(
        out_dir=out_dir,
        files=files,
        entries=figures.entries,
        months=figures.months,
        outlets=figures.outlets,
        triples=stream.counts.triples,
        unreviewed=figures.unreviewed,
        warnings=streamed.warnings,
        timings=laps.timings,
        peak_rss=laps.peak_rss,
        notes=stream.notes,
        classified=streamed.classified,
        reused=streamed.reused,
        processes=streamed.processes,
    )


#: What :func:`_finish` imports for the JSON-LD sample (rdflib, ~0.1 s) and its check
#: (pySHACL, ~0.1 s more). Not imported with this module: a large directory's forked
#: process starts without them, and this one imports them while it runs.
_FINISHING_MODULES = ("hikgraph.validate", "rdflib.plugins.serializers.jsonld")


def _import_finishing_modules(validate: bool) -> None:
    for name in (*_FINISHING_MODULES, *(("pyshacl",) if validate else ())):
        importlib.import_module(name)


class _Laps:
    """The seconds and peak memory (bytes, :func:`_peak_rss`) of each stage, taken at
    its end; picklable, so the process that streams the graph hands its laps on."""

    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self.peak_rss: dict[str, int] = {}
        self._clock = time.perf_counter()  # monotonic: the same in a forked process

    def lap(self, stage: str) -> None:
        """End *stage* (adding to it if it ran before) and start the next."""
        now = time.perf_counter()
        self.timings[stage] = self.timings.get(stage, 0.0) + now - self._clock
        self.peak_rss[stage] = _peak_rss()
        self._clock = now


def _classification_stream(workers: int | None) -> ClassificationStream:
    try:
        cache = ClassificationCache()
    except (OSError, sqlite3.Error) as error:
        raise BuildError(
            f"the classification cache cannot be opened: {error} "
            "(set HIKGRAPH_CACHE_DIR to a writable folder); nothing written"
        ) from None
    return ClassificationStream(cache, workers or os.cpu_count() or 1)


@dataclass(frozen=True)
class _PlanFigures:
    """What the build's result says of the planned entries."""

    entries: int
    months: int
    outlets: int  # distinct outlets the entries name
    unreviewed: tuple[Outlet, ...]


@dataclass
class _Streamed:
    """What reading, classifying and writing the entries left for the rest of the
    build: no record of an entry (see :func:`_read_and_stream`)."""

    figures: _PlanFigures
    warnings: list[ParseWarning]
    directory: Directory  # the newest edition's text, without its months and entries
    source_iris: list[str]
    stream: _Stream  # with its counts' figures only and no sample (see sample_ntriples)
    sample_ntriples: bytes  # the sample as N-Triples: ~10 times cheaper to pickle
    laps: _Laps
    classified: int
    reused: int
    processes: int


def _read_and_stream(
    sources: list[Path],
    staging: Path,
    strict: bool,
    progress: bool,
    workers: int | None,
    large: bool,
    laps: _Laps,
    dump_written: Callable[[tuple[Path, int]], None],
) -> _Streamed:
    """Read and plan the directory texts, then stream their entries into the dumps in
    *staging* (classified, as triples, in the worker processes for a large one),
    calling ``dump_written((path, triples))`` once the N-Triples dump is whole.
    Returns what the rest of the build needs, none of the records."""
    with _classification_stream(workers) as classifier:
        if large:
            # Both while the texts are read and planned: a scout process classifies
            # their headlines, and the language model loads (in a thread, so after
            # the scout's fork).
            classifier.classify_ahead(sources)
            classifier.preload()
        directories: list[Directory] = [read_directory(path) for path in sources]
        warnings = [w for d in directories for w in d.warnings]
        if strict and warnings:
            raise BuildError(f"{warnings[0]} ({len(warnings)} warning(s); --strict)")
        registry = load_registry()
        planned = plan(directories, registry)
        # The records live to the end of the stream: keep the collector from scanning
        # them (~1 s per full collection at a million entries) or, in the workers
        # forked next, from touching and so copying the pages they share.
        gc.freeze()
        try:
            laps.lap("parse")
            # The workers, forked now, share the planned entries with this process: a
            # job names its chunk by position.
            share_entries(planned.entries)
            classifier.start(len(planned.entries))
            laps.timings.setdefault("classify", 0.0)
            stream = _stream_graph(
                planned,
                registry.countries,
                [(d, _sha256(Path(d.source))) for d in directories],
                staging,
                classifier,
                progress=progress,
                lap=laps.lap,
                dump_written=dump_written,
            )
            if classifier.processes > 1:
                # The workers classify a chunk and make its triples in one job, so the
                # two cannot be timed apart: one stage, named for both.
                _merge_stages(laps.timings, ("classify", "triples"), "classify+triples", sum)
                _merge_stages(laps.peak_rss, ("classify", "triples"), "classify+triples", max)
            else:
                # The seconds spent on the classification cache and classifying, out of
                # the stream's.
                shift = min(classifier.seconds, laps.timings["triples"])
                laps.timings["classify"] += shift
                laps.timings["triples"] -= shift
                laps.peak_rss["classify"] = laps.peak_rss["triples"]
            # The workers are done: their memory goes back before the store loads.
            classifier.close()
            counts = stream.counts
            assert isinstance(counts, export.GraphCounts)  # as the stream counted them
            sample = serialize(stream.sample, format=RdfFormat.N_TRIPLES)
            assert sample is not None  # bytes, when given no output
            return _Streamed(
                figures=_PlanFigures(
                    entries=len(planned.entries),
                    months=len(planned.months),
                    outlets=len({e.outlet.slug for e in planned.entries if e.outlet is not None}),
                    unreviewed=planned.unreviewed,
                ),
                warnings=warnings,
                directory=replace(planned.directory, months=[], entries=[]),
                source_iris=[source_iri(d.source) for d in directories],
                stream=replace(stream, counts=counts.totals(), sample=[]),
                sample_ntriples=sample,
                laps=laps,
                classified=classifier.classified,
                reused=classifier.reused,
                processes=classifier.processes,
            )
        finally:
            share_entries(())
            gc.unfreeze()


@dataclass
class _Stream:
    """What streaming the graph into the staging folder produced."""

    counts: export.GraphCounts | export.GraphTotals
    dumps: tuple[export.DumpFile, export.DumpFile]
    sample: list[Triple]  # the triples SHACL and the JSON-LD writer see
    notes: list[str]
    sampled: bool  # SHACL and the JSON-LD dump see an even sample of the entries


def _stream_graph(
    planned: Plan,
    countries: dict[str, Country],
    sources: list[tuple[Directory, str]],
    staging: Path,
    classifier: ClassificationStream,
    *,
    progress: bool,
    lap: Callable[[str], None],
    dump_written: Callable[[tuple[Path, int]], None],
) -> _Stream:
    # The chunks of entries are classified, turned into triples and serialised by
    # make_chunk, in the worker processes for a large directory; this process writes
    # their bytes in chunk order and adds up the counts.
    entries = planned.entries
    step = max(1, -(-len(entries) // FULL_CHECK_ENTRIES))
    counts = export.GraphCounts(distinct=step == 1)
    mentioned: set[str] = set()
    evidence: set[EvidenceKey] = set()
    chunks_folder = staging / "chunks"
    chunks_folder.mkdir()
    jobs = (
        (
            [p.entry.headline for p in entries[start : start + CHUNK_ENTRIES]],
            ChunkJob(
                first=start,
                stop=min(start + CHUNK_ENTRIES, len(entries)),
                step=step,
                distinct=step == 1,
                directory=directory_iri(planned.directory),
                folder=str(chunks_folder),
            ),
        )
        for start in range(0, len(entries), CHUNK_ENTRIES)
    )
    with (
        bar(progress, len(entries), "classify + write", "entries") as entries_bar,
        export.DumpWriter(staging) as dumps,
    ):
        try:
            # The workers start on the first chunks while this process makes the head
            # (the outlets, reports and topic scheme: ~0.3 s at 100,000 entries).
            chunks = classifier.map(make_chunk, jobs)
            head = head_triples(planned, load_topic_scheme(ontology_dir() / "topics.ttl"), sources)
            sample: list[Triple] = list(head)
            counts.add(head)
            dumps.write(*export.serialize_chunk(head))
            for chunk in chunks:
                dumps.append(chunk.ntriples, chunk.turtle)
                chunk.ntriples.unlink()
                chunk.turtle.unlink()
                counts.merge(chunk.counts)
                mentioned |= chunk.mentioned
                evidence |= chunk.evidence
                sample.extend(chunk.sample)
                entries_bar.update(chunk.entries)
        except BuildWorkerError as error:
            raise BuildError(str(error)) from None
        tail = country_triples(countries, used_countries(planned, mentioned))
        tail += evidence_triples(evidence)
        sample.extend(tail)
        counts.add(tail)
        dumps.write(*export.serialize_chunk(tail))
        files = dumps.files()
    dump_written((staging / files[0].dump.filename, counts.triples))
    lap("triples")
    notes = []
    if step > 1:
        sampled = -(-len(entries) // step)
        notes.append(
            f"{len(entries)} entries: SHACL checks and hikgraph.jsonld holds an even sample of "
            f"{sampled} entries (1 in {step}) with every other resource; hikgraph.nt and "
            "hikgraph.ttl hold the whole graph"
        )
    return _Stream(counts, files, sample, notes, sampled=step > 1)


def _jsonld_and_check(sample: list[Triple], validate: bool, lap: Callable[[str], None]) -> bytes:
    # Returns the JSON-LD of the sample, checked with SHACL when *validate*; raises
    # BuildError when it does not conform. For the 36k triples of a sample at 100k
    # entries rdflib and pySHACL hold ~360k objects (and make many more on the way),
    # with few cycles among them: the collector pausing spares it walking them again
    # and again (1.8-2.5 CPU-s against 2.0-2.8, 6 runs each, alternating).
    from hikgraph.validate import rdflib_graph

    with collection_paused():
        rdf_graph = rdflib_graph(sample)
        # Written before the check, which then mixes the ontology into the graph itself
        # instead of into a copy of it.
        context = export.load_context(ontology_dir() / "context.jsonld")
        jsonld = export.to_jsonld(rdf_graph, context)
        lap("jsonld")
        if validate:
            from hikgraph.validate import validate_graph

            result = validate_graph(rdf_graph, in_place=True)
            lap("validate")
            if not result.conforms:
                first = next(
                    (line.strip() for line in result.report.splitlines() if "Message:" in line),
                    "",
                )
                raise BuildError(
                    f"the graph does not conform to ontology/shapes.ttl "
                    f"({result.violations} violation(s)); nothing written. First: {first}"
                )
    return jsonld


def _finish(
    entries: int,
    directory: Directory,
    stream: _Stream,
    source_iris: list[str],
    staging: Path,
    out_dir: Path,
    loader: StoreLoader | None,
    validate: bool,
    progress: bool,
    lap: Callable[[str], None],
) -> list[Path]:
    # The store loads (when it does) while this process writes the JSON-LD sample and
    # checks it.
    jsonld = _jsonld_and_check(stream.sample, validate, lap)
    nt_dump = stream.dumps[0]
    store_path = None
    if loader is not None:
        with bar(progress, None, "load the query store") as waiting:
            while not loader.wait(0.5):
                waiting.update()  # redraws the time spent
        try:
            store_path = loader.commit(staging / nt_dump.dump.filename, nt_dump.sha256)
        except (StoreError, OSError) as error:
            raise BuildError(
                f"the query store could not be loaded: {error} "
                "(set HIKGRAPH_CACHE_DIR to a writable folder); nothing written"
            ) from None
        lap("store")
    else:
        stream.notes.append(
            "the query store was not loaded (--no-store): the first `hikgraph query` or "
            "`hikgraph serve` on these exports loads it"
        )
    stale: list[str] = []
    if store_path is not None and entries <= NETWORK_MAX_ENTRIES:
        contents = _network_files(store_path, nt_dump.sha256, out_dir)
        lap("network")
    else:
        from hikgraph.network import NETWORK_FILES

        contents = {}
        stale = [*NETWORK_FILES, MANIFEST]
        stream.notes.append(
            f"{entries} entries: the network files are not drawn past "
            f"{NETWORK_MAX_ENTRIES} entries (run `hikgraph viz` to draw them)"
            if store_path is not None
            else "the network files are drawn from the query store, so they were not drawn "
            "(run `hikgraph viz` to draw them)"
        )
    context_bytes = (ontology_dir() / "context.jsonld").read_bytes()
    jsonld_dump = next(d for d in export.DUMPS if d.filename == "hikgraph.jsonld")
    jsonld_note = (
        None
        if not stream.sampled
        else f"A sample: {entries} entries in all, this file holds an even "
        "sample of them with every other resource; the N-Triples and Turtle dumps hold all."
    )
    meta = directory.metadata
    void = export.void_triples(
        stream.counts,
        [*stream.dumps, export.describe_dump(jsonld_dump, jsonld, jsonld_note)],
        title=f"hikgraph: {meta.title}",
        description=(
            f"The {entries} entries of IPVM's '{meta.title}' (news coverage of "
            "Hikvision by outlet and month), with their outlets, the countries and topics of "
            "each headline and IPVM's own reports, as linked data."
        ),
        published=meta.published,
        source_iris=source_iris,
        directory_iri=directory_iri(directory),
    )
    contents.update(
        {
            "hikgraph.jsonld": jsonld,
            "void.ttl": export.to_turtle(void),
            export.CONTEXT_FILE: context_bytes,
        }
    )
    lap("jsonld")
    for name, content in contents.items():
        (staging / name).write_bytes(content)
    written = []
    for name in sorted([*contents, *(d.dump.filename for d in stream.dumps)]):
        os.replace(staging / name, out_dir / name)
        written.append(out_dir / name)
    for name in stale:  # drawn from an earlier graph: they would mislead
        (out_dir / name).unlink(missing_ok=True)
    lap("write")
    return written


def _merge_stages(
    figures: dict[str, _Figure],
    stages: tuple[str, str],
    merged: str,
    combine: Callable[[list[_Figure]], _Figure],
) -> None:
    """Replace the two *stages* of *figures* by one, *merged*, where the second was:
    *combine* of their figures (the sum of timings, the larger peak memory)."""
    items = list(figures.items())
    figures.clear()
    for name, value in items:
        if name == stages[1]:
            figures[merged] = combine([v for n, v in items if n in stages])
        elif name != stages[0]:
            figures[name] = value


def _store_loader(out_dir: Path) -> StoreLoader:
    # `hikgraph query` and `serve` read an embedded Oxigraph store in the cache folder;
    # it is loaded from the finished N-Triples, put in place before the exports are,
    # and the network files are drawn from it.
    try:
        return StoreLoader(out_dir)
    except StoreError as error:
        raise BuildError(f"the query store cannot be made: {error}; nothing written") from None
    except OSError as error:
        raise BuildError(
            f"the query store cannot be made: {error} "
            "(set HIKGRAPH_CACHE_DIR to a writable folder); nothing written"
        ) from None


def _peak_rss() -> int:
    # ru_maxrss is in KiB on Linux; the workers count through RUSAGE_CHILDREN.
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) * 1024


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _network_files(store_path: Path, graph_sha256: str, out_dir: Path) -> dict[str, bytes]:
    """Return the network page, its metrics, GraphML/GEXF and the timeline.

    They are drawn from the query store through SPARQL, as a user of the graph would
    draw them. Drawing them needs networkx and matplotlib (about a second for the
    seed), so when *out_dir* already holds them for the same graph (named by the
    SHA-256 of its N-Triples) and the same drawing code, as recorded in its manifest,
    their bytes are reused.
    """
    from hikgraph.network import NETWORK_FILES

    key = _network_inputs_digest(graph_sha256)
    manifest = _read_manifest(out_dir)
    recorded = manifest.get("network", {})
    if recorded.get("inputs") == key and _files_match(out_dir, recorded.get("files", {})):
        return {name: (out_dir / name).read_bytes() for name in (*NETWORK_FILES, MANIFEST)}
    from pyoxigraph import Store

    from hikgraph.network import network_exports_from_store

    files = network_exports_from_store(Store.read_only(str(store_path)))
    files[MANIFEST] = _manifest_bytes(
        {
            "network": {
                "inputs": key,
                "files": {name: hashlib.sha256(files[name]).hexdigest() for name in sorted(files)},
            }
        }
    )
    return files


def _network_inputs_digest(graph_sha256: str) -> str:
    # The graph, the drawing code and the versions of the libraries that draw it.
    from importlib.metadata import version

    package = Path(__file__).resolve().parent
    digest = hashlib.sha256(graph_sha256.encode())
    for path in sorted([*package.glob("network*"), package / "timeline.py"]):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    for library in ("networkx", "matplotlib", "pyvis"):
        digest.update(f"{library}={version(library)}".encode())
    return digest.hexdigest()


def _read_manifest(out_dir: Path) -> dict[str, dict[str, object]]:
    try:
        manifest = json.loads((out_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return manifest if isinstance(manifest, dict) else {}


def _files_match(out_dir: Path, digests: object) -> bool:
    if not isinstance(digests, dict) or not digests:
        return False
    for name, digest in digests.items():
        path = out_dir / name
        if not path.is_file() or hashlib.sha256(path.read_bytes()).hexdigest() != digest:
            return False
    return True


def _manifest_bytes(manifest: dict[str, object]) -> bytes:
    return (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode("utf-8")
