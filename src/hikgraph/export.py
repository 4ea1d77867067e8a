"""Deterministic writers for the published dumps: Turtle, N-Triples, JSON-LD and VoID.

The same triples give the same bytes whatever order they arrive in: every writer
sorts first. Turtle and N-Triples are written by Oxigraph; JSON-LD is compacted by
rdflib against the local context ``context.jsonld``.
"""

from __future__ import annotations

import errno
import hashlib
import json
import mmap
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from pyoxigraph import Literal, NamedNode, RdfFormat, Triple, parse, serialize

from hikgraph.model import (
    BASE,
    DATASET,
    DCAT,
    DCTERMS,
    ID,
    PREFIXES,
    RDF,
    SCHEMA,
    VOID,
    XSD,
    Terms,
    node,
)

if TYPE_CHECKING:
    from rdflib import Graph

CONTEXT_FILE = "context.jsonld"
_TYPE = RDF + "type"
_TYPE_NODE = node(_TYPE)
_SECOND = itemgetter(1)
_THIRD = itemgetter(2)
_STREAMED = ("hikgraph.nt", "hikgraph.ttl")
_BLOCK = 4 << 20  # bytes read at a time from a chunk file


@dataclass(frozen=True)
class Dump:
    """One published file: its name, media type and a title for VoID/DCAT."""

    filename: str
    media_type: str
    title: str


DUMPS = (
    Dump("hikgraph.ttl", "text/turtle", "Turtle dump"),
    Dump("hikgraph.nt", "application/n-triples", "N-Triples dump"),
    Dump(
        "hikgraph.jsonld", "application/ld+json", "JSON-LD dump (compacted against context.jsonld)"
    ),
)


def sort_triples(triples: Iterable[Triple]) -> list[Triple]:
    """Return *triples* without duplicates, sorted by subject, predicate (rdf:type
    first) and object, the order every writer here relies on."""

    def key(triple: Triple) -> tuple[str, bool, str, str]:
        predicate = triple.predicate.value
        return (str(triple.subject), predicate != _TYPE, predicate, str(triple.object))

    return sorted(set(triples), key=key)


def _serialize(
    triples: list[Triple], rdf_format: RdfFormat, prefixes: dict[str, str] | None = None
) -> bytes:
    content = serialize(triples, format=rdf_format, prefixes=prefixes)
    assert content is not None  # serialize returns bytes when given no output
    return content


def to_ntriples(triples: list[Triple]) -> bytes:
    """Return canonical N-Triples, one line per triple, lines in sorted order."""
    lines = sorted(_serialize(triples, RdfFormat.N_TRIPLES).decode("utf-8").splitlines())
    return ("\n".join(lines) + "\n").encode("utf-8") if lines else b""


def to_turtle(triples: list[Triple]) -> bytes:
    """Return Turtle with the hikgraph prefixes (sorted), subjects in sorted order.

    *triples* must already be sorted by :func:`sort_triples`.
    """
    used = _used_prefixes(triples)
    text = _serialize(triples, RdfFormat.TURTLE, used).decode("utf-8")
    lines = text.splitlines()
    head = [line for line in lines if line.startswith("@prefix ")]
    body = lines[len(head) :]
    return ("\n".join([*sorted(head), "", *body]) + "\n").encode("utf-8")


def _used_prefixes(triples: list[Triple]) -> dict[str, str]:
    iris = set()
    for triple in triples:
        for term in (triple.subject, triple.predicate, triple.object):
            if isinstance(term, NamedNode):
                iris.add(term.value)
            elif isinstance(term, Literal):
                iris.add(term.datatype.value)
    return {
        prefix: namespace
        for prefix, namespace in PREFIXES.items()
        if any(iri.startswith(namespace) for iri in iris)
    }


def to_jsonld(graph: Graph, context: dict[str, object]) -> bytes:
    """Return *graph* (an rdflib graph) as compacted JSON-LD against *context*.

    The document refers to its context as ``context.jsonld`` (published beside it),
    never to a remote URL. Nodes are sorted by ``id`` and each property's values by
    their JSON form (JSON-LD arrays of values are unordered sets), so the bytes are
    stable whatever order the graph holds its triples in.
    """
    # Read back at once, so rdflib writes it without indenting (its indenting runs
    # json's encoder in Python: a tenth of the writing at 100,000 entries).
    written = graph.serialize(format="json-ld", context=context, auto_compact=True, indent=None)
    compacted = json.loads(written)
    nodes = compacted.get("@graph", [compacted] if "id" in compacted else [])
    for item in nodes:
        for key, value in item.items():
            if isinstance(value, list):
                item[key] = sorted(value, key=_json_key)
    nodes.sort(key=lambda item: str(item.get("id", "")))
    document = {"@context": CONTEXT_FILE, "@graph": nodes}
    text = json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True)
    return (text + "\n").encode("utf-8")


def _json_key(value: object) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def load_context(path: Path) -> dict[str, object]:
    """Return the ``@context`` object of the JSON-LD context file at *path*.

    Raises ValueError naming the file when it is not a JSON object with ``@context``.
    """
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        context = document["@context"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ValueError(f"{path}: not a JSON-LD context file: {error}") from None
    if not isinstance(context, dict):
        raise ValueError(f"{path}: @context must be an object")
    return context


@dataclass(frozen=True)
class DumpFile:
    """A dump as written: its description, size and SHA-256."""

    dump: Dump
    size: int
    sha256: str
    # Set when the file holds less than the whole graph (a sampled JSON-LD dump).
    note: str | None = None


def describe_dump(dump: Dump, content: bytes, note: str | None = None) -> DumpFile:
    """Return the size and checksum of *content* written as *dump*."""
    return DumpFile(dump, len(content), hashlib.sha256(content).hexdigest(), note)


class GraphCounts:
    """The VoID statistics of a graph, counted one chunk of triples at a time (or in
    parts, joined with :meth:`merge`).

    The graph's triples must be distinct (each triple in one chunk only). Distinct
    subjects and objects need a set of every term, so they are counted only when
    *distinct* is true (a small graph); otherwise they are left out of the VoID.
    """

    def __init__(self, *, distinct: bool = True) -> None:
        self.triples = 0
        self._properties: Counter[NamedNode] = Counter()
        self._classes: Counter[object] = Counter()
        self._entities: set[str] = set()
        self._subjects: set[str] | None = set() if distinct else None
        self._objects: set[str] | None = set() if distinct else None

    def add(self, chunk: list[Triple]) -> None:
        """Count the triples of *chunk*."""
        self.add_terms([(t.subject, t.predicate, t.object) for t in chunk])

    def add_terms(self, chunk: Sequence[tuple[object, NamedNode, object]]) -> None:
        """Count the triples of *chunk*, each given as its (subject, predicate, object)
        terms (what :func:`hikgraph.model.entry_terms` makes)."""
        self.triples += len(chunk)
        self._properties.update(map(_SECOND, chunk))
        typed = [terms for terms in chunk if terms[1] == _TYPE_NODE]
        self._classes.update(map(_THIRD, typed))
        for subject, _, _ in typed:
            if isinstance(subject, NamedNode):
                iri = subject.value
                if iri.startswith(ID) and "#" not in iri:
                    self._entities.add(iri)
        if self._subjects is not None and self._objects is not None:
            self._subjects.update(str(terms[0]) for terms in chunk)
            self._objects.update(str(terms[2]) for terms in chunk)

    def merge(self, other: GraphCounts) -> None:
        """Add the counts of *other*, made of other triples of the same graph (e.g. one
        chunk's, counted in a worker process)."""
        self.triples += other.triples
        self._properties.update(other._properties)
        self._classes.update(other._classes)
        self._entities.update(other._entities)
        if self._subjects is not None and self._objects is not None:
            if other._subjects is None or other._objects is None:
                raise ValueError("cannot merge counts without distinct terms into counts with")
            self._subjects.update(other._subjects)
            self._objects.update(other._objects)

    def totals(self) -> GraphTotals:
        """Return the figures counted so far, without the sets of terms behind them (a
        million entities' IRIs pickle to ~0.1 GB; the figures to a few hundred bytes)."""
        return GraphTotals(
            triples=self.triples,
            entities=self.entities,
            distinct_subjects=self.distinct_subjects,
            distinct_objects=self.distinct_objects,
            properties=self.properties,
            classes=self.classes,
        )

    @property
    def entities(self) -> int:
        """Return the number of resources with an IRI of ours (no fragment) and a type."""
        return len(self._entities)

    @property
    def distinct_subjects(self) -> int | None:
        """Return the number of distinct subjects, or None when not counted."""
        return None if self._subjects is None else len(self._subjects)

    @property
    def distinct_objects(self) -> int | None:
        """Return the number of distinct objects, or None when not counted."""
        return None if self._objects is None else len(self._objects)

    @property
    def properties(self) -> dict[str, int]:
        """Return the number of triples per property IRI."""
        return {p.value: n for p, n in self._properties.items()}

    @property
    def classes(self) -> dict[str, int]:
        """Return the number of instances per class IRI."""
        return {c.value: n for c, n in self._classes.items() if isinstance(c, NamedNode)}


@dataclass(frozen=True)
class GraphTotals:
    """The VoID statistics :class:`GraphCounts` counted, as figures only
    (:meth:`GraphCounts.totals`)."""

    triples: int
    entities: int
    distinct_subjects: int | None
    distinct_objects: int | None
    properties: dict[str, int]  # triples per property IRI
    classes: dict[str, int]  # instances per class IRI


class _HashingWriter:
    """A binary file that keeps the SHA-256 and size of what is written to it."""

    def __init__(self, handle: BinaryIO) -> None:
        self._handle = handle
        self._digest = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self._digest.update(data)
        self.size += len(data)
        return self._handle.write(data)

    def append_file(self, source: Path) -> None:
        """Append the bytes of the file *source*: hashed from a read-only mapping and
        copied from file to file by the kernel (:func:`os.copy_file_range`), never
        through this process's memory; read and written in blocks where the system
        cannot copy so. Appending 20 files of 11 and 5 MB from the page cache, the
        chunks of 100,000 entries, took 0.4 CPU-s against 0.8 for reading and writing
        the blocks (2 runs each)."""
        with source.open("rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size == 0:
                return  # (an empty file cannot be mapped)
            with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as view:
                self._digest.update(view)
            self._handle.flush()  # what was written before goes first
            copied = 0
            with suppress(AttributeError):  # no os.copy_file_range: not Linux
                copied = _copy_file_range(handle.fileno(), self._handle.fileno(), size)
            if copied < size:
                handle.seek(copied)
                while block := handle.read(_BLOCK):
                    self._handle.write(block)
            self.size += size

    def flush(self) -> None:
        self._handle.flush()

    @property
    def sha256(self) -> str:
        return self._digest.hexdigest()


def _copy_file_range(source: int, target: int, size: int) -> int:
    # Copies up to *size* bytes from the start of file *source* to the current place
    # in file *target* and returns how many were copied: all of them, or 0 when the
    # system cannot (another file system, an old kernel), before any byte was copied.
    copied = 0
    while copied < size:
        try:
            step = os.copy_file_range(source, target, size - copied, copied)
        except OSError as error:
            if copied == 0 and error.errno in _CANNOT_COPY:
                return 0
            raise
        if step == 0:
            raise OSError(f"the file ended {size - copied} bytes early")
        copied += step
    return copied


#: What os.copy_file_range fails with where the kernel or file system cannot copy.
_CANNOT_COPY = {errno.EXDEV, errno.ENOSYS, errno.EOPNOTSUPP, errno.EINVAL, errno.EPERM}


#: Every hikgraph prefix, sorted by name: declared at the top of the Turtle dump.
TURTLE_PREFIXES = dict(sorted(PREFIXES.items()))


def turtle_header() -> bytes:
    """Return the ``@prefix`` lines of the Turtle dump (every hikgraph prefix, sorted
    by name) and the blank line that ends them."""
    lines = "".join(f"@prefix {name}: <{iri}> .\n" for name, iri in TURTLE_PREFIXES.items())
    return lines.encode() + b"\n"


def serialize_chunk(triples: Iterable[Triple] | Iterable[Terms]) -> tuple[bytes, bytes]:
    """Return *triples* (Triples or (subject, predicate, object) terms) as N-Triples
    (one line each, in their order) and as the body of the Turtle dump: no ``@prefix``
    lines (see :func:`turtle_header`), consecutive triples of one subject grouped.

    The bodies of consecutive chunks join into the body one writer would make of all
    their triples, provided no subject runs on from one chunk into the next; the
    build's chunks end and start with different subjects (whole entries).
    """
    # Each term's str() is its N-Triples form, as Oxigraph's writer writes it (a test
    # holds the two equal), so the lines are written from the terms, and the Turtle is
    # Oxigraph's, from those lines parsed back (by its own parser, in Rust). Making a
    # Triple of each term triple instead (~0.5 µs each with the collector paused) for
    # Oxigraph to write both saved nothing: 19.4 against 20.0 µs an entry.
    ntriples = _ntriples_lines(triples)
    parsed = parse(ntriples, format=RdfFormat.N_TRIPLES, lenient=True)
    turtle = serialize(parsed, format=RdfFormat.TURTLE, prefixes=TURTLE_PREFIXES)
    assert turtle is not None  # serialize returns bytes when given no output
    # Oxigraph declares every prefix first, in an order of its own; the dump's header
    # is written once, sorted, by DumpWriter.
    start = 0
    while turtle.startswith(b"@prefix ", start):
        start = turtle.index(b"\n", start) + 1
    return ntriples, turtle[start:]


def _ntriples_lines(triples: Iterable[Triple] | Iterable[Terms]) -> bytes:
    # An entry's triples share one subject object, and the graph's predicates and the
    # IRIs entries link to (topics, countries, evidence, outlets) are shared objects
    # (hikgraph.model.node): each is written and encoded once per run or chunk, not
    # once per triple. The memo is keyed by id(); the terms in it are kept, so no id is
    # reused while it is in the memo (a Triple makes new term objects at each
    # unpacking). Literals are written each time. The pieces are encoded one by one,
    # as most are ASCII, which encodes as a copy: the joined text of a chunk with one
    # non-ASCII headline is encoded character by character. For the 10,000 first
    # entries of the synthetic 100k directory (best of 5): 7.9 µs an entry, against
    # 14 µs for each line written whole and the text encoded joined.
    predicates: dict[int, bytes] = {}  # each ends with the space before the object
    objects: dict[int, bytes] = {}  # each ends the line
    kept: list[object] = []
    pieces: list[bytes] = []
    last: object = None
    subject = b""
    for s, p, o in triples:
        if s is not last:
            last, subject = s, str(s).encode() + b" "
        predicate = predicates.get(id(p))
        if predicate is None:
            predicate = predicates[id(p)] = str(p).encode() + b" "
            kept.append(p)
        value = objects.get(id(o))
        if value is None:
            value = str(o).encode() + b" .\n"
            if type(o) is NamedNode:
                objects[id(o)] = value
                kept.append(o)
        pieces += (subject, predicate, value)
    return b"".join(pieces)


class DumpWriter:
    """Writes the N-Triples and Turtle dumps into *folder* from serialised chunks (see
    :func:`serialize_chunk`), in the order given, keeping each file's size and SHA-256.

    Use as a context manager; :meth:`write` one chunk at a time, then :meth:`files`.
    Raises OSError when a file cannot be written.
    """

    def __init__(self, folder: Path) -> None:
        self._nt_dump, self._ttl_dump = (
            next(d for d in DUMPS if d.filename == name) for name in _STREAMED
        )
        self._nt_file = (folder / self._nt_dump.filename).open("wb")
        self._ttl_file = (folder / self._ttl_dump.filename).open("wb")
        self._nt = _HashingWriter(self._nt_file)
        self._ttl = _HashingWriter(self._ttl_file)
        self._ttl.write(turtle_header())

    def __enter__(self) -> DumpWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self._nt_file.close()
        self._ttl_file.close()

    def write(self, ntriples: bytes, turtle_body: bytes) -> None:
        """Append one chunk's N-Triples and Turtle body."""
        self._nt.write(ntriples)
        self._ttl.write(turtle_body)

    def append(self, ntriples: Path, turtle_body: Path) -> None:
        """Append one chunk's N-Triples and Turtle body from the files that hold them."""
        self._nt.append_file(ntriples)
        self._ttl.append_file(turtle_body)

    def files(self) -> tuple[DumpFile, DumpFile]:
        """Return the N-Triples and Turtle :class:`DumpFile` as written so far."""
        self._nt.flush()
        self._ttl.flush()
        return (
            DumpFile(self._nt_dump, self._nt.size, self._nt.sha256),
            DumpFile(self._ttl_dump, self._ttl.size, self._ttl.sha256),
        )


def void_triples(
    counts: GraphCounts | GraphTotals,
    dumps: Iterable[DumpFile],
    *,
    title: str,
    description: str,
    published: datetime,
    source_iris: Iterable[str],
    directory_iri: str,
) -> list[Triple]:
    """Return the VoID + DCAT description of the dataset with *counts*.

    Counts (triples, entities, distinct subjects and objects when counted, class and
    property partitions) come from *counts*; dates come from the source's publication
    date, never the clock.
    """
    dataset = node(DATASET)
    out: list[Triple] = []

    def add(subject: NamedNode, predicate: str, obj: NamedNode | Literal) -> None:
        out.append(Triple(subject, node(predicate), obj))

    def integer(value: int) -> Literal:
        return Literal(str(value), datatype=node(XSD + "integer"))

    classes = counts.classes
    properties = counts.properties
    issued = Literal(published.isoformat(), datatype=node(XSD + "dateTime"))

    add(dataset, _TYPE, node(VOID + "Dataset"))
    add(dataset, _TYPE, node(DCAT + "Dataset"))
    add(dataset, DCTERMS + "title", Literal(title, language="en"))
    add(dataset, DCTERMS + "description", Literal(description, language="en"))
    add(dataset, DCTERMS + "license", node("https://creativecommons.org/licenses/by/4.0/"))
    add(
        dataset,
        DCTERMS + "rights",
        Literal(
            "The graph is published under CC BY 4.0. Headlines and report titles are quoted "
            "from IPVM's directory and remain the work of their publishers.",
            language="en",
        ),
    )
    add(dataset, DCTERMS + "issued", issued)
    add(dataset, DCTERMS + "modified", issued)
    add(dataset, DCTERMS + "publisher", node(ID + "outlet/ipvm"))
    add(dataset, DCTERMS + "subject", node(directory_iri))
    for source in sorted(source_iris):
        add(dataset, DCTERMS + "source", node(source))
    add(dataset, DCAT + "keyword", Literal("Hikvision", language="en"))
    add(dataset, DCAT + "keyword", Literal("video surveillance", language="en"))
    add(dataset, DCAT + "keyword", Literal("news coverage", language="en"))
    add(dataset, VOID + "uriSpace", Literal(ID))
    add(dataset, VOID + "triples", integer(counts.triples))
    add(dataset, VOID + "entities", integer(counts.entities))
    if counts.distinct_subjects is not None:
        add(dataset, VOID + "distinctSubjects", integer(counts.distinct_subjects))
    if counts.distinct_objects is not None:
        add(dataset, VOID + "distinctObjects", integer(counts.distinct_objects))
    add(dataset, VOID + "properties", integer(len(properties)))
    add(dataset, VOID + "classes", integer(len(classes)))
    for vocabulary in (
        SCHEMA,
        PREFIXES["skos"],
        PREFIXES["prov"],
        PREFIXES["cito"],
        PREFIXES["hik"],
    ):
        add(dataset, VOID + "vocabulary", node(vocabulary))
    for class_iri, members in sorted(classes.items()):
        partition = node(f"{DATASET}#class-{_fragment(class_iri)}")
        add(dataset, VOID + "classPartition", partition)
        add(partition, VOID + "class", node(class_iri))
        add(partition, VOID + "entities", integer(members))
    for property_iri, count in sorted(properties.items()):
        partition = node(f"{DATASET}#property-{_fragment(property_iri)}")
        add(dataset, VOID + "propertyPartition", partition)
        add(partition, VOID + "property", node(property_iri))
        add(partition, VOID + "triples", integer(count))
    for dump_file in dumps:
        dump = dump_file.dump
        distribution = node(f"{DATASET}#dump-{dump.filename.replace('.', '-')}")
        download = node(f"{BASE}{dump.filename}")
        add(dataset, VOID + "dataDump", download)
        add(dataset, DCAT + "distribution", distribution)
        add(distribution, _TYPE, node(DCAT + "Distribution"))
        add(distribution, DCTERMS + "title", Literal(dump.title, language="en"))
        if dump_file.note:
            add(distribution, DCTERMS + "description", Literal(dump_file.note, language="en"))
        add(distribution, DCAT + "downloadURL", download)
        add(
            distribution,
            DCAT + "mediaType",
            node(f"https://www.iana.org/assignments/media-types/{dump.media_type}"),
        )
        add(distribution, DCTERMS + "format", Literal(dump.media_type))
        add(
            distribution,
            DCAT + "byteSize",
            Literal(str(dump_file.size), datatype=node(XSD + "nonNegativeInteger")),
        )
        add(distribution, node(SCHEMA + "sha256").value, Literal(dump_file.sha256))
        add(distribution, DCTERMS + "license", node("https://creativecommons.org/licenses/by/4.0/"))
        add(distribution, DCTERMS + "issued", issued)
    return sort_triples(out)


def _fragment(iri: str) -> str:
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(namespace):
            return f"{prefix}-{iri[len(namespace) :]}"
    return hashlib.sha256(iri.encode("utf-8")).hexdigest()[:12]
