"""``hikgraph serve``: the SPARQL 1.1 endpoint, linked-data pages and the query page.

:class:`App` answers a :class:`~hikgraph.protocol.Request` with a
:class:`~hikgraph.protocol.Response` and does no I/O of its own, so tests and
``serve --get`` call it directly; :func:`serve` puts it behind the standard
library's threading HTTP server. Routes:

- ``/sparql``: the SPARQL 1.1 Protocol (GET, form POST, ``application/sparql-query``
  POST), content negotiation or ``?format=``, a service description without a query;
- ``/id/{kind}/{slug}``: every resource, as HTML, Turtle, JSON-LD, N-Triples or RDF/XML;
- ``/ontology`` and ``/dataset``: the ontology and the VoID/DCAT description;
- ``/``: the query page.
"""

from __future__ import annotations

import contextlib
import re
import signal
import sys
import threading
import traceback
import urllib.parse
from collections.abc import Callable, Iterable
from functools import cached_property
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from pyoxigraph import NamedNode, Triple

from hikgraph import resultformats
from hikgraph.linkeddata import (
    RESOURCE_OFFERS,
    GraphDocument,
    graph_aliases,
    labels_of,
    service_description,
)
from hikgraph.pages import render_resource, script_hash, server_href
from hikgraph.protocol import ProtocolError, Request, Response, choose, read_query
from hikgraph.publish_rules import KINDS, SLUG
from hikgraph.querypage import SCRIPT as QUERY_PAGE_SCRIPT
from hikgraph.querypage import render_query_page
from hikgraph.sparql import (
    EngineError,
    GraphResult,
    QueryError,
    QueryResult,
    QueryTimeout,
    SelectResult,
    check_query,
)
from hikgraph.store import Engine, GraphStore

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
DEFAULT_TIMEOUT = 10.0
DEFAULT_MAX_ROWS = 10_000
DEFAULT_MAX_BODY = 64 * 1024
TRUNCATED_HEADER = "Hikgraph-Truncated"

SOLUTION_OFFERS = {
    "application/sparql-results+json": "json",
    "application/sparql-results+xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
    "application/json": "json",
    "application/xml": "xml",
    "text/xml": "xml",
    "text/html": "html",
}
SOLUTION_ALIASES = {name: name for name in ("json", "xml", "csv", "tsv", "html")}
GRAPH_OFFERS = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/ld+json": "jsonld",
    "application/rdf+xml": "rdfxml",
    "application/x-turtle": "turtle",
    "application/json": "jsonld",
    "text/plain": "nt",
    "text/html": "html",
}
_RESOURCE_PATH = re.compile(f"/id/({'|'.join(KINDS)})/({SLUG})")
_HTML_CSP = (
    "default-src 'none'; style-src {style}; script-src {script}; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)


class ListenError(OSError):
    """The server cannot listen on the address it was given (taken, not allowed)."""


class App:
    """The whole HTTP service over *store*, with the limits given (see ``serve``)."""

    def __init__(
        self,
        store: GraphStore,
        *,
        exports_dir: Path | None = None,
        max_rows: int | None = DEFAULT_MAX_ROWS,
        max_body: int = DEFAULT_MAX_BODY,
        cors: bool = False,
        timeout: float | None = None,
    ) -> None:
        self.store = store
        self.exports_dir = exports_dir
        self.max_rows = max_rows
        self.max_body = max_body
        self.cors = cors
        self.timeout = timeout

    # --- dispatch -------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        """Return the response to *request*; never raises."""
        try:
            response = self._route(request)
        except ProtocolError as error:
            response = text_response(error.status, error.message, error.headers)
        except QueryTimeout as error:
            response = text_response(503, str(error))
        except EngineError as error:
            response = text_response(500, str(error))
        except QueryError as error:
            response = text_response(400, str(error))
        except Exception:
            traceback.print_exc(file=sys.stderr)
            response = text_response(500, "internal error (logged by the server)")
        response.headers.append(("X-Content-Type-Options", "nosniff"))
        if self.cors:
            response.headers += [
                ("Access-Control-Allow-Origin", "*"),
                ("Access-Control-Expose-Headers", TRUNCATED_HEADER),
            ]
        return response

    def _route(self, request: Request) -> Response:
        path = urllib.parse.unquote(request.path)
        if request.method == "OPTIONS":
            return self._options(path)
        if path == "/sparql":
            return self._sparql(request)
        if request.method not in ("GET", "HEAD"):
            raise ProtocolError(
                405, f"{request.method} is not allowed here", [("Allow", "GET, HEAD")]
            )
        if path == "/":
            return self._query_page(request)
        match = _RESOURCE_PATH.fullmatch(path)
        if match:
            return self._resource(request, match[1], match[2])
        if path == "/ontology":
            return self._document(request, self.ontology)
        if path == "/dataset":
            return self._document(request, self.dataset)
        raise ProtocolError(404, f"nothing at {path}")

    def _options(self, path: str) -> Response:
        allow = "GET, HEAD, POST, OPTIONS" if path == "/sparql" else "GET, HEAD, OPTIONS"
        headers = [("Allow", allow)]
        if self.cors:
            headers += [
                ("Access-Control-Allow-Methods", allow),
                ("Access-Control-Allow-Headers", "Accept, Content-Type"),
                ("Access-Control-Max-Age", "600"),
            ]
        return Response(204, b"", headers)

    # --- /sparql --------------------------------------------------------------------

    def _sparql(self, request: Request) -> Response:
        asked = read_query(request, self.max_body)
        accept = request.header("accept")
        if asked.query is None:
            fmt = choose(accept, asked.format, _no_html(GRAPH_OFFERS), graph_aliases())
            if fmt is None:
                raise _not_acceptable(_no_html(GRAPH_OFFERS))
            triples = service_description(request, self._limits_sentence())
            return graph_response(triples, fmt, vary=True)
        checked = check_query(asked.query)
        offers = GRAPH_OFFERS if checked.returns_graph else SOLUTION_OFFERS
        aliases = graph_aliases() if checked.returns_graph else SOLUTION_ALIASES
        fmt = choose(accept, asked.format, offers, aliases)
        if fmt is None or (checked.form == "ASK" and fmt in ("csv", "tsv")):
            raise _not_acceptable(offers, checked.form)
        if fmt == "html":
            return self._query_page(request, asked.query)
        result = self.store.query(asked.query, max_rows=self.max_rows)
        body = resultformats.render(result, fmt)
        headers = [("Content-Type", resultformats.FORMATS[fmt].content_type), ("Vary", "Accept")]
        if result.truncated:
            headers.append((TRUNCATED_HEADER, f"true; max-rows={self.max_rows}"))
        return Response(200, body, headers)

    def _limits_sentence(self) -> str:
        limits = ["Read-only: updates, SERVICE, FROM and FROM NAMED are refused."]
        if self.timeout:
            limits.append(f"Queries stop after {self.timeout:g} s.")
        if self.max_rows:
            limits.append(f"Results are cut at {self.max_rows} rows (flagged as truncated).")
        return " ".join(limits)

    # --- / ----------------------------------------------------------------------------

    def _query_page(self, request: Request, query: str | None = None) -> Response:
        from hikgraph.queries import named_queries

        named = named_queries()
        if query is None:
            params = dict(urllib.parse.parse_qsl(request.query_string, keep_blank_values=True))
            query = params.get("query")
            if query is None and params.get("name"):
                query = next((q.text for q in named if q.name == params["name"]), None)
                if query is None:
                    raise ProtocolError(404, f"no named query {params['name']!r}")
        status, result, error, labels, graph_text = 200, None, "", {}, ""
        if query:
            try:
                result = self.store.query(query, max_rows=self.max_rows)
                labels = labels_of(self.store, _iris_in(result))
                if isinstance(result, GraphResult):
                    graph_text = resultformats.render(result, "turtle").decode("utf-8")
            except QueryTimeout as failure:
                status, error = 503, str(failure)
            except EngineError as failure:
                status, error = 500, str(failure)
            except QueryError as failure:
                status, error = 400, str(failure)
        page = render_query_page(
            named,
            query=query or "",
            result=result,
            error=error,
            labels=labels,
            href=server_href,
            limits=self._limits_sentence(),
            graph_text=graph_text,
        )
        return html_response(page, status, script=QUERY_PAGE_SCRIPT)

    # --- /id/…, /ontology, /dataset ----------------------------------------------------

    def _resource(self, request: Request, kind: str, slug: str) -> Response:
        from hikgraph.model import ID

        iri = f"{ID}{kind}/{slug}"
        fmt = self._negotiate_document(request)
        triples = self.store.describe(iri)
        if not any(t.subject == NamedNode(iri) for t in triples):
            raise ProtocolError(404, f"no resource {iri} in the graph")
        if fmt != "html":
            return graph_response(triples, fmt, vary=True)
        iris = {iri} | {v for t in triples for v in _named(t.subject, t.object)}
        base = request.path
        formats = {
            name: f"{base}?format={fmt_name}"
            for name, fmt_name in (("Turtle", "turtle"), ("JSON-LD", "jsonld"), ("N-Triples", "nt"))
        }
        page = render_resource(iri, triples, labels_of(self.store, iris), formats=formats)
        return html_response(page, vary=True)

    def _negotiate_document(self, request: Request) -> str:
        params = urllib.parse.parse_qsl(request.query_string, keep_blank_values=True)
        wanted = next((value for name, value in params if name == "format"), None)
        fmt = choose(request.header("accept"), wanted, RESOURCE_OFFERS, graph_aliases())
        if fmt is None:
            raise _not_acceptable(RESOURCE_OFFERS)
        return fmt

    def _document(self, request: Request, document: GraphDocument | None) -> Response:
        fmt = self._negotiate_document(request)
        if document is None:
            raise ProtocolError(404, "the exports are not there: run `hikgraph build`")
        if fmt == "html":
            return html_response(document.html(), vary=True)
        if fmt == "turtle" and document.turtle is not None:
            body = document.turtle  # the file as written, comments included
            return Response(
                200, body, [("Content-Type", "text/turtle; charset=utf-8"), ("Vary", "Accept")]
            )
        return graph_response(document.triples, fmt, vary=True)

    @cached_property
    def ontology(self) -> GraphDocument | None:
        """The ontology, ``ontology/hikgraph.ttl``."""
        from hikgraph.linkeddata import ontology_document

        return ontology_document()

    @cached_property
    def dataset(self) -> GraphDocument | None:
        """The dataset description, ``void.ttl`` of the exports (None without them)."""
        from hikgraph.linkeddata import dataset_document

        return dataset_document(self.exports_dir)


def _named(*terms: object) -> Iterable[str]:
    return (t.value for t in terms if isinstance(t, NamedNode))


def _iris_in(result: QueryResult) -> set[str]:
    # Only a table shows labels; a graph is shown as Turtle, an ASK as yes or no.
    if isinstance(result, SelectResult):
        return {t.value for row in result.rows for t in row if isinstance(t, NamedNode)}
    return set()


def _no_html(offers: dict[str, str]) -> dict[str, str]:
    return {media: name for media, name in offers.items() if name != "html"}


def _not_acceptable(offers: dict[str, str], form: str = "") -> ProtocolError:
    usable = [m for m, name in offers.items() if not (form == "ASK" and name in ("csv", "tsv"))]
    return ProtocolError(
        406, f"none of the accepted media types is available; offered: {', '.join(usable)}"
    )


def text_response(status: int, message: str, headers: Iterable[tuple[str, str]] = ()) -> Response:
    """Return a plain-text response of one line (line breaks in *message* become
    spaces, so a client reading one line gets the whole reason)."""
    line = " ".join(message.split())
    return Response(
        status,
        (line + "\n").encode("utf-8"),
        [("Content-Type", "text/plain; charset=utf-8"), *headers],
    )


def html_response(
    page: str, status: int = 200, *, script: str = "", vary: bool = False
) -> Response:
    """Return an HTML page with a Content-Security-Policy that allows its own inline
    style and *script* and nothing else (no remote anything)."""
    from hikgraph.pages import CSS

    policy = _HTML_CSP.format(
        style=script_hash(CSS), script=script_hash(script) if script else "'none'"
    )
    headers = [
        ("Content-Type", "text/html; charset=utf-8"),
        ("Content-Security-Policy", policy),
        ("Referrer-Policy", "no-referrer"),
    ]
    if vary:
        headers.append(("Vary", "Accept"))
    return Response(status, page.encode("utf-8"), headers)


def graph_response(triples: list[Triple], fmt: str, *, vary: bool = False) -> Response:
    """Return *triples* written in the graph format *fmt*."""
    body = resultformats.render(GraphResult(triples), fmt)
    headers = [("Content-Type", resultformats.FORMATS[fmt].content_type)]
    if vary:
        headers.append(("Vary", "Accept"))
    return Response(200, body, headers)


# --- the HTTP server ------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    """Feeds each HTTP request to the :class:`App` of its server."""

    server_version = "hikgraph"
    sys_version = ""
    timeout = 60  # seconds a client may take to send its request
    app: App
    quiet: bool

    def _dispatch(self) -> None:
        path, _, query_string = self.path.partition("?")
        headers = {name.lower(): value for name, value in self.headers.items()}
        body = b""
        if self.command == "POST":
            length = headers.get("content-length")
            if length is None or not length.isdigit():
                self._send(text_response(411, "a POST needs a Content-Length"), close=True)
                return
            if int(length) > self.app.max_body:
                # Answer without reading the body: the limit exists so it is not read.
                response = text_response(
                    413, f"the request body is over the limit of {self.app.max_body} bytes"
                )
                self._send(response, close=True)
                return
            body = self.rfile.read(int(length))
        request = Request(self.command, path, query_string, headers, body)
        self._send(self.app.handle(request))

    def _send(self, response: Response, *, close: bool = False) -> None:
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    do_GET = do_POST = do_HEAD = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _dispatch

    def log_message(self, format: str, *args: object) -> None:
        if not self.quiet:
            sys.stderr.write(f"{self.address_string()} {format % args}\n")


class HikgraphHTTPServer(ThreadingHTTPServer):
    """The threading HTTP server, one thread per request, around an :class:`App`."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], app: App, *, quiet: bool = False) -> None:
        handler = type("Handler", (_Handler,), {"app": app, "quiet": quiet})
        super().__init__(address, handler)
        self.app = app

    @property
    def url(self) -> str:
        """Return the base URL the server listens on."""
        host, port = self.server_address[:2]
        host = host if isinstance(host, str) else host.decode()
        return f"http://{f'[{host}]' if ':' in host else host}:{port}/"


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def serve(
    engine: Engine,
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    workers: int = 2,
    timeout: float = DEFAULT_TIMEOUT,
    max_rows: int | None = DEFAULT_MAX_ROWS,
    max_body: int = DEFAULT_MAX_BODY,
    cors: bool = False,
    quiet: bool = False,
    ready: Callable[[HikgraphHTTPServer], None] | None = None,
) -> None:
    """Serve the graph over HTTP until interrupted (Ctrl-C).

    Queries run in *workers* processes, each stopped after *timeout* seconds.
    *ready* is called with the server once it listens. Raises
    :class:`~hikgraph.store.StoreError` when the store cannot be opened and
    :class:`ListenError` when the address is taken.
    """
    from hikgraph.workers import PooledStore

    if threading.current_thread() is threading.main_thread():
        # A service manager stops with SIGTERM: shut down as on Ctrl-C, so the worker
        # processes are stopped too.
        signal.signal(signal.SIGTERM, _interrupt)
    pool = PooledStore(engine, workers=workers, timeout=timeout)
    try:
        app = App(
            pool,
            exports_dir=engine.exports_dir,
            max_rows=max_rows,
            max_body=max_body,
            cors=cors,
            timeout=timeout,
        )
        try:
            server = HikgraphHTTPServer((host, port), app, quiet=quiet)
        except OSError as error:
            raise ListenError(
                f"cannot listen on {host}:{port}: {error.strerror or error}"
            ) from None
        with server:
            if ready is not None:
                ready(server)
            with contextlib.suppress(KeyboardInterrupt):
                server.serve_forever()
    finally:
        pool.close()
