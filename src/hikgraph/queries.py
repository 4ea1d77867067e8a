"""The named-query library: ``queries/*.rq``, each with a title and a description.

A file starts with a comment block of ``# key: value`` lines (``title`` and
``description`` required; a description may continue on following ``#`` lines), then
the query. The file name without ``.rq`` is the query's name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

_HEADER_LINE = re.compile(r"#\s*([a-z-]+):\s*(.*)")


class NamedQueryError(ValueError):
    """A named query that does not exist or whose header is incomplete."""


@dataclass(frozen=True)
class NamedQuery:
    """One query of the library."""

    name: str
    title: str
    description: str
    text: str
    path: Path


def parse_named_query(path: Path) -> NamedQuery:
    """Return the :class:`NamedQuery` in the file at *path*.

    Raises :class:`NamedQueryError` naming the file when it lacks a title or a
    description.
    """
    text = path.read_text(encoding="utf-8")
    fields: dict[str, str] = {}
    key = None
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped.startswith("#"):
            break
        match = _HEADER_LINE.fullmatch(stripped)
        if match:
            key = match[1]
            fields[key] = match[2].strip()
        elif key is not None and stripped.lstrip("#").strip():
            fields[key] += " " + stripped.lstrip("#").strip()
    for required in ("title", "description"):
        if not fields.get(required):
            raise NamedQueryError(f"{path}: the header has no '# {required}:' line")
    return NamedQuery(path.stem, fields["title"], fields["description"], text, path)


def named_queries(folder: Path | None = None) -> list[NamedQuery]:
    """Return every query in *folder* (default ``queries/``), sorted by name.

    Raises :class:`NamedQueryError` for a file with an incomplete header.
    """
    from hikgraph.paths import queries_dir

    folder = folder or queries_dir()
    return [parse_named_query(path) for path in sorted(folder.glob("*.rq"), key=lambda p: p.stem)]


def named_query(name: str, folder: Path | None = None) -> NamedQuery:
    """Return the query called *name*. Raises :class:`NamedQueryError` listing the
    names there are when there is none by that name."""
    from hikgraph.paths import queries_dir

    folder = folder or queries_dir()
    if re.fullmatch(r"[a-z0-9][a-z0-9-]*", name):
        path = folder / f"{name}.rq"
        if path.is_file():
            return parse_named_query(path)
    known = ", ".join(q.name for q in named_queries(folder))
    raise NamedQueryError(f"no named query {name!r}; there are: {known}")
