"""What the server publishes besides query results: readable labels of resources, the
ontology and dataset documents, and the SPARQL service description.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pyoxigraph import Literal, NamedNode, RdfFormat, Triple, parse

from hikgraph.model import DATASET, DCTERMS, HIK, RDF, VOID
from hikgraph.pages import render_document, server_href
from hikgraph.protocol import Request
from hikgraph.sparql import SelectResult
from hikgraph.store import GraphStore

RESOURCE_OFFERS = {
    "text/html": "html",
    "text/turtle": "turtle",
    "application/ld+json": "jsonld",
    "application/n-triples": "nt",
    "application/rdf+xml": "rdfxml",
    "application/x-turtle": "turtle",
    "application/json": "jsonld",
    "text/plain": "nt",
}
SD = "http://www.w3.org/ns/sparql-service-description#"
FORMATS_NS = "http://www.w3.org/ns/formats/"
_LABEL_PROPERTIES = (
    "http://schema.org/name",
    "http://schema.org/headline",
    "http://www.w3.org/2004/02/skos/core#prefLabel",
    "http://www.w3.org/2000/01/rdf-schema#label",
    "http://purl.org/dc/terms/title",
    "https://w3id.org/hikgraph/ontology#explanation",  # an evidence resource
)
_LABEL_BATCH = 500


@lru_cache(maxsize=1)
def graph_aliases() -> dict[str, str]:
    """Return the ``format=`` values a client may send for a graph result (names,
    media types and the names SPARQLWrapper uses) → format name."""
    aliases = {
        "turtle": "turtle",
        "ttl": "turtle",
        "n3": "turtle",
        "nt": "nt",
        "ntriples": "nt",
        "n-triples": "nt",
        "jsonld": "jsonld",
        "json-ld": "jsonld",
        "json": "jsonld",
        "xml": "rdfxml",
        "rdfxml": "rdfxml",
        "rdf+xml": "rdfxml",
        "html": "html",
    }
    aliases.update({media: name for media, name in RESOURCE_OFFERS.items()})
    return aliases


def labels_of(store: GraphStore, iris: Iterable[str]) -> dict[str, str]:
    """Return a readable name for each of *iris* that has one in *store* (schema:name,
    headline, skos:prefLabel, rdfs:label, dcterms:title; English or untagged first)."""
    wanted = sorted({iri for iri in iris if _is_plain_iri(iri)})
    found: dict[str, tuple[int, str]] = {}
    for start in range(0, len(wanted), _LABEL_BATCH):
        batch = " ".join(f"<{iri}>" for iri in wanted[start : start + _LABEL_BATCH])
        properties = "|".join(f"<{p}>" for p in _LABEL_PROPERTIES)
        result = store.query(
            f"SELECT ?s ?label WHERE {{ VALUES ?s {{ {batch} }} ?s {properties} ?label }}"
        )
        assert isinstance(result, SelectResult)
        for subject, label in result.rows:
            if not isinstance(subject, NamedNode) or not isinstance(label, Literal):
                continue
            candidate = _label_rank(label)
            if subject.value not in found or candidate < found[subject.value]:
                found[subject.value] = candidate
    return {iri: label for iri, (_, label) in found.items()}


def labels_in(triples: Iterable[Triple]) -> dict[str, str]:
    """Return, for each subject of *triples* that has one, the label :func:`labels_of`
    would pick, read from the triples themselves instead of a store (the static
    site reads the whole graph once)."""
    found: dict[str, tuple[int, str]] = {}
    for triple in triples:
        subject, label = triple.subject, triple.object
        if (
            triple.predicate.value not in _LABEL_PROPERTIES
            or not isinstance(subject, NamedNode)
            or not isinstance(label, Literal)
        ):
            continue
        candidate = _label_rank(label)
        if subject.value not in found or candidate < found[subject.value]:
            found[subject.value] = candidate
    return {iri: label for iri, (_, label) in found.items()}


def _label_rank(label: Literal) -> tuple[int, str]:
    # English or untagged first, then the alphabetically first, so the choice does
    # not depend on the order an engine returns the labels in.
    return (0 if label.language in ("", None, "en") else 1, label.value)


def _is_plain_iri(iri: str) -> bool:
    try:
        NamedNode(iri)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class GraphDocument:
    """A document served as a whole (the ontology, the dataset description)."""

    title: str
    triples: list[Triple]
    turtle: bytes | None = None
    intro: str = ""

    def html(self) -> str:
        """Return the document as an HTML page, one section per subject."""
        labels: dict[str, str] = {}
        for triple in self.triples:
            if triple.predicate.value in _LABEL_PROPERTIES and isinstance(triple.object, Literal):
                labels.setdefault(triple.subject.value, triple.object.value)  # type: ignore[union-attr]
        return render_document(
            self.title, self.triples, labels, href=server_href, anchor=_anchor, intro=self.intro
        )


def _anchor(iri: str) -> str | None:
    if iri.startswith(HIK):
        return iri[len(HIK) :]
    if iri.startswith(DATASET + "#"):
        return iri[len(DATASET) + 1 :]
    return None


def _read_turtle(path: Path) -> tuple[list[Triple], bytes]:
    content = path.read_bytes()
    quads = parse(content, RdfFormat.TURTLE, base_iri=None)
    return [Triple(q.subject, q.predicate, q.object) for q in quads], content


def ontology_document() -> GraphDocument:
    """Return the ontology (``ontology/hikgraph.ttl``) as a :class:`GraphDocument`."""
    from hikgraph.paths import ontology_dir

    triples, content = _read_turtle(ontology_dir() / "hikgraph.ttl")
    return GraphDocument(
        "The hikgraph ontology",
        triples,
        content,
        "Classes and properties that schema.org, SKOS, PROV, DCTERMS and CiTO lack.",
    )


def dataset_document(exports_dir: Path | None) -> GraphDocument | None:
    """Return the VoID/DCAT description (``void.ttl`` of *exports_dir*), or None when
    it has not been built."""
    from hikgraph.paths import default_exports_dir

    path = (exports_dir or default_exports_dir()) / "void.ttl"
    if not path.is_file():
        return None
    triples, content = _read_turtle(path)
    return GraphDocument("The hikgraph dataset", triples, content)


def service_description(request: Request, limits: str) -> list[Triple]:
    """Return the SPARQL 1.1 Service Description of the endpoint *request* reached:
    https://www.w3.org/TR/sparql11-service-description/."""
    host = request.header("host", "127.0.0.1")
    if not re.fullmatch(r"[A-Za-z0-9.\-]+(:\d+)?|\[[0-9A-Fa-f:.]+\](:\d+)?", host):
        host = "127.0.0.1"  # the Host header is the client's word; keep the IRI valid
    endpoint = NamedNode(f"http://{host}/sparql")
    dataset = NamedNode(DATASET)
    a = NamedNode(RDF + "type")

    def sd(name: str) -> NamedNode:
        return NamedNode(SD + name)

    triples = [
        Triple(endpoint, a, sd("Service")),
        Triple(endpoint, sd("endpoint"), endpoint),
        Triple(endpoint, sd("supportedLanguage"), sd("SPARQL11Query")),
        Triple(endpoint, sd("defaultDataset"), dataset),
        Triple(endpoint, NamedNode(DCTERMS + "description"), Literal(limits, language="en")),
        Triple(dataset, a, sd("Dataset")),
        Triple(dataset, a, NamedNode(VOID + "Dataset")),
    ]
    for name in (
        "SPARQL_Results_JSON",
        "SPARQL_Results_XML",
        "SPARQL_Results_CSV",
        "SPARQL_Results_TSV",
        "Turtle",
        "N-Triples",
        "JSON-LD",
        "RDF_XML",
    ):
        triples.append(Triple(endpoint, sd("resultFormat"), NamedNode(FORMATS_NS + name)))
    return triples
