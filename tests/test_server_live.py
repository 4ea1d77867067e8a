"""One session against the real server: `hikgraph serve` in its own process on
127.0.0.1 (a free port), queried by real clients — SPARQLWrapper, curl, rdflib's
SPARQLStore, Comunica (an independent SPARQL engine, from npm) and hikgraph's own
--endpoint engine. Also: a runaway query is stopped while others are answered, and
queries that would reach out are refused without anything being reached."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from hikgraph.queries import named_query
from hikgraph.sparql import SelectResult
from hikgraph.store import OxigraphStore
from serve_process import STARTUP_LIMIT, hikgraph_serve

from conftest import ROOT, require_tool

ASK = "ASK { ?s ?p ?o }"
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"


@pytest.fixture(scope="module")
def server(built: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of a running `hikgraph serve` (stopped with SIGINT at the end)."""
    log = tmp_path_factory.mktemp("server") / "stderr.log"
    options = ["--exports", str(built), "--timeout", "4", "--max-rows", "1000", "--workers", "2"]
    with hikgraph_serve([*options, "--quiet"], log) as url:
        assert url.startswith("http://127.0.0.1:")
        yield url


@pytest.fixture(scope="module")
def local(built: Path) -> OxigraphStore:
    return OxigraphStore.open(built)


def fetch(
    url: str, *, data: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def sparql_get(
    server: str, query: str, accept: str = "application/sparql-results+json"
) -> tuple[int, dict[str, str], bytes]:
    return fetch(
        f"{server}/sparql?{urllib.parse.urlencode({'query': query})}", headers={"Accept": accept}
    )


def solutions(
    bindings: list[dict[str, dict[str, str]]], variables: list[str]
) -> Counter[tuple[object, ...]]:
    """SPARQL JSON bindings as a multiset of comparable rows."""

    def term(value: dict[str, str] | None) -> object:
        if value is None:
            return None
        kind = {"typed-literal": "literal"}.get(value["type"], value["type"])
        datatype = value.get("datatype", "")
        if datatype == "http://www.w3.org/2001/XMLSchema#string":
            datatype = ""
        return (kind, value["value"], value.get("xml:lang", ""), datatype)

    return Counter(tuple(term(b.get(v)) for v in variables) for b in bindings)


def local_solutions(
    store: OxigraphStore, query: str
) -> tuple[list[str], Counter[tuple[object, ...]]]:
    from hikgraph.resultformats import render

    result = store.query(query)
    assert isinstance(result, SelectResult)
    document = json.loads(render(result, "json"))
    variables = document["head"]["vars"]
    return variables, solutions(document["results"]["bindings"], variables)


# --- SPARQLWrapper ----------------------------------------------------------------------


def test_sparqlwrapper(server: str, local: OxigraphStore) -> None:
    from SPARQLWrapper import JSON, POST, TURTLE, XML, SPARQLWrapper

    query = named_query("articles-per-outlet").text
    client = SPARQLWrapper(f"{server}/sparql")
    client.setQuery(query)
    client.setReturnFormat(JSON)
    document = client.query().convert()
    variables, expected = local_solutions(local, query)
    assert document["head"]["vars"] == variables
    assert solutions(document["results"]["bindings"], variables) == expected

    client.setMethod(POST)
    client.setQuery(ASK)
    assert client.query().convert()["boolean"] is True

    client.setQuery("DESCRIBE <https://w3id.org/hikgraph/id/country/VN>")
    client.setReturnFormat(XML)  # SPARQLWrapper reads a graph in RDF/XML as an rdflib Graph
    graph = client.query().convert()
    assert "Vietnam" in {str(o) for o in graph.objects()}
    client.setReturnFormat(TURTLE)
    assert b'"Vietnam"@en' in client.query().convert()


# --- rdflib's SPARQLStore ---------------------------------------------------------------


def test_rdflib_sparqlstore(server: str, local: OxigraphStore) -> None:
    from rdflib import Graph
    from rdflib.plugins.stores.sparqlstore import SPARQLStore

    remote = Graph(store=SPARQLStore(f"{server}/sparql", returnFormat="json"))
    for name in ("articles-per-month", "entries-without-outlet"):
        query = named_query(name).text
        _, expected = local_solutions(local, query)
        rows = list(remote.query(query))
        assert len(rows) == sum(expected.values())
        assert {str(row[0]) for row in rows} == {str(k[0][1]) for k in expected}  # type: ignore[index]


# --- Comunica, an independent engine ---------------------------------------------------------


def comunica(server: str, query: str) -> dict[str, object]:
    binary = ROOT / "tests" / "js" / "node_modules" / ".bin" / "comunica-sparql"
    if not binary.exists():
        pytest.fail("Comunica is not installed; .ci/run runs `npm ci --prefix tests/js`")
    require_tool("node")
    result = subprocess.run(
        [
            str(binary),
            f"sparql@{server}/sparql",
            "-q",
            query,
            "-t",
            "application/sparql-results+json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    document: dict[str, object] = json.loads(result.stdout)
    return document


@pytest.mark.parametrize(
    "name",
    [
        "articles-per-outlet-country",
        "topics",
        "ipvm-reports",
        "headline-search",
        "outlets-with-wikidata",
    ],
)
def test_comunica_gets_the_same_solutions(server: str, local: OxigraphStore, name: str) -> None:
    query = named_query(name).text
    document = comunica(server, query)
    variables, expected = local_solutions(local, query)
    head = document["head"]
    assert isinstance(head, dict) and sorted(head["vars"]) == sorted(variables)
    results = document["results"]
    assert isinstance(results, dict)
    assert solutions(results["bindings"], variables) == expected


# --- curl: content negotiation and status codes ------------------------------------------------


def curl(server: str, *args: str) -> tuple[int, str, bytes]:
    """Run curl; return the status, the Content-Type and the body."""
    binary = require_tool("curl")
    result = subprocess.run(
        [
            binary,
            "-sS",
            "--max-time",
            "60",
            "-o",
            "-",
            "-w",
            "\n%{http_code} %{content_type}",
            *args,
        ],
        capture_output=True,
        timeout=90,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    body, _, tail = result.stdout.rpartition(b"\n")
    status, _, content_type = tail.decode().partition(" ")
    return int(status), content_type, body


def q(query: str) -> str:
    return urllib.parse.quote(query, safe="")


CURL_CASES = [
    ("query-get", ["{s}/sparql?query=" + q(ASK)], 200, "application/sparql-results+json"),
    (
        "query-post-form",
        ["--data-urlencode", f"query={ASK}", "{s}/sparql"],
        200,
        "application/sparql-results+json",
    ),
    (
        "query-post-direct",
        ["-H", "Content-Type: application/sparql-query", "--data-binary", ASK, "{s}/sparql"],
        200,
        "application/sparql-results+json",
    ),
    (
        "results-as-csv",
        ["-H", "Accept: text/csv", "{s}/sparql?query=" + q(named_query("topics").text)],
        200,
        "text/csv",
    ),
    (
        "results-as-xml",
        ["-H", "Accept: application/sparql-results+xml", "{s}/sparql?query=" + q(ASK)],
        200,
        "application/sparql-results+xml",
    ),
    ("service-description", ["{s}/sparql"], 200, "text/turtle"),
    ("wrong-method", ["-X", "PUT", "--data-binary", ASK, "{s}/sparql"], 405, "text/plain"),
    ("two-queries", ["{s}/sparql?query=" + q(ASK) + "&query=" + q(ASK)], 400, "text/plain"),
    (
        "wrong-media-type",
        ["-H", "Content-Type: text/plain", "--data-binary", ASK, "{s}/sparql"],
        415,
        "text/plain",
    ),
    (
        "non-utf8-body",
        [
            "-H",
            "Content-Type: application/sparql-query",
            "--data-binary",
            "@{latin1}",
            "{s}/sparql",
        ],
        400,
        "text/plain",
    ),
    ("syntax-error", ["{s}/sparql?query=" + q("ASK { ?s ?p }")], 400, "text/plain"),
    ("update-over-get", ["{s}/sparql?update=" + q("CLEAR ALL")], 400, "text/plain"),
    (
        "update-over-post",
        [
            "-H",
            "Content-Type: application/sparql-update",
            "--data-binary",
            "CLEAR ALL",
            "{s}/sparql",
        ],
        400,
        "text/plain",
    ),
    (
        "body-too-large",
        ["-H", "Content-Type: application/sparql-query", "--data-binary", "@{large}", "{s}/sparql"],
        413,
        "text/plain",
    ),
    (
        "not-acceptable",
        ["-H", "Accept: image/png", "{s}/sparql?query=" + q(ASK)],
        406,
        "text/plain",
    ),
    ("resource-html", ["-H", "Accept: text/html", "{s}/id/outlet/reuters"], 200, "text/html"),
    ("resource-turtle", ["-H", "Accept: text/turtle", "{s}/id/outlet/reuters"], 200, "text/turtle"),
    (
        "resource-json-ld",
        ["-H", "Accept: application/ld+json", "{s}/id/outlet/reuters"],
        200,
        "application/ld+json",
    ),
    (
        "resource-n-triples",
        ["-H", "Accept: application/n-triples", "{s}/id/outlet/reuters"],
        200,
        "application/n-triples",
    ),
    ("resource-unknown", ["{s}/id/outlet/nobody"], 404, "text/plain"),
    ("ontology", ["-H", "Accept: text/turtle", "{s}/ontology"], 200, "text/turtle"),
    ("dataset", ["-H", "Accept: text/turtle", "{s}/dataset"], 200, "text/turtle"),
    ("query-page", ["{s}/"], 200, "text/html"),
]


@pytest.mark.parametrize(
    ("rule", "args", "status", "content_type"), CURL_CASES, ids=[c[0] for c in CURL_CASES]
)
def test_curl(
    server: str, tmp_path: Path, rule: str, args: list[str], status: int, content_type: str
) -> None:
    latin1 = tmp_path / "latin1.rq"
    latin1.write_bytes("ASK { ?s ?p 'café' }".encode("latin-1"))
    large = tmp_path / "large.rq"
    large.write_bytes(b"ASK {" + b" " * (70 * 1024) + b"}")
    values = {"{s}": server, "{latin1}": str(latin1), "{large}": str(large)}
    filled = []
    for arg in args:
        for placeholder, value in values.items():
            arg = arg.replace(placeholder, value)
        filled.append(arg)
    got_status, got_type, body = curl(server, *filled)
    assert got_status == status, body[:300]
    assert got_type.startswith(content_type)


# --- hikgraph's own remote engine ------------------------------------------------------------


def test_hikgraph_query_endpoint_engine(server: str, built: Path) -> None:
    def run(*engine: str) -> str:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "hikgraph",
                "query",
                "--name",
                "outlet-coverage-span",
                "--format",
                "tsv",
                *engine,
            ],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    assert run("--endpoint", f"{server}/sparql") == run("--exports", str(built))


# --- limits ------------------------------------------------------------------------------------


def test_runaway_query_is_stopped_while_others_are_answered(server: str) -> None:
    outcome: dict[str, object] = {}

    def runaway() -> None:
        outcome["runaway"] = sparql_get(server, RUNAWAY)

    thread = threading.Thread(target=runaway)
    thread.start()
    status, _, body = sparql_get(server, ASK)  # the other worker answers meanwhile
    answered_while_running = thread.is_alive()
    thread.join(STARTUP_LIMIT)
    assert status == 200 and json.loads(body)["boolean"] is True
    assert answered_while_running
    status, _, message = outcome["runaway"]  # type: ignore[misc]
    assert status == 503
    assert b"time limit of 4 s" in message
    for _ in range(3):  # and the server goes on answering, with a fresh worker
        assert sparql_get(server, ASK)[0] == 200


def test_row_limit_over_http(server: str) -> None:
    status, headers, body = sparql_get(server, "SELECT * WHERE { ?s ?p ?o }")
    assert status == 200
    assert headers.get("Hikgraph-Truncated") == "true; max-rows=1000"
    document = json.loads(body)
    assert document["head"]["truncated"] is True
    assert len(document["results"]["bindings"]) == 1000


def test_refused_over_http_without_reaching_anything(server: str) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.5)
    port = listener.getsockname()[1]
    queries = [
        "SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }",
        f"SELECT * FROM <http://127.0.0.1:{port}/graph.ttl> WHERE {{ ?s ?p ?o }}",
        f"SELECT * FROM NAMED <http://127.0.0.1:{port}/g> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}",
        f"LOAD <http://127.0.0.1:{port}/graph.ttl>",
        "LOAD <file:///etc/passwd>",
    ]
    try:
        for query in queries:
            status, _, body = sparql_get(server, query)
            assert status == 400, query
            assert b"not supported" in body
            form = urllib.parse.urlencode({"query": query}).encode()
            assert fetch(f"{server}/sparql", data=form)[0] == 400
        with pytest.raises(TimeoutError):
            listener.accept()  # nobody knocked
    finally:
        listener.close()
