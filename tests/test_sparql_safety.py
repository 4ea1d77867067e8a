"""check_query: the forms, the syntax errors, and the refusals that keep every engine
from opening a file or a connection — proved with canaries, not only with mocks."""

from __future__ import annotations

import socket
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from hikgraph.sparql import (
    QueryRefused,
    QuerySyntaxError,
    UpdateRefused,
    check_query,
)
from hikgraph.store import GraphStore, OxigraphStore, RdflibStore

FORMS = [
    ("select", "SELECT * WHERE { ?s ?p ?o }", "SELECT"),
    ("ask", "ASK { ?s ?p ?o }", "ASK"),
    ("construct", "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", "CONSTRUCT"),
    ("construct-where", "CONSTRUCT WHERE { ?s ?p ?o }", "CONSTRUCT"),
    ("describe", "DESCRIBE <https://w3id.org/hikgraph/id/country/GB>", "DESCRIBE"),
    (
        "keywords-in-a-string-are-text",
        'SELECT * { ?s ?p "SERVICE <http://x/> FROM <y>" }',
        "SELECT",
    ),
    ("keywords-in-a-comment-are-text", "# FROM <file:///etc/passwd>\nASK { ?s ?p ?o }", "ASK"),
    ("graph-pattern-is-allowed", "SELECT * { GRAPH ?g { ?s ?p ?o } }", "SELECT"),
]


@pytest.mark.parametrize(("rule", "query", "form"), FORMS, ids=[f[0] for f in FORMS])
def test_query_forms(rule: str, query: str, form: str) -> None:
    assert check_query(query).form == form


REFUSED = [
    ("from-local-file", "SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }", "FROM"),
    ("from-web", "SELECT * FROM <http://example.org/g> WHERE { ?s ?p ?o }", "FROM"),
    (
        "from-named",
        "SELECT * FROM NAMED <http://example.org/g> { GRAPH ?g {?s ?p ?o} }",
        "FROM NAMED",
    ),
    ("from-in-ask", "ASK FROM <file:///etc/passwd> { ?s ?p ?o }", "FROM"),
    ("from-in-construct", "CONSTRUCT { ?s ?p ?o } FROM <file:///x> WHERE { ?s ?p ?o }", "FROM"),
    ("from-in-describe", "DESCRIBE ?s FROM <file:///x> WHERE { ?s ?p ?o }", "FROM"),
    ("service", "SELECT * { SERVICE <http://example.org/sparql> { ?s ?p ?o } }", "SERVICE"),
    ("service-silent-variable", "SELECT * { SERVICE SILENT ?e { ?s ?p ?o } }", "SERVICE"),
    (
        "service-in-a-subquery",
        "SELECT * { { SELECT * { OPTIONAL { SERVICE <http://x/> { ?s ?p ?o } } } } }",
        "SERVICE",
    ),
    ("service-in-exists", "ASK { ?s ?p ?o FILTER EXISTS { SERVICE <http://x/> {} } }", "SERVICE"),
]


@pytest.mark.parametrize(("rule", "query", "keyword"), REFUSED, ids=[r[0] for r in REFUSED])
def test_refused_before_evaluation(rule: str, query: str, keyword: str) -> None:
    with pytest.raises(QueryRefused, match=f"^{keyword} is not supported"):
        check_query(query)


UPDATES = [
    ("load", "LOAD <file:///etc/passwd>"),
    ("load-into", "LOAD <http://example.org/x> INTO GRAPH <http://example.org/g>"),
    ("insert-data", "INSERT DATA { <http://a> <http://b> <http://c> }"),
    ("delete-where", "DELETE WHERE { ?s ?p ?o }"),
    ("clear", "CLEAR ALL"),
    ("drop", "DROP GRAPH <http://example.org/g>"),
    ("create", "CREATE GRAPH <http://example.org/g>"),
]


@pytest.mark.parametrize(("rule", "update"), UPDATES, ids=[u[0] for u in UPDATES])
def test_updates_are_refused(rule: str, update: str) -> None:
    with pytest.raises(UpdateRefused, match="read-only"):
        check_query(update)


SYNTAX = [
    ("missing-object", "SELECT * WHERE {\n  ?s ?p\n}", 2, 3),
    ("unclosed-group", "SELECT * WHERE { ?s ?p ?o", 1, 26),
    ("misspelt-keyword", "SELEC * WHERE { ?s ?p ?o }", 1, 1),
    (
        "bad-filter",
        "PREFIX s: <http://s/>\nSELECT ?x WHERE {\n ?x s:p ?y .\n FILTER(?y > )\n}",
        4,
        2,
    ),
    ("empty", "", 1, 1),
]


@pytest.mark.parametrize(("rule", "query", "line", "column"), SYNTAX, ids=[s[0] for s in SYNTAX])
def test_syntax_errors_give_line_and_column(rule: str, query: str, line: int, column: int) -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        check_query(query)
    assert (caught.value.line, caught.value.column) == (line, column)
    assert str(caught.value).startswith(f"syntax error at line {line}, column {column}: ")


def test_syntax_error_survives_pickling() -> None:
    import pickle

    error = QuerySyntaxError("Expected }", 3, 7)
    again = pickle.loads(pickle.dumps(error))
    assert (str(again), again.line, again.column) == (str(error), 3, 7)


# --- nothing is opened --------------------------------------------------------------------

_opened: list[str] = []
_watching = threading.Event()


def _watch_open(event: str, args: tuple[object, ...]) -> None:
    if _watching.is_set() and event == "open" and args:
        _opened.append(str(args[0]))


sys.addaudithook(_watch_open)


@contextmanager
def canary() -> Iterator[tuple[int, list[bytes], list[str]]]:
    """A loopback listener that records any connection (engines written in Rust open
    sockets that Python's audit hooks never see), and a record of files opened."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.2)
    connections: list[bytes] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                client, _ = listener.accept()
            except OSError:
                continue
            with client:
                client.settimeout(1)
                try:
                    connections.append(client.recv(4096) or b"(connected)")
                except OSError:
                    connections.append(b"(connected)")

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    _opened.clear()
    _watching.set()
    try:
        yield listener.getsockname()[1], connections, _opened
    finally:
        _watching.clear()
        stop.set()
        thread.join()
        listener.close()


def _reaching_out(port: int, secret: Path) -> list[str]:
    web = f"http://127.0.0.1:{port}"
    return [
        f"SELECT * FROM <{secret.as_uri()}> WHERE {{ ?s ?p ?o }}",
        f"SELECT * FROM NAMED <{secret.as_uri()}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
        f"SELECT * FROM <{web}/graph.ttl> WHERE {{ ?s ?p ?o }}",
        f"SELECT * WHERE {{ SERVICE <{web}/sparql> {{ ?s ?p ?o }} }}",
        f"ASK {{ SERVICE SILENT <{web}/sparql> {{ ?s ?p ?o }} }}",
        f"LOAD <{secret.as_uri()}>",
        f"LOAD <{web}/graph.ttl>",
    ]


@pytest.fixture(scope="module")
def engines(tmp_path_factory: pytest.TempPathFactory) -> dict[str, GraphStore]:
    exports = tmp_path_factory.mktemp("tiny-exports")
    (exports / "hikgraph.nt").write_text(
        '<https://w3id.org/hikgraph/id/country/GB> <http://schema.org/name> "United Kingdom"@en .\n'
    )
    return {"oxigraph": OxigraphStore.open(exports), "rdflib": RdflibStore.open(exports)}


@pytest.mark.parametrize("engine", ["oxigraph", "rdflib"])
def test_no_engine_opens_a_file_or_a_connection(
    engines: dict[str, GraphStore], engine: str, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.ttl"
    secret.write_text("<http://a> <http://b> <http://c> .\n")
    store = engines[engine]
    with canary() as (port, connections, opened):
        for query in _reaching_out(port, secret):
            with pytest.raises(QueryRefused):
                store.query(query)
    assert connections == []
    assert str(secret) not in opened


def test_the_canaries_would_see_an_engine_reaching_out(tmp_path: Path) -> None:
    """Without check_query both engines do reach out: Oxigraph connects for SERVICE
    (from Rust, unseen by the socket audit hook) and rdflib reads FROM files."""
    import pyoxigraph
    from rdflib import Dataset

    secret = tmp_path / "secret.ttl"
    secret.write_text("<http://a> <http://b> <http://c> .\n")
    with canary() as (port, connections, opened):
        with pytest.raises(Exception):  # noqa: B017 - the canary answers nothing useful
            list(
                pyoxigraph.Store().query(f"SELECT * {{ SERVICE <http://127.0.0.1:{port}/s> {{}} }}")
            )
        Dataset().query(f"SELECT * FROM <{secret.as_uri()}> WHERE {{ ?s ?p ?o }}")
    assert connections, "Oxigraph did not connect: the canary proves nothing"
    assert str(secret) in opened, "rdflib did not read the file: the canary proves nothing"


@pytest.mark.parametrize("engine", ["oxigraph", "rdflib"])
def test_the_endpoint_answers_400_and_opens_nothing(
    engines: dict[str, GraphStore], engine: str, tmp_path: Path
) -> None:
    import urllib.parse

    from hikgraph.protocol import Request
    from hikgraph.server import App

    secret = tmp_path / "secret.ttl"
    secret.write_text("<http://a> <http://b> <http://c> .\n")
    app = App(engines[engine])
    with canary() as (port, connections, opened):
        for query in _reaching_out(port, secret):
            for request in (
                Request("GET", "/sparql", urllib.parse.urlencode({"query": query})),
                Request("GET", "/", urllib.parse.urlencode({"query": query})),
                Request(
                    "POST", "/sparql", "", {"content-type": "application/sparql-query"},
                    query.encode(),
                ),
            ):  # fmt: skip
                assert app.handle(request).status == 400, (query, request.path)
    assert connections == []
    assert str(secret) not in opened
