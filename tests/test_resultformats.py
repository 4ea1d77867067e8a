"""The result writers against the W3C SPARQL 1.1 result-format specs: read back by two
independent parsers (rdflib's and Oxigraph's), and the structure each spec fixes."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET

import pytest
from pyoxigraph import (
    BlankNode,
    Literal,
    NamedNode,
    QueryBoolean,
    QueryResultsFormat,
    RdfFormat,
    Triple,
    parse,
    parse_query_results,
)
from rdflib.query import Result

from hikgraph.resultformats import FormatError, render, turtle_term
from hikgraph.sparql import AskResult, GraphResult, SelectResult
from hikgraph.store import from_rdflib

XSD = "http://www.w3.org/2001/XMLSchema#"
NS = "{http://www.w3.org/2005/sparql-results#}"

TRICKY = SelectResult(
    ("s", "o", "n"),
    [
        (NamedNode("https://w3id.org/hikgraph/id/outlet/bbc-news"), Literal('BBC, "News"'), None),
        (BlankNode("b0"), Literal("two\nlines\tand a tab \\ slash", language="en"), None),
        (
            NamedNode("http://example.org/a?b=c&d=%3Ce%3E"),
            Literal("Ünïcødé 中文 ‘quotes’"),
            Literal("42", datatype=NamedNode(XSD + "integer")),
        ),
        (None, Literal("2019-10", datatype=NamedNode(XSD + "gYearMonth")), None),
        (
            NamedNode("http://example.org/x"),
            # Oxigraph's JSON and XML readers rewrite a double's lexical form into
            # theirs ("1.5E3" → "1500.0"), so the value is given in that form here.
            Literal("1500.0", datatype=NamedNode(XSD + "double")),
            Literal("true", datatype=NamedNode(XSD + "boolean")),
        ),
        (
            NamedNode("http://example.org/y"),
            Literal("<b>&amp;</b>", datatype=NamedNode("http://example.org/dt")),
            Literal("-0.50", datatype=NamedNode(XSD + "decimal")),
        ),
    ],
)


def rdflib_rows(data: bytes, fmt: str) -> list[tuple[object, ...]]:
    result = Result.parse(io.BytesIO(data), format=fmt)
    return [tuple(from_rdflib(term) for term in row) for row in result]


def oxigraph_rows(data: bytes, fmt: QueryResultsFormat) -> list[tuple[object, ...]]:
    return [tuple(row) for row in parse_query_results(data, fmt)]


@pytest.mark.parametrize(
    ("name", "rdflib_format", "oxigraph_format"),
    [
        ("json", "json", QueryResultsFormat.JSON),
        ("xml", "xml", QueryResultsFormat.XML),
        ("tsv", "tsv", QueryResultsFormat.TSV),
    ],
)
def test_lossless_formats_read_back_by_two_parsers(
    name: str, rdflib_format: str, oxigraph_format: QueryResultsFormat
) -> None:
    data = render(TRICKY, name)
    assert rdflib_rows(data, rdflib_format) == TRICKY.rows
    assert oxigraph_rows(data, oxigraph_format) == TRICKY.rows
    assert render(TRICKY, name) == data  # deterministic


def test_json_structure() -> None:
    document = json.loads(render(TRICKY, "json"))
    assert list(document) == ["head", "results"]
    assert document["head"] == {"vars": ["s", "o", "n"]}
    first, second, third, fourth = document["results"]["bindings"][:4]
    assert first == {
        "s": {"type": "uri", "value": "https://w3id.org/hikgraph/id/outlet/bbc-news"},
        "o": {"type": "literal", "value": 'BBC, "News"'},  # a simple literal has no datatype
    }
    assert second["s"] == {"type": "bnode", "value": "b0"}
    assert second["o"]["xml:lang"] == "en" and "datatype" not in second["o"]
    assert third["n"] == {"type": "literal", "value": "42", "datatype": XSD + "integer"}
    assert "s" not in fourth  # unbound variables are left out


def test_json_flags_truncation_in_head_where_readers_ignore_it() -> None:
    cut = SelectResult(TRICKY.variables, TRICKY.rows[:1], truncated=True)
    data = render(cut, "json")
    assert json.loads(data)["head"] == {"vars": ["s", "o", "n"], "truncated": True}
    assert oxigraph_rows(data, QueryResultsFormat.JSON) == cut.rows
    assert rdflib_rows(data, "json") == cut.rows


def test_xml_structure() -> None:
    root = ET.fromstring(render(TRICKY, "xml"))
    assert root.tag == f"{NS}sparql"
    head, results = list(root)
    assert [v.get("name") for v in head.findall(f"{NS}variable")] == ["s", "o", "n"]
    assert results.tag == f"{NS}results"
    first = results.findall(f"{NS}result")[0]
    bindings = {b.get("name"): b[0] for b in first.findall(f"{NS}binding")}
    assert set(bindings) == {"s", "o"}
    assert bindings["s"].tag == f"{NS}uri"
    assert bindings["o"].tag == f"{NS}literal" and bindings["o"].attrib == {}
    lang = results.findall(f"{NS}result")[1].find(f"{NS}binding[@name='o']/{NS}literal")
    assert lang is not None
    assert lang.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"


@pytest.mark.parametrize("value", [True, False])
def test_ask_in_json_and_xml(value: bool) -> None:
    document = json.loads(render(AskResult(value), "json"))
    assert document == {"head": {}, "boolean": value}
    root = ET.fromstring(render(AskResult(value), "xml"))
    assert root.find(f"{NS}boolean").text == str(value).lower()  # type: ignore[union-attr]
    for data, fmt in (
        (render(AskResult(value), "json"), QueryResultsFormat.JSON),
        (render(AskResult(value), "xml"), QueryResultsFormat.XML),
    ):
        answer = parse_query_results(data, fmt)
        assert isinstance(answer, QueryBoolean) and bool(answer) is value
        rdflib_format = "json" if fmt == QueryResultsFormat.JSON else "xml"
        assert Result.parse(io.BytesIO(data), format=rdflib_format).askAnswer is value


@pytest.mark.parametrize("fmt", ["csv", "tsv"])
def test_csv_and_tsv_have_no_form_for_ask(fmt: str) -> None:
    with pytest.raises(FormatError, match="no form for an ASK result"):
        render(AskResult(True), fmt)


def test_csv_by_the_spec() -> None:
    data = render(TRICKY, "csv")
    text = data.decode("utf-8")
    assert text.startswith("s,o,n\r\n")  # names without '?', CRLF
    assert text.endswith("\r\n")
    records = list(csv.reader(io.StringIO(text, newline="")))
    assert records[0] == ["s", "o", "n"]
    assert records[1] == ["https://w3id.org/hikgraph/id/outlet/bbc-news", 'BBC, "News"', ""]
    assert records[2] == ["_:b0", "two\nlines\tand a tab \\ slash", ""]
    assert records[3][2] == "42"  # values only: no datatype, no language
    assert records[4] == ["", "2019-10", ""]
    read = [[getattr(v, "value", "") for v in row] for row in rdflib_rows(data, "csv")]
    assert read[0][:2] == records[1][:2]


def test_tsv_by_the_spec() -> None:
    lines = render(TRICKY, "tsv").decode("utf-8").split("\n")
    assert lines[0] == "?s\t?o\t?n"
    assert lines[1] == '<https://w3id.org/hikgraph/id/outlet/bbc-news>\t"BBC, \\"News\\""\t'
    assert lines[2] == '_:b0\t"two\\nlines\\tand a tab \\\\ slash"@en\t'
    assert lines[3].endswith("\t42")  # integers in their short Turtle form
    assert lines[-1] == ""  # every row ends with a newline


@pytest.mark.parametrize(
    ("term", "turtle"),
    [
        (Literal("42", datatype=NamedNode(XSD + "integer")), "42"),
        (Literal("-7", datatype=NamedNode(XSD + "integer")), "-7"),
        (Literal("042", datatype=NamedNode(XSD + "integer")), f'"042"^^<{XSD}integer>'),
        (Literal("+5", datatype=NamedNode(XSD + "integer")), f'"+5"^^<{XSD}integer>'),
        (Literal("4 2", datatype=NamedNode(XSD + "integer")), f'"4 2"^^<{XSD}integer>'),
        (Literal("-0.50", datatype=NamedNode(XSD + "decimal")), f'"-0.50"^^<{XSD}decimal>'),
        (Literal("1.5E3", datatype=NamedNode(XSD + "double")), f'"1.5E3"^^<{XSD}double>'),
        (Literal("1.5", datatype=NamedNode(XSD + "double")), f'"1.5"^^<{XSD}double>'),
        (Literal("true", datatype=NamedNode(XSD + "boolean")), "true"),
        (Literal("x"), '"x"'),
    ],
)
def test_short_forms_only_where_every_reader_keeps_the_lexical_form(
    term: Literal, turtle: str
) -> None:
    assert turtle_term(term) == turtle
    document = f"<http://a> <http://b> {turtle} .".encode()
    assert next(iter(parse(document, format=RdfFormat.TURTLE))).object == term


def test_table_for_people() -> None:
    text = render(TRICKY, "table").decode("utf-8")
    lines = text.splitlines()
    assert lines[0].split() == ["s", "o", "n"]
    assert set(lines[1].replace(" ", "")) == {"-"}
    assert lines[2].startswith("outlet:bbc-news  ")  # IRIs shortened with the prefixes
    assert "two⏎lines and a tab" in lines[3]  # one row per line, always
    assert lines[-1] == "(6 rows)"
    assert render(AskResult(False), "table") == b"false\n"


GRAPH = GraphResult(
    [
        Triple(
            NamedNode("https://w3id.org/hikgraph/id/country/GB"),
            NamedNode("http://schema.org/name"),
            Literal("United Kingdom", language="en"),
        ),
        Triple(
            BlankNode("x"),
            NamedNode("http://schema.org/about"),
            NamedNode("https://w3id.org/hikgraph/id/country/GB"),
        ),
    ]
)


@pytest.mark.parametrize("fmt", ["turtle", "nt", "jsonld", "rdfxml"])
def test_graph_formats_read_back(fmt: str) -> None:
    from rdflib import Graph
    from rdflib.compare import isomorphic

    data = render(GRAPH, fmt)
    rdflib_format = {"turtle": "turtle", "nt": "nt", "jsonld": "json-ld", "rdfxml": "xml"}[fmt]
    expected = Graph().parse(data=render(GRAPH, "nt"), format="nt")
    assert isomorphic(Graph().parse(data=data, format=rdflib_format), expected)
    assert render(GRAPH, fmt) == data


def test_jsonld_carries_its_context_inline() -> None:
    document = json.loads(render(GRAPH, "jsonld"))
    assert isinstance(document["@context"], dict)  # nothing to fetch


@pytest.mark.parametrize(("result", "fmt"), [(GRAPH, "json"), (TRICKY, "turtle"), (TRICKY, "yaml")])
def test_a_format_that_cannot_express_the_result_is_refused(result: object, fmt: str) -> None:
    with pytest.raises(FormatError):
        render(result, fmt)  # type: ignore[arg-type]
