"""Load an N-Triples file into a named graph of any SPARQL 1.1 store, through the
SPARQL 1.1 Graph Store HTTP Protocol, then check the store's own count.

The file is read in chunks of whole lines (N-Triples holds one triple a line), so
memory stays the size of one chunk whatever the size of the file. The first chunk is
sent with PUT (the graph is replaced) unless the caller appends; later chunks with
POST (merged). Each chunk is parsed with Oxigraph before it goes out: a syntax error
or a blank node (whose label would mean a different node in each request) stops the
push with the line number. A chunk that fails for a passing reason (no connection, a
timeout, 5xx, 408, 429) is sent again, a bounded number of times, with exponential
backoff; a refused one (another 4xx) is not. Every request has a timeout.

Credentials (:mod:`hikgraph.httpauth`) answer Basic or Digest challenges. The store is
greeted first with an empty POST, which merges nothing: it learns the challenge, so
every chunk is signed in advance and never refused halfway through its body.
"""

from __future__ import annotations

import http.client
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from pyoxigraph import BlankNode, RdfFormat, parse

from hikgraph.httpauth import Credentials, build_opener, display_url, error_detail

DEFAULT_GRAPH = "https://w3id.org/hikgraph/dataset"
DEFAULT_CHUNK_LINES = 50_000
DEFAULT_RETRIES = 3
DEFAULT_TIMEOUT = 60.0
_N_TRIPLES = "application/n-triples"
# Answers worth sending the same chunk again for: the store is busy, restarting or
# behind a proxy that timed out. Any other 4xx means the request itself is refused.
_PASSING_STATUS = {408, 425, 429, 500, 502, 503, 504}


class PushError(Exception):
    """The push failed: the file, the endpoint, a chunk or the final count."""


@dataclass(frozen=True)
class PushResult:
    """What a push did."""

    endpoint: str
    graph: str
    triples: int  # sent, as parsed from the file
    chunks: int
    retries: int  # chunk attempts that failed and were sent again
    seconds: float  # from the greeting to the last chunk's answer
    count: int  # triples in the graph afterwards, as the store counts them

    @property
    def triples_per_second(self) -> float:
        """Triples sent per second of upload (0 when nothing took time)."""
        return self.triples / self.seconds if self.seconds > 0 else 0.0

    def summary(self) -> str:
        """Return the one-line summary the CLI prints."""
        retried = f", {self.retries} retried" if self.retries else ""
        return (
            f"pushed {self.triples:,} triples in {self.chunks} chunk(s){retried} to "
            f"<{self.graph}> at {self.endpoint} in {self.seconds:.2f} s "
            f"({self.triples_per_second:,.0f} triples/s); the store counts {self.count:,}"
        )


@dataclass(frozen=True)
class Chunk:
    """Whole lines of the file, ready to send."""

    body: bytes
    triples: int
    first_line: int  # 1-based
    last_line: int


def default_query_endpoint(gsp_url: str) -> str:
    """Return the SPARQL query endpoint that goes with the Graph Store endpoint
    *gsp_url*: Fuseki's ``/DATASET/data`` → ``/DATASET/sparql``, GraphDB's
    ``/repositories/R/rdf-graphs/service`` → ``/repositories/R``, Oxigraph's
    ``/store`` → ``/query``; otherwise ``/sparql`` on the same host (Virtuoso)."""
    parts = urllib.parse.urlsplit(gsp_url)
    path = parts.path.rstrip("/")
    if path.endswith("/rdf-graphs/service"):
        path = path.removesuffix("/rdf-graphs/service")
    elif path.endswith("/data"):
        path = path.removesuffix("/data") + "/sparql"
    elif path == "/store":
        path = "/query"
    else:
        path = "/sparql"
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def check_endpoint_url(url: str) -> str:
    """Return *url* if it is an http(s) URL without a user or password in it. Raises
    :class:`PushError` otherwise (without repeating the URL, which may hold one)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise PushError("an endpoint URL must start with http:// or https:// and name a host")
    if parts.username is not None or parts.password is not None:
        raise PushError(
            "an endpoint URL must not hold a user or password: use --user and "
            "HIKGRAPH_ENDPOINT_PASSWORD"
        )
    return url


def read_chunks(path: Path, lines: int) -> Iterator[Chunk]:
    """Yield the N-Triples file at *path* in chunks of at most *lines* lines, each
    parsed to count its triples. Raises :class:`PushError` on a file that cannot be
    read, a line that is not N-Triples, or a blank node."""
    if lines < 1:
        raise PushError("a chunk needs at least one line")
    try:
        handle = path.open("rb")
    except OSError as error:
        raise PushError(f"cannot read {path}: {error.strerror or error}") from None
    with handle:
        first = 1
        while True:
            block = []
            for line in handle:
                block.append(line)
                if len(block) == lines:
                    break
            if not block:
                return
            if not block[-1].endswith(b"\n"):
                block[-1] += b"\n"  # so the next chunk's first line never joins it
            body = b"".join(block)
            yield Chunk(body, _count_triples(path, body, first), first, first + len(block) - 1)
            first += len(block)


def _count_triples(path: Path, body: bytes, first_line: int) -> int:
    count = 0
    try:
        for quad in parse(body, format=RdfFormat.N_TRIPLES):
            if isinstance(quad.subject, BlankNode) or isinstance(quad.object, BlankNode):
                raise PushError(
                    f"{path}: a blank node near line {first_line + count}; push sends the "
                    "file in separate requests, where one label would name different "
                    "nodes, so it takes files without blank nodes"
                )
            count += 1
    except SyntaxError as error:
        line = first_line + (error.lineno or 1) - 1
        reason = (error.msg or str(error)).rsplit(": ", 1)[-1]
        raise PushError(f"{path} line {line}: not N-Triples: {reason}") from None
    return count


class _Uploader:
    """One endpoint and graph, with its opener, timeout and retry policy."""

    def __init__(
        self,
        endpoint: str,
        graph: str,
        opener: urllib.request.OpenerDirector,
        *,
        timeout: float,
        retries: int,
        backoff: float,
        sleep: Callable[[float], None],
        credentials: Credentials | None,
    ) -> None:
        separator = "&" if urllib.parse.urlsplit(endpoint).query else "?"
        self.url = f"{endpoint}{separator}{urllib.parse.urlencode({'graph': graph})}"
        self.endpoint = display_url(endpoint)
        self.opener = opener
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.sleep = sleep
        self.has_credentials = credentials is not None
        self.scrub = credentials.scrub if credentials else str
        self.retried = 0

    def send(self, method: str, body: bytes) -> None:
        """Send one request; raise :class:`_Failure` with what went wrong."""
        request = urllib.request.Request(
            self.url,
            data=body,
            method=method,
            headers={"Content-Type": _N_TRIPLES, "User-Agent": "hikgraph"},
        )
        try:
            with self.opener.open(request, timeout=self.timeout) as response:
                response.read()
        except urllib.error.HTTPError as error:
            if error.code == 401:
                reason = "401 Unauthorized: " + (
                    "the store refused the user and password"
                    if self.has_credentials
                    else "the store asks for a user and password (--user and "
                    "HIKGRAPH_ENDPOINT_PASSWORD)"
                )
            elif error.code == 403:
                reason = "403 Forbidden: the user may not write to this graph"
            else:
                detail = error_detail(error)
                reason = f"{error.code} {error.reason}" + (f": {detail}" if detail else "")
            raise _Failure(reason, passing=error.code in _PASSING_STATUS) from None
        except TimeoutError:
            raise _Failure(f"no answer within {self.timeout:g} s", passing=True) from None
        except urllib.error.URLError as error:
            raise _Failure(f"cannot reach it: {error.reason}", passing=True) from None
        except (OSError, http.client.HTTPException) as error:
            raise _Failure(f"connection failed: {error}", passing=True) from None

    def send_with_retries(self, method: str, body: bytes, what: str) -> None:
        """Send, again after a passing failure (at most *retries* times, waiting
        *backoff* · 2^n seconds, greeting the store again first so a Digest nonce it
        dropped is renewed). Raises :class:`PushError` when it gives up."""
        attempt = 0
        while True:
            try:
                if attempt:
                    self.send("POST", b"")
                self.send(method, body)
                return
            except _Failure as failure:
                if not failure.passing or attempt >= self.retries:
                    tries = f" after {attempt + 1} attempts" if attempt else ""
                    raise PushError(
                        self.scrub(f"{self.endpoint}: {what} failed{tries}: {failure}")
                    ) from None
            self.sleep(self.backoff * 2**attempt)
            attempt += 1
            self.retried += 1


class _Failure(Exception):
    def __init__(self, message: str, *, passing: bool) -> None:
        super().__init__(message)
        self.passing = passing


def count_triples(
    query_endpoint: str,
    graph: str,
    *,
    credentials: Credentials | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> int:
    """Return the number of triples the store at *query_endpoint* holds in *graph*,
    by a SPARQL COUNT. Raises :class:`PushError` when it cannot tell."""
    from pyoxigraph import Literal, NamedNode

    from hikgraph.endpoint import RemoteStore
    from hikgraph.sparql import QueryError, SelectResult
    from hikgraph.store import StoreError

    text = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {NamedNode(graph)} {{ ?s ?p ?o }} }}"
    scrub = credentials.scrub if credentials else str
    try:
        store = RemoteStore(query_endpoint, timeout=timeout, credentials=credentials)
        result = store.query(text)
    except (QueryError, StoreError) as error:
        raise PushError(scrub(f"cannot count the triples in <{graph}>: {error}")) from None
    term = result.rows[0][0] if isinstance(result, SelectResult) and result.rows else None
    if not isinstance(term, Literal):
        raise PushError(f"{query_endpoint} answered the COUNT query without a number")
    try:
        return int(term.value)
    except ValueError:
        raise PushError(f"{query_endpoint} counted {term.value!r} triples") from None


def push(
    ntriples: Path,
    endpoint: str,
    *,
    graph: str = DEFAULT_GRAPH,
    query_endpoint: str | None = None,
    credentials: Credentials | None = None,
    replace: bool = True,
    chunk_lines: int = DEFAULT_CHUNK_LINES,
    retries: int = DEFAULT_RETRIES,
    backoff: float = 1.0,
    timeout: float = DEFAULT_TIMEOUT,
    progress: Callable[[int], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> PushResult:
    """Load the N-Triples file *ntriples* into *graph* of the Graph Store endpoint
    *endpoint*, replacing the graph (or merging into it when *replace* is false), then
    count the graph through *query_endpoint* (default: :func:`default_query_endpoint`).

    *progress* is called with the number of bytes of the file each chunk held, once the
    store has taken it. Returns a :class:`PushResult`. Raises :class:`PushError` when
    the file is not N-Triples, a chunk fails for good, or the store's count differs
    from the triples sent (after a replace) or falls short of them (after a merge).
    """
    from pyoxigraph import NamedNode

    check_endpoint_url(endpoint)
    query_endpoint = check_endpoint_url(query_endpoint or default_query_endpoint(endpoint))
    try:
        NamedNode(graph)
    except ValueError:
        raise PushError(f"{graph!r} is not an IRI") from None
    if not ntriples.is_file():
        raise PushError(f"{ntriples} does not exist; run `hikgraph build` first")
    uploader = _Uploader(
        endpoint,
        graph,
        build_opener(credentials, [endpoint, query_endpoint]),
        timeout=timeout,
        retries=retries,
        backoff=backoff,
        sleep=sleep,
        credentials=credentials,
    )
    before = 0 if replace else count_triples(query_endpoint, graph, credentials=credentials)
    started = time.perf_counter()
    # An empty POST merges nothing; it shows the endpoint answers and takes our
    # credentials before any data goes out, and primes the Digest handler.
    uploader.send_with_retries("POST", b"", "the first request")
    triples = chunks = 0
    for chunk in read_chunks(ntriples, chunk_lines):
        method = "PUT" if replace and chunks == 0 else "POST"
        what = f"{method} of lines {chunk.first_line}-{chunk.last_line}"
        uploader.send_with_retries(method, chunk.body, what)
        triples += chunk.triples
        chunks += 1
        if progress is not None:
            progress(len(chunk.body))
    if replace and chunks == 0:  # an empty file replaces the graph with nothing
        uploader.send_with_retries("PUT", b"", "PUT of the empty file")
    seconds = time.perf_counter() - started
    count = count_triples(query_endpoint, graph, credentials=credentials, timeout=timeout)
    result = PushResult(uploader.endpoint, graph, triples, chunks, uploader.retried, seconds, count)
    if replace and count != triples:
        raise PushError(
            f"the store counts {count:,} triples in <{graph}>, but {triples:,} were sent"
            + (" (a triple repeated in the file is stored once)" if count < triples else "")
        )
    if not replace and count < max(before, triples):
        raise PushError(
            f"the store counts {count:,} triples in <{graph}> after merging {triples:,} "
            f"into {before:,}"
        )
    return result
