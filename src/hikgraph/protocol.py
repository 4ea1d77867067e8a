"""The SPARQL 1.1 Protocol's request rules and HTTP content negotiation, without I/O.

:func:`read_query` turns a request into the query it carries (or None, which asks
for the service description) and raises :class:`ProtocolError` with the status the
protocol calls for: https://www.w3.org/TR/sparql11-protocol/#query-operation.
:func:`negotiate` picks a representation from an ``Accept`` header (RFC 9110 §12.5.1).
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

FORM = "application/x-www-form-urlencoded"
SPARQL_QUERY = "application/sparql-query"
SPARQL_UPDATE = "application/sparql-update"


class ProtocolError(Exception):
    """A request the protocol says to refuse: the HTTP status and a one-line reason."""

    def __init__(self, status: int, message: str, headers: Sequence[tuple[str, str]] = ()):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = list(headers)


@dataclass
class Request:
    """An HTTP request as the app sees it (header names in lower case)."""

    method: str
    path: str
    query_string: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    def header(self, name: str, default: str = "") -> str:
        """Return the value of header *name* (any case), or *default*."""
        return self.headers.get(name.lower(), default)


@dataclass
class Response:
    """An HTTP response: status, headers, body."""

    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)

    def header(self, name: str) -> str | None:
        """Return the first value of header *name* (any case), or None."""
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None


@dataclass(frozen=True)
class QueryRequest:
    """What a /sparql request asks for: the query (None: describe the service) and the
    ``format`` parameter browsers and some clients use instead of ``Accept``."""

    query: str | None
    format: str | None = None


def parse_params(text: str) -> list[tuple[str, str]]:
    """Return the ``name=value`` pairs of a query string or form body, percent-decoded
    as UTF-8. Raises :class:`ProtocolError` (400) when they are not UTF-8."""
    try:
        return urllib.parse.parse_qsl(
            text, keep_blank_values=True, encoding="utf-8", errors="strict"
        )
    except UnicodeDecodeError:
        raise ProtocolError(400, "the parameters are not UTF-8 text") from None


def media_type(value: str) -> tuple[str, dict[str, str]]:
    """Return the lower-case media type of a Content-Type value and its parameters."""
    kind, _, rest = value.partition(";")
    params = {}
    for part in rest.split(";"):
        name, equals, param = part.partition("=")
        if equals:
            params[name.strip().lower()] = param.strip().strip('"')
    return kind.strip().lower(), params


def read_body(request: Request, max_body: int) -> bytes:
    """Return the body of *request*, refusing one over *max_body* bytes (413)."""
    if len(request.body) > max_body:
        raise ProtocolError(413, f"the request body is over the limit of {max_body} bytes")
    return request.body


def read_query(request: Request, max_body: int) -> QueryRequest:
    """Return the query a /sparql request carries, by the SPARQL 1.1 Protocol.

    GET takes ``query`` from the URL; POST takes it from an HTML form body or, with
    ``Content-Type: application/sparql-query``, is the query itself. Raises
    :class:`ProtocolError`: 405 for another method, 415 for another body type, 413
    for a body over *max_body*, 400 for two queries, a body that is not UTF-8, an
    update (there is none: the service is read-only) or a dataset parameter
    (``default-graph-uri`` / ``named-graph-uri``: queries never load other graphs).
    """
    url_params = parse_params(request.query_string)
    if request.method in ("GET", "HEAD"):
        params = url_params
    elif request.method == "POST":
        body = read_body(request, max_body)
        kind, type_params = media_type(request.header("content-type"))
        charset = type_params.get("charset", "utf-8").lower()
        if kind in (FORM, SPARQL_QUERY, SPARQL_UPDATE) and charset not in ("utf-8", "utf8"):
            raise ProtocolError(415, f"charset {charset} is not supported: send UTF-8")
        if kind == SPARQL_UPDATE:
            raise ProtocolError(400, "SPARQL Update is not supported: this service is read-only")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise ProtocolError(400, "the request body is not UTF-8 text") from None
        if kind == FORM:
            params = url_params + parse_params(text)
            if not any(name in ("query", "update") for name, _ in params):
                raise ProtocolError(400, "the form has no 'query' field")
        elif kind == SPARQL_QUERY:
            if any(name == "query" for name, _ in url_params):
                raise ProtocolError(400, "two queries: one in the URL and one in the body")
            params = [*url_params, ("query", text)]
        elif not kind:
            raise ProtocolError(415, f"a POST needs a Content-Type: {FORM} or {SPARQL_QUERY}")
        else:
            raise ProtocolError(415, f"{kind} is not a query body: send {FORM} or {SPARQL_QUERY}")
    else:
        raise ProtocolError(
            405, f"{request.method} is not allowed here", [("Allow", "GET, HEAD, POST")]
        )
    names = [name for name, _ in params]
    if "update" in names:
        raise ProtocolError(400, "SPARQL Update is not supported: this service is read-only")
    dataset = sorted({n for n in names if n in ("default-graph-uri", "named-graph-uri")})
    if dataset:
        raise ProtocolError(
            400,
            f"{', '.join(dataset)} is not supported: queries run on this dataset only "
            "and never load other graphs",
        )
    queries = [value for name, value in params if name == "query"]
    if len(queries) > 1:
        raise ProtocolError(400, f"{len(queries)} 'query' parameters: send exactly one")
    formats = [value for name, value in params if name in ("format", "output")]
    return QueryRequest(queries[0] if queries else None, formats[0] if formats else None)


def _ranges(accept: str) -> list[tuple[str, str, float, int]]:
    ranges = []
    for item in accept.split(","):
        kind, params = media_type(item)
        if not kind:
            continue
        try:
            quality = float(params.get("q", "1"))
        except ValueError:
            quality = 0.0
        main, _, sub = kind.partition("/")
        specificity = 0 if main == "*" else 1 if sub == "*" else 2
        ranges.append((main, sub or "*", quality, specificity))
    return ranges


def negotiate(accept: str, offers: Sequence[str]) -> str | None:
    """Return the offered media type *accept* likes best, or None if it takes none.

    The most specific range matching an offer gives its quality; ties go to the
    earlier offer (the server's preference). A missing or empty header takes the
    first offer.
    """
    if not accept.strip():
        return offers[0] if offers else None
    ranges = _ranges(accept)
    best: tuple[float, int] | None = None
    chosen = None
    for position, offer in enumerate(offers):
        main, _, sub = offer.partition("/")
        matches = [
            (specificity, quality)
            for r_main, r_sub, quality, specificity in ranges
            if (r_main == "*" or r_main == main) and (r_sub == "*" or r_sub == sub)
        ]
        if not matches:
            continue
        quality = max(matches)[1]  # the most specific matching range decides
        if quality <= 0:
            continue
        score = (quality, -position)
        if best is None or score > best:
            best, chosen = score, offer
    return chosen


def choose(
    accept: str, format_param: str | None, offers: Mapping[str, str], aliases: Mapping[str, str]
) -> str | None:
    """Return the format name to answer with: the ``format`` parameter when given
    (looked up in *aliases*, a name or media type → format name), else content
    negotiation over *offers* (media type → format name, in preference order).
    None means nothing acceptable (406)."""
    if format_param:
        wanted = format_param.strip().lower()
        return aliases.get(wanted) or offers.get(wanted)
    media = negotiate(accept, list(offers))
    return offers[media] if media else None
