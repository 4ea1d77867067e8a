"""Query results as bytes: the W3C SPARQL 1.1 result formats, a terminal table, and
Turtle / N-Triples / JSON-LD for CONSTRUCT and DESCRIBE.

Each writer follows its spec to the letter and is deterministic (same result, same
bytes):

- JSON: https://www.w3.org/TR/sparql11-results-json/ (unbound variables left out
  of a binding; simple literals without a datatype; ``xml:lang`` on language-tagged
  ones).
- XML: https://www.w3.org/TR/rdf-sparql-XMLres/ (namespace
  ``http://www.w3.org/2005/sparql-results#``).
- CSV and TSV: https://www.w3.org/TR/sparql11-results-csv-tsv/ (CSV: RFC 4180
  quoting, CRLF, bare values; TSV: ``?``-prefixed header, LF, terms in Turtle
  syntax). Neither defines a form for ASK, so asking for one is an error.

A result cut short by a row cap carries ``"truncated": true`` in the JSON ``head``
(readers ignore members they do not know); the other formats have no place for it,
so the server also says so in a response header.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from pyoxigraph import BlankNode, Literal, NamedNode, Triple

from hikgraph.model import PREFIXES, XSD
from hikgraph.sparql import AskResult, GraphResult, QueryResult, SelectResult, Term

_XSD_STRING = XSD + "string"
_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
SPARQL_RESULTS_NS = "http://www.w3.org/2005/sparql-results#"


class FormatError(ValueError):
    """A format that cannot express the result (e.g. CSV for ASK, JSON-LD for SELECT)."""


@dataclass(frozen=True)
class ResultFormat:
    """One way to write results: its name for ``--format``, its media type, and whether
    it writes solutions (SELECT/ASK) or graphs (CONSTRUCT/DESCRIBE)."""

    name: str
    media_type: str
    for_graphs: bool

    @property
    def content_type(self) -> str:
        """Return the Content-Type header value (text types say they are UTF-8)."""
        if self.media_type.startswith("text/"):
            return f"{self.media_type}; charset=utf-8"
        return self.media_type


SOLUTION_FORMATS = {
    f.name: f
    for f in (
        ResultFormat("json", "application/sparql-results+json", False),
        ResultFormat("xml", "application/sparql-results+xml", False),
        ResultFormat("csv", "text/csv", False),
        ResultFormat("tsv", "text/tab-separated-values", False),
        ResultFormat("table", "text/plain", False),
    )
}
GRAPH_FORMATS = {
    f.name: f
    for f in (
        ResultFormat("turtle", "text/turtle", True),
        ResultFormat("nt", "application/n-triples", True),
        ResultFormat("jsonld", "application/ld+json", True),
        ResultFormat("rdfxml", "application/rdf+xml", True),
    )
}
FORMATS = {**SOLUTION_FORMATS, **GRAPH_FORMATS}


def render(result: QueryResult, format_name: str) -> bytes:
    """Return *result* written in the format named *format_name* (a key of FORMATS).

    Raises :class:`FormatError` when the format cannot express this kind of result.
    """
    if format_name not in FORMATS:
        raise FormatError(f"unknown result format {format_name!r}")
    if isinstance(result, GraphResult):
        if format_name not in GRAPH_FORMATS:
            raise FormatError(
                f"a CONSTRUCT or DESCRIBE result is a graph: use one of "
                f"{', '.join(GRAPH_FORMATS)}, not {format_name}"
            )
        return _GRAPH_WRITERS[format_name](result.triples)
    if format_name not in SOLUTION_FORMATS:
        raise FormatError(
            f"a SELECT or ASK result is a table: use one of "
            f"{', '.join(SOLUTION_FORMATS)}, not {format_name}"
        )
    if isinstance(result, AskResult) and format_name in ("csv", "tsv"):
        raise FormatError(
            f"the SPARQL 1.1 {format_name.upper()} format has no form for an ASK result: "
            "use json, xml or table"
        )
    return _SOLUTION_WRITERS[format_name](result)


# --- JSON ---------------------------------------------------------------------------


def _json_term(term: Term) -> dict[str, object]:
    if isinstance(term, NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, Literal):
        out: dict[str, object] = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != _XSD_STRING:
            out["datatype"] = term.datatype.value
        return out
    return {
        "type": "triple",
        "value": {
            "subject": _json_term(term.subject),
            "predicate": _json_term(term.predicate),
            "object": _json_term(term.object),
        },
    }


def to_json(result: SelectResult | AskResult) -> bytes:
    """Return *result* as SPARQL 1.1 Query Results JSON."""
    document: dict[str, object]
    if isinstance(result, AskResult):
        document = {"head": {}, "boolean": result.value}
    else:
        head: dict[str, object] = {"vars": list(result.variables)}
        if result.truncated:
            head["truncated"] = True
        bindings = [
            {
                name: _json_term(term)
                for name, term in zip(result.variables, row, strict=True)
                if term is not None
            }
            for row in result.rows
        ]
        document = {"head": head, "results": {"bindings": bindings}}
    return (json.dumps(document, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


# --- XML ----------------------------------------------------------------------------


def _xml_term(term: Term) -> str:
    if isinstance(term, NamedNode):
        return f"<uri>{escape(term.value)}</uri>"
    if isinstance(term, BlankNode):
        return f"<bnode>{escape(term.value)}</bnode>"
    if isinstance(term, Literal):
        if term.language:
            attribute = f" xml:lang={quoteattr(term.language)}"
        elif term.datatype.value != _XSD_STRING:
            attribute = f" datatype={quoteattr(term.datatype.value)}"
        else:
            attribute = ""
        return f"<literal{attribute}>{escape(term.value)}</literal>"
    return (
        f"<triple><subject>{_xml_term(term.subject)}</subject>"
        f"<predicate>{_xml_term(term.predicate)}</predicate>"
        f"<object>{_xml_term(term.object)}</object></triple>"
    )


def to_xml(result: SelectResult | AskResult) -> bytes:
    """Return *result* as SPARQL Query Results XML."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', f'<sparql xmlns="{SPARQL_RESULTS_NS}">']
    if isinstance(result, AskResult):
        lines += ["  <head/>", f"  <boolean>{'true' if result.value else 'false'}</boolean>"]
    else:
        lines.append("  <head>")
        lines += [f"    <variable name={quoteattr(name)}/>" for name in result.variables]
        lines += ["  </head>", "  <results>"]
        for row in result.rows:
            lines.append("    <result>")
            lines += [
                f"      <binding name={quoteattr(name)}>{_xml_term(term)}</binding>"
                for name, term in zip(result.variables, row, strict=True)
                if term is not None
            ]
            lines.append("    </result>")
        lines.append("  </results>")
    lines.append("</sparql>")
    return ("\n".join(lines) + "\n").encode("utf-8")


# --- CSV and TSV --------------------------------------------------------------------


def _csv_field(term: Term | None) -> str:
    if term is None:
        return ""
    if isinstance(term, BlankNode):
        value = f"_:{term.value}"
    elif isinstance(term, (NamedNode, Literal)):
        value = term.value
    else:
        value = turtle_term(term)
    if any(char in value for char in ',"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


def to_csv(result: SelectResult) -> bytes:
    """Return *result* as SPARQL 1.1 CSV: header of names, CRLF, values only."""
    lines = [",".join(_csv_field_name(name) for name in result.variables)]
    lines += [",".join(_csv_field(term) for term in row) for row in result.rows]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def _csv_field_name(name: str) -> str:
    return name  # SPARQL variable names never hold a comma, quote or line break


_TURTLE_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}
# Short forms only where every reader gives back the same lexical form: canonical
# integers and booleans. Readers rewrite "+5", "1.5E3" or "-0.50" (to "5", "1500.0",
# or an error in rdflib 7.6), so decimals and doubles are always written in full.
_SHORT_FORMS = {
    XSD + "integer": re.compile(r"-?(0|[1-9]\d*)\Z"),
    XSD + "boolean": re.compile(r"(true|false)\Z"),
}


def turtle_term(term: Term) -> str:
    """Return *term* in Turtle / SPARQL syntax on one line (canonical integers and
    booleans in their short form)."""
    if isinstance(term, NamedNode):
        return f"<{term.value}>"
    if isinstance(term, BlankNode):
        return f"_:{term.value}"
    if isinstance(term, Literal):
        datatype = term.datatype.value
        short = _SHORT_FORMS.get(datatype)
        if short is not None and short.match(term.value):
            return term.value
        quoted = '"' + "".join(_TURTLE_ESCAPES.get(c, c) for c in term.value) + '"'
        if term.language:
            return f"{quoted}@{term.language}"
        if datatype in (_XSD_STRING, _LANG_STRING):
            return quoted
        return f"{quoted}^^<{datatype}>"
    return (
        f"<< {turtle_term(term.subject)} {turtle_term(term.predicate)} "
        f"{turtle_term(term.object)} >>"
    )


def to_tsv(result: SelectResult) -> bytes:
    """Return *result* as SPARQL 1.1 TSV: ``?``-named header, LF, Turtle terms."""
    lines = ["\t".join(f"?{name}" for name in result.variables)]
    lines += [
        "\t".join("" if term is None else turtle_term(term) for term in row) for row in result.rows
    ]
    return ("\n".join(lines) + "\n").encode("utf-8")


# --- a table for people ---------------------------------------------------------------


def short_term(term: Term | None) -> str:
    """Return *term* as a person reads it: IRIs as ``prefix:name`` where a hikgraph
    prefix fits, literals as their text, line breaks shown as ``⏎``."""
    if term is None:
        return ""
    if isinstance(term, NamedNode):
        return compact_iri(term.value)
    if isinstance(term, BlankNode):
        return f"_:{term.value}"
    if isinstance(term, Literal):
        return term.value.replace("\r\n", "⏎").replace("\n", "⏎").replace("\t", " ")
    return turtle_term(term)


def compact_iri(iri: str) -> str:
    """Return *iri* as ``prefix:local`` with the longest hikgraph namespace that fits,
    or unchanged."""
    best: tuple[str, str] | None = None
    for prefix, namespace in PREFIXES.items():
        if (
            iri.startswith(namespace)
            and (best is None or len(namespace) > len(best[1]))
            and _LOCAL_NAME.fullmatch(iri[len(namespace) :])
        ):
            best = (prefix, namespace)
    return f"{best[0]}:{iri[len(best[1]) :]}" if best else iri


_LOCAL_NAME = re.compile(r"[A-Za-z0-9_][\w-]*(\.[\w-]+)*")


def to_table(result: SelectResult | AskResult) -> bytes:
    """Return *result* as an aligned plain-text table with a row count."""
    if isinstance(result, AskResult):
        return b"true\n" if result.value else b"false\n"
    header = list(result.variables)
    cells = [[short_term(term) for term in row] for row in result.rows]
    widths = [max([len(name), *(len(row[i]) for row in cells)]) for i, name in enumerate(header)]

    def line(values: list[str]) -> str:
        return "  ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)).rstrip()

    lines = [line(header), line(["-" * w for w in widths]), *(line(row) for row in cells)]
    count = len(cells)
    footer = f"({count} row{'s' if count != 1 else ''}"
    footer += ", truncated by the row limit)" if result.truncated else ")"
    lines.append(footer)
    return ("\n".join(lines) + "\n").encode("utf-8")


# --- graphs -------------------------------------------------------------------------


def _turtle(triples: list[Triple]) -> bytes:
    from hikgraph.export import sort_triples, to_turtle

    return to_turtle(sort_triples(triples))


def _ntriples(triples: list[Triple]) -> bytes:
    from hikgraph.export import sort_triples, to_ntriples

    return to_ntriples(sort_triples(triples))


def to_jsonld_document(triples: list[Triple]) -> bytes:
    """Return *triples* as compacted JSON-LD with hikgraph's context written inline,
    so the document stands alone (the dumps refer to ``context.jsonld`` beside them,
    which a query result or a served page does not have)."""
    from rdflib import Graph

    from hikgraph.export import load_context, to_jsonld
    from hikgraph.paths import ontology_dir

    context = load_context(ontology_dir() / "context.jsonld")
    graph = Graph(bind_namespaces="none")
    for triple in triples:
        graph.add(
            (_to_rdflib(triple.subject), _to_rdflib(triple.predicate), _to_rdflib(triple.object))
        )
    document = json.loads(to_jsonld(graph, context))
    document["@context"] = context
    text = json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True)
    return (text + "\n").encode("utf-8")


def _to_rdflib(term: Term) -> Any:
    # Term by term rather than through N-Triples, which would relabel blank nodes
    # and so change the bytes from one run to the next.
    from rdflib import BNode, URIRef
    from rdflib import Literal as RdflibLiteral

    if isinstance(term, NamedNode):
        return URIRef(term.value)
    if isinstance(term, BlankNode):
        return BNode(term.value)
    if isinstance(term, Literal):
        if term.language:
            return RdflibLiteral(term.value, lang=term.language)
        return RdflibLiteral(term.value, datatype=URIRef(term.datatype.value))
    raise FormatError("JSON-LD output cannot hold triple terms")


def _rdfxml(triples: list[Triple]) -> bytes:
    from pyoxigraph import RdfFormat, serialize

    from hikgraph.export import sort_triples

    content = serialize(sort_triples(triples), format=RdfFormat.RDF_XML)
    assert content is not None  # serialize returns bytes when given no output
    return content


_SOLUTION_WRITERS: dict[str, Callable[..., bytes]] = {
    "json": to_json,
    "xml": to_xml,
    "csv": to_csv,
    "tsv": to_tsv,
    "table": to_table,
}
_GRAPH_WRITERS: dict[str, Callable[[list[Triple]], bytes]] = {
    "turtle": _turtle,
    "nt": _ntriples,
    "jsonld": to_jsonld_document,
    "rdfxml": _rdfxml,
}
