"""SHACL validation of the graph against ``ontology/shapes.ttl`` with pySHACL."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pyoxigraph import BlankNode, Literal, NamedNode, Triple
from rdflib import Graph, URIRef
from rdflib import Literal as RdflibLiteral

from hikgraph.paths import ontology_dir

_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


@dataclass(frozen=True)
class ValidationResult:
    """The outcome of a SHACL run: whether the graph conforms, and the report text."""

    conforms: bool
    report: str
    violations: int


def rdflib_graph(triples: Iterable[Triple]) -> Graph:
    """Return an rdflib graph of the pyoxigraph *triples* (which hold no blank nodes).

    Converting the terms directly is about twice as fast as writing and re-parsing
    N-Triples; IRIs are converted once each.
    """
    iris: dict[str, URIRef] = {}

    def iri(value: str) -> URIRef:
        term = iris.get(value)
        if term is None:
            term = iris[value] = URIRef(value)
        return term

    def term(value: NamedNode | BlankNode | Literal | Triple) -> URIRef | RdflibLiteral:
        if isinstance(value, NamedNode):
            return iri(value.value)
        if isinstance(value, Literal):
            if value.language:
                return RdflibLiteral(value.value, lang=value.language)
            if value.datatype.value == _XSD_STRING:
                return RdflibLiteral(value.value)
            return RdflibLiteral(value.value, datatype=iri(value.datatype.value))
        raise ValueError(f"unexpected term in the graph: {value}")

    graph = Graph()
    add = graph.add
    for triple in triples:
        add((term(triple.subject), term(triple.predicate), term(triple.object)))
    return graph


def validate_ntriples(ntriples: bytes, shapes: Path | None = None) -> ValidationResult:
    """Validate the graph in *ntriples* against the SHACL shapes; see :func:`validate_graph`."""
    return validate_graph(Graph().parse(data=ntriples.decode("utf-8"), format="nt"), shapes)


def validate_graph(
    data: Graph, shapes: Path | None = None, *, in_place: bool = False
) -> ValidationResult:
    """Validate the rdflib graph *data* against the SHACL shapes (``shapes.ttl``).

    The ontology (``hikgraph.ttl``) is mixed in so ``sh:class`` sees its subclass
    axioms: into a copy of *data*, or, when *in_place*, into *data* itself, which
    spares copying a large graph (a third of the check at 100,000 entries) but leaves
    the ontology's triples in it. Returns a :class:`ValidationResult`; raises
    ValueError when the shapes cannot be parsed.
    """
    # pySHACL is the slowest import of the build, so it is loaded only here.
    import pyshacl
    from rdflib.namespace import SH

    shapes = shapes or ontology_dir() / "shapes.ttl"
    shapes_graph = Graph().parse(shapes, format="turtle")
    ontology = Graph().parse(ontology_dir() / "hikgraph.ttl", format="turtle")
    conforms, report_graph, report_text = pyshacl.validate(
        data,
        shacl_graph=shapes_graph,
        ont_graph=ontology,
        inference="none",
        allow_warnings=False,
        inplace=in_place,
    )
    violations = len(set(report_graph.subjects(predicate=SH.resultSeverity)))
    return ValidationResult(bool(conforms), str(report_text), violations)


def validate_file(path: Path, shapes: Path | None = None) -> ValidationResult:
    """Validate the graph in the N-Triples, Turtle or JSON-LD file at *path*.

    Returns a :class:`ValidationResult`; raises ValueError naming the file when it is
    missing or does not parse.
    """
    formats = {".nt": "nt", ".ttl": "turtle", ".jsonld": "json-ld"}
    rdf_format = formats.get(path.suffix)
    if rdf_format is None:
        raise ValueError(f"{path}: unknown RDF format (use .nt, .ttl or .jsonld)")
    if not path.is_file():
        raise ValueError(f"{path}: no such file")
    graph = Graph()
    try:
        if rdf_format == "json-ld":
            import json

            document = json.loads(path.read_text(encoding="utf-8"))
            context_path = path.parent / "context.jsonld"
            if document.get("@context") == "context.jsonld" and context_path.is_file():
                document["@context"] = json.loads(context_path.read_text(encoding="utf-8"))[
                    "@context"
                ]
            graph.parse(data=json.dumps(document), format="json-ld")
        else:
            graph.parse(path, format=rdf_format)
    except Exception as error:  # rdflib raises many unrelated types for bad input
        raise ValueError(f"{path}: does not parse as {rdf_format}: {error}") from None
    return validate_graph(graph, shapes)
