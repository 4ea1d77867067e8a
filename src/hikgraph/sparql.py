"""SPARQL queries before and after evaluation: the safety check and the result model.

:func:`check_query` parses a query (with rdflib's SPARQL 1.1 grammar) and inspects
the parse tree *before* any engine sees it: updates, ``SERVICE``, ``FROM`` and
``FROM NAMED`` are refused, because each of them makes an engine read a file or open
a network connection (rdflib fetches both; a remote endpoint might). Every store in
:mod:`hikgraph.store` calls it first, so no engine can be reached around it.

The results of every engine are turned into one model — :class:`SelectResult`,
:class:`AskResult`, :class:`GraphResult` holding pyoxigraph terms — so the writers
in :mod:`hikgraph.resultformats` and the pages never know which engine answered.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from pyoxigraph import BlankNode, Literal, NamedNode, Triple

Term = NamedNode | BlankNode | Literal | Triple
"""An RDF term as bound in a solution (RDF 1.2 triple terms included)."""

QUERY_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")
_FORM_OF_NODE = {
    "SelectQuery": "SELECT",
    "AskQuery": "ASK",
    "ConstructQuery": "CONSTRUCT",
    "DescribeQuery": "DESCRIBE",
}


class QueryError(Exception):
    """A query that cannot be answered; ``str()`` is a one-line message for users."""


class QuerySyntaxError(QueryError):
    """A query that does not parse, with the 1-based line and column of the error."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None):
        self.message = message
        self.line = line
        self.column = column
        where = f" at line {line}, column {column}" if line is not None else ""
        super().__init__(f"syntax error{where}: {message}")

    def __reduce__(self) -> tuple[type[QuerySyntaxError], tuple[str, int | None, int | None]]:
        # Rebuilt from its parts when it crosses a process boundary (see workers.py).
        return (QuerySyntaxError, (self.message, self.line, self.column))


class QueryRefused(QueryError):
    """A well-formed request this read-only, closed service does not evaluate."""


class UpdateRefused(QueryRefused):
    """A SPARQL Update operation (INSERT, DELETE, LOAD, CLEAR, ...): there is none."""


class QueryTimeout(QueryError):
    """A query stopped because it ran past the time limit."""


class EngineError(QueryError):
    """The engine failed on a query that passed the checks (a bug or an I/O error)."""


@dataclass(frozen=True)
class CheckedQuery:
    """A query that passed :func:`check_query`: its text and its form."""

    text: str
    form: str  # one of QUERY_FORMS

    @property
    def returns_graph(self) -> bool:
        """True for CONSTRUCT and DESCRIBE, whose result is a set of triples."""
        return self.form in ("CONSTRUCT", "DESCRIBE")


@dataclass(frozen=True)
class SelectResult:
    """The solutions of a SELECT query, in the engine's order.

    ``rows`` hold one term (or None for an unbound variable) per variable;
    ``truncated`` is True when a row cap cut the solutions short.
    """

    variables: tuple[str, ...]
    rows: list[tuple[Term | None, ...]]
    truncated: bool = False


@dataclass(frozen=True)
class AskResult:
    """The answer to an ASK query."""

    value: bool
    truncated: bool = False


@dataclass(frozen=True)
class GraphResult:
    """The triples of a CONSTRUCT or DESCRIBE query."""

    triples: list[Triple] = field(default_factory=list)
    truncated: bool = False


QueryResult = SelectResult | AskResult | GraphResult

# pyparsing keeps shared state while it parses, so one parse at a time.
_PARSE_LOCK = threading.Lock()


def check_query(text: str) -> CheckedQuery:
    """Parse *text* as a SPARQL 1.1 query and refuse what this service does not do.

    Returns the :class:`CheckedQuery`. Raises :class:`QuerySyntaxError` (with line
    and column) when it does not parse, :class:`UpdateRefused` for a SPARQL Update,
    and :class:`QueryRefused` for ``SERVICE``, ``FROM`` or ``FROM NAMED``. Nothing is
    evaluated. Answers are cached by text, so a repeated query is checked once.
    """
    return _check_query(text)


@lru_cache(maxsize=512)
def _check_query(text: str) -> CheckedQuery:
    from pyparsing import ParseBaseException
    from rdflib.plugins.sparql.parser import parseQuery, parseUpdate

    with _PARSE_LOCK:
        try:
            parsed = parseQuery(text)
        except ParseBaseException as error:
            try:
                update = parseUpdate(text)
            except Exception:
                update = None
            # An empty text is a valid update of no operations, but no query.
            if update is None or not dict.get(update, "request"):
                raise QuerySyntaxError(_message(error), error.lineno, error.col) from None
            raise UpdateRefused(
                "SPARQL Update is not supported: this service is read-only"
            ) from None
        except Exception as error:  # rdflib raises plain exceptions for some bad input
            raise QuerySyntaxError(str(error).splitlines()[0] or type(error).__name__) from None
    query = parsed[1]
    form = _FORM_OF_NODE.get(getattr(query, "name", ""))
    if form is None:  # pragma: no cover - the grammar has exactly these four forms
        raise QuerySyntaxError(f"not a query: {getattr(query, 'name', query)!r}")
    for node in _walk(parsed):
        # CompValue.get() returns the key itself for a missing key, hence dict.get.
        clauses = dict.get(node, "datasetClause")
        if clauses:
            keyword = "FROM NAMED" if any("named" in c for c in clauses) else "FROM"
            raise QueryRefused(
                f"{keyword} is not supported: queries run on this dataset only and never "
                "load other graphs"
            )
        if getattr(node, "name", None) == "ServiceGraphPattern":
            raise QueryRefused("SERVICE is not supported: queries never call other endpoints")
    return CheckedQuery(text=text, form=form)


def _walk(value: Any) -> Iterator[Any]:
    """Yield every node of an rdflib parse tree (CompValues, ParseResults, lists)."""
    from pyparsing import ParseResults
    from rdflib.plugins.sparql.parserutils import CompValue

    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, CompValue):
            yield item
            stack.extend(item.values())
        elif isinstance(item, (ParseResults, list, tuple)):
            stack.extend(item)


def _message(error: Exception) -> str:
    # pyparsing appends "(at char N), (line:L, col:C)"; the position is given apart.
    text = str(error)
    return re.sub(r"\s*\(at char \d+\).*$", "", text).strip() or "invalid query"


def oxigraph_syntax_error(error: SyntaxError) -> QuerySyntaxError:
    """Return Oxigraph's SyntaxError (``error at L:C: message``) as a
    :class:`QuerySyntaxError` with its line and column."""
    text = str(error)
    match = re.match(r"error at (\d+):(\d+): (.*)", text, re.DOTALL)
    if match:
        return QuerySyntaxError(match[3].strip(), int(match[1]), int(match[2]))
    return QuerySyntaxError(text)
