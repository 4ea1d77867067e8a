"""A remote SPARQL 1.1 endpoint as a :class:`hikgraph.store.GraphStore`.

Queries go out as an HTML-form POST (the one request every SPARQL 1.1 Protocol
service must accept), asking for SPARQL JSON (solutions) or N-Triples (graphs) and
reading whichever standard format comes back. Only ``http`` and ``https`` URLs are
accepted: urllib would otherwise read ``file:`` URLs from the local disk. An endpoint
that asks for a user and password (HTTP Basic or Digest) gets them from
``HIKGRAPH_ENDPOINT_USER`` and ``HIKGRAPH_ENDPOINT_PASSWORD`` (:mod:`hikgraph.httpauth`).
"""

from __future__ import annotations

import io
import urllib.error
import urllib.parse
import urllib.request
from email.message import Message
from typing import Any

from pyoxigraph import (
    QueryBoolean,
    QueryResultsFormat,
    QuerySolutions,
    RdfFormat,
    Triple,
    parse,
    parse_query_results,
)

from hikgraph.httpauth import Credentials, CredentialsError, build_opener, resolve_credentials
from hikgraph.sparql import (
    AskResult,
    EngineError,
    GraphResult,
    QueryError,
    QueryResult,
    QueryTimeout,
    SelectResult,
    check_query,
)
from hikgraph.store import StoreError, describe_by_query, take_rows

_SOLUTION_TYPES = {
    "application/sparql-results+json": QueryResultsFormat.JSON,
    "application/json": QueryResultsFormat.JSON,
    "application/sparql-results+xml": QueryResultsFormat.XML,
    "application/xml": QueryResultsFormat.XML,
    "text/xml": QueryResultsFormat.XML,
    "text/tab-separated-values": QueryResultsFormat.TSV,
    "text/csv": QueryResultsFormat.CSV,
}
_GRAPH_TYPES = {
    "application/n-triples": RdfFormat.N_TRIPLES,
    "text/plain": RdfFormat.N_TRIPLES,
    "text/turtle": RdfFormat.TURTLE,
    "application/x-turtle": RdfFormat.TURTLE,
    "application/rdf+xml": RdfFormat.RDF_XML,
    "application/n-quads": RdfFormat.N_QUADS,
    "application/trig": RdfFormat.TRIG,
    "application/ld+json": RdfFormat.JSON_LD,
}
_ACCEPT_SOLUTIONS = "application/sparql-results+json, application/sparql-results+xml;q=0.8"
_ACCEPT_GRAPH = "application/n-triples, text/turtle;q=0.9, application/rdf+xml;q=0.5"
_ERROR_BODY_LIMIT = 2000


class RemoteStore:
    """A SPARQL 1.1 endpoint at *url*, each request limited to *timeout* seconds of
    network silence. *credentials* answer its Basic or Digest challenge; by default
    they come from the environment (none when it names no user)."""

    def __init__(
        self, url: str, *, timeout: float = 30.0, credentials: Credentials | None = None
    ) -> None:
        scheme = urllib.parse.urlsplit(url).scheme.lower()
        if scheme not in ("http", "https"):
            raise StoreError(f"{url}: an endpoint URL must start with http:// or https://")
        if credentials is None:
            try:
                credentials = resolve_credentials()
            except CredentialsError as error:
                raise StoreError(str(error)) from None
        self.url = url
        self.timeout = timeout
        self.label = f"SPARQL endpoint {url}"
        self._opener = build_opener(credentials, [url])

    def query(self, text: str, *, max_rows: int | None = None) -> QueryResult:
        """See :meth:`hikgraph.store.GraphStore.query`. Errors of the endpoint come back
        as :class:`~hikgraph.sparql.QueryError` (its 4xx answers) or
        :class:`~hikgraph.sparql.EngineError` (anything else)."""
        checked = check_query(text)
        body = urllib.parse.urlencode({"query": checked.text}).encode("utf-8")
        request = urllib.request.Request(
            self.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": _ACCEPT_GRAPH if checked.returns_graph else _ACCEPT_SOLUTIONS,
                "User-Agent": "hikgraph",
            },
        )
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                content = response.read()
                media_type = _media_type(response.headers)
        except urllib.error.HTTPError as error:
            detail = error.read(_ERROR_BODY_LIMIT).decode("utf-8", "replace").strip()
            message = f"{self.url} answered {error.code} {error.reason}: {detail}".strip()
            if error.code in (400, 406, 415):
                raise QueryError(message) from None
            if error.code in (503, 504) and "time" in detail.lower():
                raise QueryTimeout(message) from None
            raise EngineError(message) from None
        except TimeoutError:
            raise QueryTimeout(f"{self.url} did not answer within {self.timeout:g} s") from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise EngineError(f"cannot reach {self.url}: {reason}") from None
        try:
            if checked.returns_graph:
                rdf_format = _GRAPH_TYPES.get(media_type)
                if rdf_format is None:
                    raise EngineError(f"{self.url} answered a graph as {media_type!r}")
                triples = (
                    Triple(q.subject, q.predicate, q.object)
                    for q in parse(io.BytesIO(content), rdf_format)
                )
                graph, truncated = take_rows(triples, max_rows)
                return GraphResult(graph, truncated)
            results_format = _SOLUTION_TYPES.get(media_type)
            if results_format is None:
                raise EngineError(f"{self.url} answered solutions as {media_type!r}")
            answer = parse_query_results(io.BytesIO(content), results_format)
        except SyntaxError as error:
            raise EngineError(f"{self.url} sent a result that does not parse: {error}") from None
        if isinstance(answer, QueryBoolean):
            return AskResult(bool(answer))
        assert isinstance(answer, QuerySolutions)
        variables = tuple(v.value for v in answer.variables)
        if checked.form == "ASK":
            return _ask_as_solutions(self.url, variables, list(answer))
        rows, truncated = take_rows((tuple(row) for row in answer), max_rows)
        return SelectResult(variables, rows, truncated)

    def describe(self, iri: str) -> list[Triple]:
        """See :meth:`hikgraph.store.GraphStore.describe`."""
        return describe_by_query(self, iri)


def _media_type(headers: Message) -> str:
    return (headers.get_content_type() or "").lower()


def _ask_as_solutions(url: str, variables: tuple[str, ...], rows: list[Any]) -> AskResult:
    # Virtuoso (7.2 at least) answers ASK in JSON and XML as one solution of a
    # variable __ASK_RETVAL bound to 1 or 0 instead of a boolean result.
    if len(variables) == 1 and len(rows) <= 1:
        value = rows[0][0] if rows else None
        if value is None or value.value in ("0", "false"):
            return AskResult(False)
        if value.value in ("1", "true"):
            return AskResult(True)
    raise EngineError(f"{url} answered an ASK query with solutions, not a boolean")
