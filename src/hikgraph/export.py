"""Deterministic writers for the published dumps: Turtle, N-Triples, JSON-LD and VoID.

The same triples give the same bytes whatever order they arrive in: every writer
sorts first. Turtle and N-Triples are written by Oxigraph; JSON-LD is compacted by
rdflib against the local context ``context.jsonld``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pyoxigraph import Literal, NamedNode, RdfFormat, Triple, serialize
from rdflib import Graph

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
    node,
)

CONTEXT_FILE = "context.jsonld"
_TYPE = RDF + "type"


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
    compacted = json.loads(graph.serialize(format="json-ld", context=context, auto_compact=True))
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


def describe_dump(dump: Dump, content: bytes) -> DumpFile:
    """Return the size and checksum of *content* written as *dump*."""
    return DumpFile(dump, len(content), hashlib.sha256(content).hexdigest())


def void_triples(
    triples: list[Triple],
    dumps: Iterable[DumpFile],
    *,
    title: str,
    description: str,
    published: datetime,
    source_iris: Iterable[str],
    directory_iri: str,
) -> list[Triple]:
    """Return the VoID + DCAT description of the dataset made of *triples*.

    Counts (triples, entities, distinct subjects and objects, class partitions) come
    from *triples*; dates come from the source's publication date, never the clock.
    """
    dataset = node(DATASET)
    out: list[Triple] = []

    def add(subject: NamedNode, predicate: str, obj: NamedNode | Literal) -> None:
        out.append(Triple(subject, node(predicate), obj))

    def integer(value: int) -> Literal:
        return Literal(str(value), datatype=node(XSD + "integer"))

    subjects = {t.subject for t in triples}
    entities = {
        s
        for s in subjects
        if isinstance(s, NamedNode) and s.value.startswith(ID) and "#" not in s.value
    }
    classes: dict[str, set[str]] = {}
    for triple in triples:
        if triple.predicate.value == _TYPE and isinstance(triple.object, NamedNode):
            classes.setdefault(triple.object.value, set()).add(str(triple.subject))
    properties: dict[str, int] = {}
    for triple in triples:
        properties[triple.predicate.value] = properties.get(triple.predicate.value, 0) + 1
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
    add(dataset, VOID + "triples", integer(len(triples)))
    add(dataset, VOID + "entities", integer(len(entities)))
    add(dataset, VOID + "distinctSubjects", integer(len(subjects)))
    add(dataset, VOID + "distinctObjects", integer(len({t.object for t in triples})))
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
        add(partition, VOID + "entities", integer(len(members)))
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
