"""`hikgraph push`, `query --endpoint` and `serve --endpoint` against a real OpenLink
Virtuoso on 127.0.0.1 (tests/virtuoso.py): the graph arrives whole, in chunks, over
Digest auth; a replace replaces and an append merges; a wrong password fails in one
line that never holds it; a failed chunk is really sent again, a bounded number of
times (through a fault-injecting proxy); and the named queries answer the same from
Virtuoso as from the embedded store."""

from __future__ import annotations

import hashlib
import http.client
import http.server
import json
import math
import os
import subprocess
import sys
import threading
import tracemalloc
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from pyoxigraph import RdfFormat, parse

import virtuoso as vt
from hikgraph.cli import main
from hikgraph.httpauth import Credentials, display_url
from hikgraph.push import default_query_endpoint, push
from hikgraph.queries import named_queries, named_query
from serve_process import hikgraph_serve

from conftest import ROOT, require_tool

DATASET = "https://w3id.org/hikgraph/dataset"
SECRET = "Wr0ng-s3cret-7f3a"


@pytest.mark.parametrize(
    ("gsp", "query"),
    [
        ("http://h:8890/sparql-graph-crud-auth", "http://h:8890/sparql"),
        ("http://h:8890/sparql-graph-crud", "http://h:8890/sparql"),
        ("http://h:3030/hikgraph/data", "http://h:3030/hikgraph/sparql"),
        ("https://h/graphdb/repositories/hik/rdf-graphs/service", "https://h/graphdb/repositories/hik"),
        ("http://h:7878/store", "http://h:7878/query"),
        ("https://h:8182/sparql/gsp/", "https://h:8182/sparql"),
    ],
)  # fmt: skip
def test_query_endpoint_is_derived_from_the_graph_store_endpoint(gsp: str, query: str) -> None:
    assert default_query_endpoint(gsp) == query


def test_a_token_in_the_url_is_never_shown() -> None:
    shown = display_url(f"http://h:7019/?access-token={SECRET}&graph=urn:g")
    assert SECRET not in shown
    assert shown == "http://h:7019/?access-token=***&graph=urn:g"


@pytest.fixture(scope="module")
def virtuoso(tmp_path_factory: pytest.TempPathFactory) -> Iterator[vt.Virtuoso]:
    binary = require_tool("virtuoso-t")
    with vt.running(binary, tmp_path_factory.mktemp("virtuoso")) as server:
        yield server


@pytest.fixture(scope="module")
def loaded(virtuoso: vt.Virtuoso, built: Path) -> vt.Virtuoso:
    """Virtuoso holding the seed build in the dataset graph."""
    push(
        built / "hikgraph.nt",
        virtuoso.graph_store,
        credentials=Credentials(vt.USER, vt.PASSWORD),
        chunk_lines=3000,
    )
    return virtuoso


def lines_of(path: Path) -> int:
    return sum(1 for line in path.read_bytes().splitlines() if line.strip())


def hikgraph(
    *args: str | Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the real command line in its own process (stderr is a pipe, not a TTY)."""
    return subprocess.run(
        [sys.executable, "-m", "hikgraph", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env or dict(os.environ),
        timeout=600,
    )  # fmt: skip


def with_password(password: str = vt.PASSWORD) -> dict[str, str]:
    return dict(os.environ, HIKGRAPH_ENDPOINT_USER=vt.USER, HIKGRAPH_ENDPOINT_PASSWORD=password)


def exports_with(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "hikgraph.nt").write_text(text, encoding="utf-8")
    return folder


def ask(server: vt.Virtuoso, query: str) -> bool:
    url = f"{server.sparql}?{urllib.parse.urlencode({'query': query})}"
    request = urllib.request.Request(url, headers={"Accept": "text/csv"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.read().decode().split()[-1] in ("1", "true")


def test_push_loads_every_triple_in_chunks(virtuoso: vt.Virtuoso, built: Path) -> None:
    graph = "urn:hikgraph-test:chunks"
    result = hikgraph(
        "push", "--endpoint", virtuoso.graph_store, "--graph", graph, "--exports", built,
        "--chunk-size", "2000", env=with_password(),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = lines_of(built / "hikgraph.nt")
    assert vt.count(virtuoso, graph) == lines
    # No progress bar when stderr is not a terminal: only the summary line.
    assert result.stderr.count("\n") == 1
    assert f"pushed {lines:,} triples in {math.ceil(lines / 2000)} chunk(s)" in result.stderr
    assert result.stdout == ""
    # What went in is what comes out: the store's copy is the file, triple for triple.
    query = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
    request = urllib.request.Request(
        f"{virtuoso.sparql}?{urllib.parse.urlencode({'query': query})}",
        headers={"Accept": "application/n-triples"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        stored = set(parse(response.read(), format=RdfFormat.N_TRIPLES))
    assert stored == set(parse(path=str(built / "hikgraph.nt"), format=RdfFormat.N_TRIPLES))


def test_push_replaces_the_graph_and_append_merges(
    virtuoso: vt.Virtuoso, built: Path, tmp_path: Path
) -> None:
    graph = "urn:hikgraph-test:replace"
    stale = '<urn:hikgraph-test:old> <urn:hikgraph-test:p> "only in the old graph" .\n'
    extra = '<urn:hikgraph-test:new> <urn:hikgraph-test:p> "appended" .\n'
    common = ("--endpoint", virtuoso.graph_store, "--graph", graph, "--chunk-size", "3000")
    old = exports_with(tmp_path / "old", stale)
    assert hikgraph("push", *common, "--exports", old, env=with_password()).returncode == 0
    assert vt.count(virtuoso, graph) == 1
    lines = lines_of(built / "hikgraph.nt")
    for _ in range(2):  # pushed twice: replaced both times, never doubled
        result = hikgraph("push", *common, "--exports", built, env=with_password())
        assert result.returncode == 0, result.stderr
        assert vt.count(virtuoso, graph) == lines
    assert not ask(virtuoso, f"ASK {{ GRAPH <{graph}> {{ <urn:hikgraph-test:old> ?p ?o }} }}")
    new = exports_with(tmp_path / "new", extra)
    result = hikgraph("push", *common, "--exports", new, "--append", env=with_password())
    assert result.returncode == 0, result.stderr
    assert vt.count(virtuoso, graph) == lines + 1


@pytest.mark.parametrize("how", ["environment", "option"])
def test_wrong_password_fails_in_one_line_without_the_password(
    virtuoso: vt.Virtuoso, built: Path, how: str
) -> None:
    graph = "urn:hikgraph-test:refused"
    args = ["push", "--endpoint", virtuoso.graph_store, "--graph", graph, "--exports", built]
    if how == "option":
        result = hikgraph(*args, "--user", vt.USER, "--password", SECRET)
    else:
        result = hikgraph(*args, env=with_password(SECRET))
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert "refused the user and password" in result.stderr
    assert SECRET not in result.stderr + result.stdout
    assert vt.count(virtuoso, graph) == 0


def test_no_credentials_says_the_store_asks_for_them(virtuoso: vt.Virtuoso, built: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HIKGRAPH_ENDPOINT_")}
    result = hikgraph("push", "--endpoint", virtuoso.graph_store, "--exports", built, env=env)
    assert result.returncode == 1
    assert "401" in result.stderr
    assert "asks for a user and password" in result.stderr


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('<urn:a> <urn:b> "ok" .\n<urn:a> <urn:b> "unclosed .\n', "line 2: not N-Triples"),
        ('<urn:a> <urn:b> "ok" .\n_:b1 <urn:b> "blank" .\n', "blank node near line 2"),
    ],
)
def test_a_bad_file_fails_before_the_graph_changes(
    loaded: vt.Virtuoso, tmp_path: Path, text: str, message: str
) -> None:
    before = vt.count(loaded, DATASET)
    bad = exports_with(tmp_path, text)
    result = hikgraph(
        "push", "--endpoint", loaded.graph_store, "--exports", bad, env=with_password()
    )
    assert result.returncode == 1
    assert message in result.stderr
    assert vt.count(loaded, DATASET) == before


class FaultProxy(http.server.ThreadingHTTPServer):
    """A proxy on 127.0.0.1 in front of Virtuoso that answers 503 instead of passing
    on the POSTs *fail* picks, and records every request it sees."""

    def __init__(self, target: int, fail: Callable[[int], bool]) -> None:
        super().__init__(("127.0.0.1", 0), _Relay)
        self.target = target
        self.fail = fail
        self.posts_with_data = 0
        self.seen: list[tuple[str, str, int]] = []  # method, sha1 of the body, status

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/sparql-graph-crud-auth"


class _Relay(http.server.BaseHTTPRequestHandler):
    server: FaultProxy
    hop_by_hop = frozenset({"connection", "keep-alive", "transfer-encoding", "content-length"})

    def relay(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        digest = hashlib.sha1(body).hexdigest()
        if self.command == "POST" and body and "Authorization" in self.headers:
            self.server.posts_with_data += 1
            if self.server.fail(self.server.posts_with_data):
                self.server.seen.append((self.command, digest, 503))
                self.send_response(503, "Injected fault")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
        upstream = http.client.HTTPConnection("127.0.0.1", self.server.target, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in self.hop_by_hop}
        upstream.request(self.command, self.path, body=body, headers=headers)
        answer = upstream.getresponse()
        content = answer.read()
        upstream.close()
        self.server.seen.append((self.command, digest, answer.status))
        self.send_response(answer.status, answer.reason)
        for key, value in answer.getheaders():
            if key.lower() not in self.hop_by_hop:
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    do_GET = do_POST = do_PUT = do_DELETE = relay

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def fault_proxy(virtuoso: vt.Virtuoso) -> Iterator[Callable[[Callable[[int], bool]], FaultProxy]]:
    started: list[FaultProxy] = []

    def start(fail: Callable[[int], bool]) -> FaultProxy:
        proxy = FaultProxy(virtuoso.http_port, fail)
        threading.Thread(target=proxy.serve_forever, daemon=True).start()
        started.append(proxy)
        return proxy

    yield start
    for proxy in started:
        proxy.shutdown()
        proxy.server_close()


def test_each_chunk_goes_out_once_signed_in_advance(
    virtuoso: vt.Virtuoso, built: Path, fault_proxy: Callable[..., FaultProxy]
) -> None:
    # Only the empty greeting meets Virtuoso's 401; a chunk refused for want of a
    # signature would go out twice, and a large one fails (Virtuoso closes the
    # connection on its 401 while the body is still being sent).
    proxy = fault_proxy(lambda n: False)
    result = hikgraph(
        "push", "--endpoint", proxy.url, "--query-endpoint", virtuoso.sparql,
        "--graph", "urn:hikgraph-test:signed", "--exports", built, "--chunk-size", "2000",
        env=with_password(),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    empty = hashlib.sha1(b"").hexdigest()
    chunks = [(m, status // 100) for m, digest, status in proxy.seen if digest != empty]
    lines = lines_of(built / "hikgraph.nt")
    assert chunks == [("PUT", 2)] + [("POST", 2)] * (math.ceil(lines / 2000) - 1)
    greeting = [status // 100 for m, digest, status in proxy.seen if digest == empty]
    assert greeting == [4, 2]


def test_a_failed_chunk_is_sent_again(
    virtuoso: vt.Virtuoso, built: Path, fault_proxy: Callable[..., FaultProxy]
) -> None:
    graph = "urn:hikgraph-test:retried"
    proxy = fault_proxy(lambda n: n == 1)  # the first chunk sent with POST fails once
    result = hikgraph(
        "push", "--endpoint", proxy.url, "--query-endpoint", virtuoso.sparql, "--graph", graph,
        "--exports", built, "--chunk-size", "2000", env=with_password(),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "1 retried" in result.stderr
    assert vt.count(virtuoso, graph) == lines_of(built / "hikgraph.nt")
    refused = [digest for method, digest, status in proxy.seen if status == 503]
    assert len(refused) == 1
    accepted = [d for m, d, status in proxy.seen if m == "POST" and status < 300]
    assert refused[0] in accepted  # the same chunk went out again and was taken


def test_retries_are_bounded(
    virtuoso: vt.Virtuoso, built: Path, fault_proxy: Callable[..., FaultProxy]
) -> None:
    graph = "urn:hikgraph-test:given-up"
    proxy = fault_proxy(lambda n: True)  # every chunk sent with POST fails
    result = hikgraph(
        "push", "--endpoint", proxy.url, "--query-endpoint", virtuoso.sparql, "--graph", graph,
        "--exports", built, "--chunk-size", "2000", "--retries", "2", env=with_password(),
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert "after 3 attempts: 503" in result.stderr
    refused = [digest for method, digest, status in proxy.seen if status == 503]
    assert len(refused) == 3 and len(set(refused)) == 1  # one chunk, sent three times


def test_memory_stays_the_size_of_a_chunk(
    virtuoso: vt.Virtuoso, built: Path, tmp_path: Path
) -> None:
    # The seed and 39 copies of its resources under other IRIs: about 300,000 distinct
    # triples, 60 MB of text.
    seed = (built / "hikgraph.nt").read_text(encoding="utf-8").splitlines(keepends=True)
    big = tmp_path / "hikgraph.nt"
    with big.open("w", encoding="utf-8") as out:
        out.writelines(seed)
        for copy in range(1, 40):
            prefix = f"https://w3id.org/hikgraph/id/copy-{copy}-"
            out.writelines(
                line.replace("https://w3id.org/hikgraph/id/", prefix)
                for line in seed
                if "https://w3id.org/hikgraph/id/" in line
            )
    graph = "urn:hikgraph-test:big"
    tracemalloc.start()
    try:
        result = push(
            big, virtuoso.graph_store, graph=graph,
            credentials=Credentials(vt.USER, vt.PASSWORD), chunk_lines=5000,
        )  # fmt: skip
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result.triples == lines_of(big) == vt.count(virtuoso, graph)
    assert peak < big.stat().st_size / 10


def run_cli(*args: str) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def binding_set(json_text: str) -> set[str]:
    return {json.dumps(b, sort_keys=True) for b in json.loads(json_text)["results"]["bindings"]}


def dataset_endpoint(server: vt.Virtuoso) -> str:
    # Virtuoso's default graph is the union of all its graphs, system graphs and the
    # other tests' graphs included; default-graph-uri keeps the queries on the dataset.
    return f"{server.sparql}?{urllib.parse.urlencode({'default-graph-uri': DATASET})}"


@pytest.mark.parametrize("name", [q.name for q in named_queries()])
def test_named_query_answers_the_same_from_virtuoso(
    loaded: vt.Virtuoso, built: Path, name: str
) -> None:
    remote = run_cli(
        "query", "--name", name, "--format", "json", "--endpoint", dataset_endpoint(loaded)
    )
    local = run_cli("query", "--name", name, "--format", "json", "--exports", str(built))
    assert binding_set(remote) == binding_set(local)
    assert binding_set(local)  # a query that answers nothing would prove nothing


@pytest.mark.parametrize(
    ("query", "answer"),
    [("ASK { ?c a <http://schema.org/Country> }", True), ("ASK { ?c a <urn:nothing> }", False)],
)
def test_ask_answers_a_boolean_from_virtuoso(loaded: vt.Virtuoso, query: str, answer: bool) -> None:
    # Virtuoso 7.2 sends ASK answers as a one-row SELECT of __ASK_RETVAL.
    output = run_cli("query", query, "--format", "json", "--endpoint", dataset_endpoint(loaded))
    assert json.loads(output) == {"head": {}, "boolean": answer}


def test_serve_answers_from_virtuoso(loaded: vt.Virtuoso, built: Path, tmp_path: Path) -> None:
    log = tmp_path / "serve.log"
    options = ["--endpoint", dataset_endpoint(loaded), "--workers", "1", "--quiet"]
    with hikgraph_serve(options, log) as base:
        assert f"SPARQL endpoint {dataset_endpoint(loaded)}" in log.read_text()
        text = named_query("articles-per-outlet").text
        request = urllib.request.Request(
            f"{base}/sparql?{urllib.parse.urlencode({'query': text})}",
            headers={"Accept": "application/sparql-results+json"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            served = response.read().decode()
    local = run_cli(
        "query", "--name", "articles-per-outlet", "--format", "json", "--exports", str(built)
    )
    assert binding_set(served) == binding_set(local)
