"""The SPARQL 1.1 Protocol at /sparql, in process: one case per rule of the spec
(https://www.w3.org/TR/sparql11-protocol/ and its test suite's negative cases), plus
content negotiation, limits and CORS."""

from __future__ import annotations

import io
import json
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from rdflib import Graph
from rdflib.query import Result

from hikgraph.protocol import Request, Response, negotiate
from hikgraph.server import App
from hikgraph.store import OxigraphStore

ASK = "ASK { ?s ?p ?o }"
SELECT = "SELECT ?c WHERE { ?c a <http://schema.org/Country> } ORDER BY ?c"
CONSTRUCT = (
    "CONSTRUCT { ?c <http://schema.org/name> ?n } WHERE "
    "{ ?c a <http://schema.org/Country> ; <http://schema.org/name> ?n }"
)
FORM = "application/x-www-form-urlencoded"
DIRECT = "application/sparql-query"


@pytest.fixture(scope="module")
def app(built: Path) -> App:
    return App(OxigraphStore.open(built), exports_dir=built, max_rows=20, max_body=4096)


def get(app: App, path: str, accept: str = "", **params: str | list[str]) -> Response:
    pairs = [(k, v) for k, vs in params.items() for v in (vs if isinstance(vs, list) else [vs])]
    query_string = urllib.parse.urlencode(pairs)
    return app.handle(Request("GET", path, query_string, {"accept": accept}))


def post(
    app: App, body: bytes, content_type: str | None, accept: str = "", url: str = ""
) -> Response:
    headers = {"accept": accept}
    if content_type is not None:
        headers["content-type"] = content_type
    return app.handle(Request("POST", "/sparql", url, headers, body))


def form(**params: str | list[str]) -> bytes:
    pairs = [(k, v) for k, vs in params.items() for v in (vs if isinstance(vs, list) else [vs])]
    return urllib.parse.urlencode(pairs).encode()


@dataclass
class Case:
    rule: str
    request: Request
    status: int
    content_type: str = ""
    body_has: list[str] = field(default_factory=list)


def _get(query_string: str, accept: str = "") -> Request:
    return Request("GET", "/sparql", query_string, {"accept": accept})


def _post(body: bytes, content_type: str | None, url: str = "") -> Request:
    headers = {} if content_type is None else {"content-type": content_type}
    return Request("POST", "/sparql", url, headers, body)


def q(**params: str) -> str:
    return urllib.parse.urlencode(params)


CASES = [
    # --- the three ways to send a query (§2.1.1–2.1.3)
    Case("query-via-get", _get(q(query=ASK)), 200, "application/sparql-results+json"),
    Case(
        "query-via-url-encoded-post",
        _post(form(query=ASK), FORM),
        200,
        "application/sparql-results+json",
    ),
    Case(
        "query-via-post-directly",
        _post(ASK.encode(), DIRECT),
        200,
        "application/sparql-results+json",
    ),
    Case("post-directly-with-utf8-charset", _post(ASK.encode(), f"{DIRECT}; charset=UTF-8"), 200),
    Case("form-charset-utf8", _post(form(query=ASK), f"{FORM}; charset=utf-8"), 200),
    # --- service description (§3: a GET with no query)
    Case(
        "no-query-describes-the-service",
        _get(""),
        200,
        "text/turtle",
        ["sparql-service-description#Service"],
    ),
    # --- negative cases of the W3C protocol tests
    Case("bad-query-method-put", Request("PUT", "/sparql", q(query=ASK)), 405),
    Case("bad-query-method-delete", Request("DELETE", "/sparql", q(query=ASK)), 405),
    Case(
        "bad-multiple-queries-get",
        _get(urllib.parse.urlencode([("query", ASK), ("query", ASK)])),
        400,
        "text/plain",
        ["2 'query' parameters"],
    ),
    Case("bad-multiple-queries-form", _post(form(query=[ASK, ASK]), FORM), 400),
    Case(
        "bad-query-in-url-and-body",
        _post(ASK.encode(), DIRECT, q(query=ASK)),
        400,
        "",
        ["two queries"],
    ),
    Case("bad-query-wrong-media-type", _post(ASK.encode(), "text/plain"), 415),
    Case("bad-query-missing-form-type", _post(form(query=ASK), None), 415),
    Case("bad-query-missing-direct-type", _post(ASK.encode(), None), 415),
    Case(
        "bad-query-non-utf8-direct",
        _post("ASK { ?s ?p 'café' }".encode("latin-1"), DIRECT),
        400,
        "",
        ["not UTF-8"],
    ),
    Case(
        "bad-query-non-utf8-form",
        _post(b"query=ASK%20%7B%20%3Fs%20%3Fp%20%27caf%E9%27%20%7D", FORM),
        400,
    ),
    Case("bad-query-non-utf8-get", _get("query=ASK%20%7B%20%3Fs%20%3Fp%20%27caf%E9%27%20%7D"), 400),
    Case("bad-query-other-charset", _post(ASK.encode("utf-16"), f"{DIRECT}; charset=UTF-16"), 415),
    Case(
        "bad-query-syntax",
        _get(q(query="ASK { ?s ?p }")),
        400,
        "text/plain",
        ["syntax error at line 1, column"],
    ),
    Case("bad-query-empty-form", _post(form(query=""), FORM), 400, "", ["syntax error"]),
    Case("bad-form-without-query", _post(form(other="x"), FORM), 400, "", ["no 'query'"]),
    Case(
        "bad-update-get",
        _get(q(update="INSERT DATA { <http://a> <http://b> <http://c> }")),
        400,
        "",
        ["read-only"],
    ),
    Case("bad-update-form-post", _post(form(update="CLEAR ALL"), FORM), 400, "", ["read-only"]),
    Case(
        "bad-update-direct-post",
        _post(b"CLEAR ALL", "application/sparql-update"),
        400,
        "",
        ["read-only"],
    ),
    Case(
        "update-sent-as-a-query",
        _get(q(query="INSERT DATA { <http://a> <http://b> <http://c> }")),
        400,
        "",
        ["read-only"],
    ),
    # --- closed: nothing outside the dataset
    Case("load-refused", _get(q(query="LOAD <file:///etc/passwd>")), 400, "", ["read-only"]),
    Case(
        "from-refused",
        _get(q(query="SELECT * FROM <file:///etc/passwd> { ?s ?p ?o }")),
        400,
        "",
        ["FROM is not supported"],
    ),
    Case(
        "from-named-refused",
        _post(form(query="SELECT * FROM NAMED <http://x/> { ?s ?p ?o }"), FORM),
        400,
        "",
        ["FROM NAMED"],
    ),
    Case(
        "service-refused",
        _post(b"SELECT * { SERVICE <http://example.org/s> { ?s ?p ?o } }", DIRECT),
        400,
        "",
        ["SERVICE"],
    ),
    Case(
        "default-graph-uri-refused",
        _get(q(query=ASK, **{"default-graph-uri": "file:///etc/passwd"})),
        400,
        "",
        ["default-graph-uri"],
    ),
    Case(
        "named-graph-uri-refused",
        _post(form(query=ASK, **{"named-graph-uri": "http://x/"}), FORM),
        400,
    ),
    # --- limits
    Case("body-over-the-limit", _post(b"ASK {" + b" " * 5000 + b"}", DIRECT), 413),
    # --- content negotiation (§2.1.4–2.1.5 and the result-format specs)
    Case("not-acceptable", _get(q(query=ASK), "image/png"), 406),
    Case("ask-has-no-csv", _get(q(query=ASK), "text/csv"), 406),
    Case(
        "select-as-xml",
        _get(q(query=SELECT), "application/sparql-results+xml"),
        200,
        "application/sparql-results+xml",
    ),
    Case("select-as-csv", _get(q(query=SELECT), "text/csv"), 200, "text/csv; charset=utf-8"),
    Case(
        "select-as-tsv",
        _get(q(query=SELECT), "text/tab-separated-values"),
        200,
        "text/tab-separated-values",
    ),
    Case(
        "quality-values-decide",
        _get(q(query=SELECT), "application/sparql-results+json;q=0.5, text/csv;q=0.9"),
        200,
        "text/csv",
    ),
    Case(
        "wildcard-takes-the-default",
        _get(q(query=SELECT), "*/*"),
        200,
        "application/sparql-results+json",
    ),
    Case(
        "format-parameter-wins",
        _get(q(query=SELECT, format="tsv"), "application/sparql-results+json"),
        200,
        "text/tab-separated-values",
    ),
    Case("unknown-format-parameter", _get(q(query=SELECT, format="yaml")), 406),
    Case("construct-as-turtle", _get(q(query=CONSTRUCT)), 200, "text/turtle"),
    Case(
        "construct-as-n-triples",
        _get(q(query=CONSTRUCT), "application/n-triples"),
        200,
        "application/n-triples",
    ),
    Case(
        "construct-as-json-ld",
        _get(q(query=CONSTRUCT), "application/ld+json"),
        200,
        "application/ld+json",
    ),
    Case(
        "construct-as-rdf-xml-for-sparqlwrapper",
        _get(q(query=CONSTRUCT, format="xml")),
        200,
        "application/rdf+xml",
    ),
    Case(
        "construct-not-as-sparql-json",
        _get(q(query=CONSTRUCT), "application/sparql-results+json"),
        406,
    ),
    Case(
        "browser-gets-the-results-page",
        _get(q(query=SELECT), "text/html,application/xhtml+xml,*/*;q=0.8"),
        200,
        "text/html",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.rule for c in CASES])
def test_protocol(app: App, case: Case) -> None:
    response = app.handle(case.request)
    assert response.status == case.status, response.body[:300]
    if case.content_type:
        assert (response.header("Content-Type") or "").startswith(case.content_type)
    for text in case.body_has:
        assert text in response.body.decode("utf-8")
    if case.status == 405:
        assert "POST" in (response.header("Allow") or "")
    if case.status >= 400:
        assert response.header("Content-Type") == "text/plain; charset=utf-8"
        assert response.body.count(b"\n") == 1  # one line saying why


def test_results_are_standard_documents(app: App) -> None:
    as_json = get(app, "/sparql", query=SELECT)
    rows = list(Result.parse(io.BytesIO(as_json.body), format="json"))
    assert len(rows) == 20  # the row limit of this app
    as_xml = get(app, "/sparql", "application/sparql-results+xml", query=ASK)
    assert Result.parse(io.BytesIO(as_xml.body), format="xml").askAnswer is True
    constructed = get(app, "/sparql", query=CONSTRUCT)
    graph = Graph().parse(data=constructed.body, format="turtle")
    assert len(graph) == 20  # graphs are capped by triples, and flagged
    assert constructed.header("Hikgraph-Truncated") == "true; max-rows=20"


def test_row_cap_flags_truncation(app: App) -> None:
    response = get(app, "/sparql", query=SELECT)
    assert response.header("Hikgraph-Truncated") == "true; max-rows=20"
    assert json.loads(response.body)["head"]["truncated"] is True
    small = get(
        app, "/sparql", query="SELECT ?c WHERE { ?c a <http://schema.org/Country> } LIMIT 3"
    )
    assert small.header("Hikgraph-Truncated") is None
    assert "truncated" not in json.loads(small.body)["head"]


def test_head_and_options(app: App) -> None:
    head = app.handle(Request("HEAD", "/sparql", urllib.parse.urlencode({"query": ASK})))
    assert head.status == 200
    options = app.handle(Request("OPTIONS", "/sparql"))
    assert options.status == 204
    assert options.header("Allow") == "GET, HEAD, POST, OPTIONS"
    assert options.header("Access-Control-Allow-Origin") is None  # CORS is opt-in


def test_cors_is_opt_in(built: Path) -> None:
    app = App(OxigraphStore.open(built), exports_dir=built, cors=True)
    response = get(app, "/sparql", query=ASK)
    assert response.header("Access-Control-Allow-Origin") == "*"
    assert response.header("Access-Control-Expose-Headers") == "Hikgraph-Truncated"
    preflight = app.handle(Request("OPTIONS", "/sparql", "", {"origin": "http://example.org"}))
    assert preflight.header("Access-Control-Allow-Methods") == "GET, HEAD, POST, OPTIONS"
    assert "Content-Type" in (preflight.header("Access-Control-Allow-Headers") or "")


def test_service_description_names_the_endpoint(app: App) -> None:
    request = Request(
        "GET", "/sparql", "", {"host": "127.0.0.1:8123", "accept": "application/n-triples"}
    )
    response = app.handle(request)
    graph = Graph().parse(data=response.body, format="nt")
    endpoint = "http://127.0.0.1:8123/sparql"
    sd = "http://www.w3.org/ns/sparql-service-description#"
    assert (None, None, None) in graph
    assert any(str(s) == endpoint and str(o) == sd + "Service" for s, _, o in graph)
    assert any(str(o) == sd + "SPARQL11Query" for o in graph.objects())
    hostile = app.handle(Request("GET", "/sparql", "", {"host": "x> <y"}))
    assert hostile.status == 200 and b"x> <y" not in hostile.body


@pytest.mark.parametrize(
    ("accept", "offers", "chosen"),
    [
        ("", ["text/html", "text/turtle"], "text/html"),
        ("text/turtle", ["text/html", "text/turtle"], "text/turtle"),
        ("text/*;q=0.5, text/turtle;q=0", ["text/html", "text/turtle"], "text/html"),
        (
            "application/json;q=0.2, */*;q=0.1",
            ["text/html", "application/json"],
            "application/json",
        ),
        ("image/png", ["text/html"], None),
        ("text/html;q=0", ["text/html"], None),
        ("TEXT/Turtle", ["text/turtle"], "text/turtle"),
    ],
)
def test_negotiate(accept: str, offers: list[str], chosen: str | None) -> None:
    assert negotiate(accept, offers) == chosen
