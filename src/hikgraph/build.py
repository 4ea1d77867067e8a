"""The main job: source texts → records → enriched records → triples → exports.

:func:`build` runs every stage, validates the graph with SHACL and only then replaces
the files in the output folder, so a failed build leaves the previous exports as they
were.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pyoxigraph import Triple
from rdflib import Graph

from hikgraph import export
from hikgraph.directory import Directory, ParseWarning, read_directory
from hikgraph.enrich import EnrichedDirectory, enrich
from hikgraph.model import directory_iri, load_topic_scheme, source_iri, triples
from hikgraph.paths import data_dir, default_exports_dir, default_sources, ontology_dir
from hikgraph.registry import Outlet, load_registry
from hikgraph.validate import rdflib_graph

#: Records what the derived files in the output folder were drawn from, so a rebuild
#: of an unchanged graph reuses them (see :func:`_network_files`).
MANIFEST = ".derived.json"


class BuildError(Exception):
    """A build that cannot finish; the message is one line naming the cause."""


@dataclass
class BuildResult:
    """What a build wrote and how long each stage took."""

    out_dir: Path
    files: list[Path]
    entries: int
    months: int
    outlets: int
    triples: int
    unreviewed: tuple[Outlet, ...]
    warnings: list[ParseWarning]
    timings: dict[str, float] = field(default_factory=dict)

    def summary(self) -> str:
        """Return the one-line summary: counts and seconds per stage."""
        stages = ", ".join(f"{name} {seconds:.2f}s" for name, seconds in self.timings.items())
        return (
            f"built {self.entries} entries in {self.months} months, {self.outlets} outlets, "
            f"{self.triples} triples → {self.out_dir} ({stages})"
        )


def build(
    sources: Sequence[Path] | None = None,
    out_dir: Path | None = None,
    *,
    strict: bool = False,
    validate: bool = True,
) -> BuildResult:
    """Build the graph from *sources* (default ``data/sources/*.txt``) into *out_dir*
    (default ``exports/``).

    Returns a :class:`BuildResult`. Raises :class:`hikgraph.directory.DirectoryError`
    for an unreadable source, :class:`BuildError` when *strict* and the parser warned,
    or when the graph does not conform to the SHACL shapes; nothing in *out_dir* has
    changed then.
    """
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[stage] = timings.get(stage, 0.0) + now - clock
        clock = now

    sources = list(sources) if sources else default_sources()
    if not sources:
        raise BuildError(f"no directory texts to build from in {data_dir() / 'sources'}")
    out_dir = out_dir or default_exports_dir()
    directories: list[Directory] = [read_directory(path) for path in sources]
    warnings = [w for d in directories for w in d.warnings]
    if strict and warnings:
        raise BuildError(f"{warnings[0]} ({len(warnings)} warning(s); --strict)")
    lap("parse")

    from hikgraph.classify import default_classifier

    registry = load_registry()
    enriched = enrich(directories, registry, default_classifier())
    lap("enrich")

    graph = export.sort_triples(
        triples(
            enriched,
            registry.countries,
            load_topic_scheme(ontology_dir() / "topics.ttl"),
            [(d, _sha256(Path(d.source))) for d in directories],
        )
    )
    ntriples = export.to_ntriples(graph)
    # One rdflib copy of the graph serves both SHACL and the JSON-LD writer.
    rdf_graph = rdflib_graph(graph)
    lap("model")
    if validate:
        from hikgraph.validate import validate_graph

        result = validate_graph(rdf_graph)
        lap("validate")
        if not result.conforms:
            first = next(
                (line.strip() for line in result.report.splitlines() if "Message:" in line), ""
            )
            raise BuildError(
                f"the graph does not conform to ontology/shapes.ttl "
                f"({result.violations} violation(s)); nothing written. First: {first}"
            )
    files = _serialise(graph, ntriples, rdf_graph, enriched, directories, out_dir)
    lap("serialise")
    written = _replace_files(out_dir, files)
    lap("write")
    _refresh_query_store(out_dir)
    lap("store")
    return BuildResult(
        out_dir=out_dir,
        files=written,
        entries=len(enriched.entries),
        months=len({e.entry.year_month for e in enriched.entries}),
        outlets=len({e.outlet.slug for e in enriched.entries if e.outlet is not None}),
        triples=len(graph),
        unreviewed=enriched.unreviewed,
        warnings=warnings,
        timings=timings,
    )


def _refresh_query_store(out_dir: Path) -> None:
    # `hikgraph query` and `serve` read an embedded Oxigraph store in the cache folder,
    # not the exports; loading it now keeps the first query after a build fast.
    from hikgraph.store import StoreError, ensure_store

    try:
        ensure_store(out_dir)
    except (StoreError, OSError) as error:
        raise BuildError(
            f"the exports are written, but the query store could not be loaded: {error} "
            "(set HIKGRAPH_CACHE_DIR to a writable folder)"
        ) from None


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _serialise(
    graph: list[Triple],
    ntriples: bytes,
    rdf_graph: Graph,
    enriched: EnrichedDirectory,
    directories: list[Directory],
    out_dir: Path,
) -> dict[str, bytes]:
    context_bytes = (ontology_dir() / "context.jsonld").read_bytes()
    context = export.load_context(ontology_dir() / "context.jsonld")
    contents = {
        "hikgraph.ttl": export.to_turtle(graph),
        "hikgraph.nt": ntriples,
        "hikgraph.jsonld": export.to_jsonld(rdf_graph, context),
    }
    dumps = [export.describe_dump(dump, contents[dump.filename]) for dump in export.DUMPS]
    meta = enriched.directory.metadata
    void = export.void_triples(
        graph,
        dumps,
        title=f"hikgraph: {meta.title}",
        description=(
            f"The {len(enriched.entries)} entries of IPVM's '{meta.title}' (news coverage of "
            "Hikvision by outlet and month), with their outlets, the countries and topics of "
            "each headline and IPVM's own reports, as linked data."
        ),
        published=meta.published,
        source_iris=[source_iri(d.source) for d in directories],
        directory_iri=directory_iri(enriched.directory),
    )
    contents["void.ttl"] = export.to_turtle(void)
    contents[export.CONTEXT_FILE] = context_bytes
    contents.update(_network_files(ntriples, out_dir))
    return contents


def _network_files(ntriples: bytes, out_dir: Path) -> dict[str, bytes]:
    """Return the network page, its metrics, GraphML/GEXF and the timeline.

    They are drawn from the N-Triples through SPARQL, as a user of the dump would draw
    them. Drawing them needs networkx and matplotlib (about 1.4 s of a 2.7 s seed
    build), so when *out_dir* already holds them for the same graph and the same
    drawing code, as recorded in its manifest, their bytes are reused.
    """
    from hikgraph.network import NETWORK_FILES

    key = _network_inputs_digest(ntriples)
    manifest = _read_manifest(out_dir)
    recorded = manifest.get("network", {})
    if recorded.get("inputs") == key and _files_match(out_dir, recorded.get("files", {})):
        return {name: (out_dir / name).read_bytes() for name in (*NETWORK_FILES, MANIFEST)}
    from hikgraph.network import network_exports

    files = network_exports(ntriples)
    files[MANIFEST] = _manifest_bytes(
        {
            "network": {
                "inputs": key,
                "files": {name: hashlib.sha256(files[name]).hexdigest() for name in sorted(files)},
            }
        }
    )
    return files


def _network_inputs_digest(ntriples: bytes) -> str:
    # The graph, the drawing code and the versions of the libraries that draw it.
    from importlib.metadata import version

    package = Path(__file__).resolve().parent
    digest = hashlib.sha256(ntriples)
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


def _replace_files(out_dir: Path, contents: dict[str, bytes]) -> list[Path]:
    # Everything is written to a temporary folder beside the output first; only when
    # every file is complete are they moved into place, each with an atomic rename.
    out_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".hikgraph-build-", dir=out_dir.parent))
    try:
        for name, content in contents.items():
            (staging / name).write_bytes(content)
        written = []
        for name in sorted(contents):
            os.replace(staging / name, out_dir / name)
            written.append(out_dir / name)
        return written
    finally:
        shutil.rmtree(staging, ignore_errors=True)
