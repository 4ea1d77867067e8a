"""The enrichment stage: parsed records → resolved and classified records.

:func:`plan` takes what :mod:`hikgraph.directory` read, resolves each outlet name
through the registry and mints the stable slug each entry is known by; the build then
pairs each planned entry with the classifier's answer (language, topics, countries)
as an :class:`EnrichedEntry`. Knows nothing of RDF.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from operator import attrgetter
from typing import TYPE_CHECKING

from hikgraph.directory import (
    CitingReport,
    CoverageReport,
    Directory,
    DirectoryError,
    Entry,
    collection_paused,
)
from hikgraph.registry import Outlet, Registry
from hikgraph.slugs import cut_slug, slugify

if TYPE_CHECKING:
    from hikgraph.classify import Classification

# The longest headline part of an entry slug; a longer headline is cut at a word
# boundary and the slug gets a short digest of the whole headline, so it stays unique.
_HEADLINE_SLUG_LENGTH = 60
IPVM_OUTLET = "IPVM"


@dataclass(frozen=True)
class EnrichedEntry:
    """An entry with its outlet resolved, its classification and its slug."""

    entry: Entry
    slug: str
    outlet: Outlet | None
    classification: Classification


@dataclass(frozen=True)
class PlannedEntry:
    """An entry with its outlet resolved and its slug, not yet classified."""

    entry: Entry
    slug: str
    outlet: Outlet | None


@dataclass(frozen=True)
class Plan:
    """Everything about a directory but the classification of its headlines.

    Cheap to make (no classifier runs), so a large build can plan first and then
    classify and write the entries a chunk at a time.
    """

    directory: Directory
    entries: tuple[PlannedEntry, ...]  # newest month first, then by slug
    outlets: tuple[Outlet, ...]
    spellings: dict[str, tuple[str, ...]]
    ipvm: Outlet
    coverage: tuple[CoverageReport, ...]
    citing: tuple[CitingReport, ...]

    @property
    def unreviewed(self) -> tuple[Outlet, ...]:
        """Return the outlets not in the registry, sorted by slug."""
        return tuple(o for o in self.outlets if not o.reviewed)

    @cached_property
    def months(self) -> tuple[str, ...]:
        """Return the distinct months of the entries (``YYYY-MM``), oldest first."""
        # Formatted once per distinct month, not once per entry.
        distinct = {(e.entry.year, e.entry.month) for e in self.entries}
        return tuple(sorted(f"{year:04d}-{month:02d}" for year, month in distinct))


def entry_slug(entry: Entry, outlet: Outlet | None) -> str:
    """Return the slug of *entry*: month, outlet and headline, e.g.
    ``2022-04-associated-press-uk-concerns-raised-over-chinese-surveillance-camera-firm``
    (a headline cut to 60 characters gets a digest of itself: ``…-from-uk-to-94a4a5``).

    It depends only on the entry's own month, outlet and headline, so an entry keeps
    its IRI when a later edition adds months above it. Raises ValueError for a
    headline with no letters or digits.
    """
    return _joined_slug(entry.year_month, outlet, _headline_slug(entry.headline))


def _headline_slug(headline: str) -> str:
    full = slugify(headline, max_length=10_000)
    cut = cut_slug(full, _HEADLINE_SLUG_LENGTH)
    if cut != full:
        digest = hashlib.sha256(headline.encode("utf-8")).hexdigest()[:6]
        cut = f"{cut}-{digest}"
    return cut


def _joined_slug(year_month: str, outlet: Outlet | None, headline_slug: str) -> str:
    if outlet is None:
        return f"{year_month}-{headline_slug}"
    return f"{year_month}-{outlet.slug}-{headline_slug}"


def plan(directories: Iterable[Directory], registry: Registry) -> Plan:
    """Resolve the outlets and mint the slugs of the entries of *directories* (one or
    more editions), without classifying any headline.

    Entries are ordered newest month first, then by slug, whatever the order of the
    inputs. Two entries with one slug (the same outlet, month and headline) in one
    source raise :class:`DirectoryError` naming both lines; a later edition repeating
    an entry is merged into it. A headline (or an unknown outlet's name) with no
    letters or digits raises :class:`DirectoryError` naming its line.
    """
    # Newest edition first, so an entry repeated by a later edition derives from it,
    # whatever order the sources were given in.
    directories = sorted(directories, key=lambda d: (d.metadata.published, d.source), reverse=True)
    if not directories:
        raise ValueError("no directory to enrich")
    with collection_paused():
        return _plan(directories, registry)


def _plan(directories: list[Directory], registry: Registry) -> Plan:
    newest = directories[0]
    by_slug: dict[str, PlannedEntry] = {}
    # The entries kept, by month (year, month): each month is sorted by slug at the
    # end, which is the order of the plan without a sort key made for every entry.
    by_month: dict[tuple[int, int], list[PlannedEntry]] = {}
    # A large directory repeats a few thousand outlet spellings and many headlines:
    # each is resolved or slugged once. Outlets are compared by value, so sharing
    # one resolved Outlet between the entries of a spelling changes nothing.
    resolved: dict[str, Outlet] = {}
    headline_slugs: dict[str, str] = {}
    # The outlet spellings of the entries kept, in the order first kept (a dict as an
    # ordered set): the outlets and their spellings are read from it at the end.
    kept_spellings: dict[str, None] = {}
    year: int | None = None
    month: int | None = None
    year_month = ""
    kept_in_month: list[PlannedEntry] = []
    for directory in directories:
        for entry in directory.entries:
            raw = entry.outlet
            outlet: Outlet | None = None
            if raw is not None:
                outlet = resolved.get(raw)
                if outlet is None:
                    try:
                        outlet = resolved[raw] = registry.resolve(raw)
                    except ValueError as error:  # a name with no letters: "!!!"
                        raise DirectoryError(entry.source, entry.line, str(error)) from None
            if entry.month != month or entry.year != year:  # entries come month by month
                year, month, year_month = entry.year, entry.month, entry.year_month
                kept_in_month = by_month.setdefault((year, month), [])
            headline_slug = headline_slugs.get(entry.headline)
            if headline_slug is None:
                try:
                    headline_slug = _headline_slug(entry.headline)
                except ValueError as error:
                    raise DirectoryError(entry.source, entry.line, str(error)) from None
                headline_slugs[entry.headline] = headline_slug
            slug = _joined_slug(year_month, outlet, headline_slug)
            planned = PlannedEntry(entry, slug, outlet)
            kept = by_slug.setdefault(slug, planned)
            if kept is not planned:
                other = kept.entry
                if (other.source, other.line) != (entry.source, entry.line) and _same_edition_line(
                    other, entry
                ):
                    raise DirectoryError(
                        entry.source,
                        entry.line,
                        f"duplicate of the entry at {other.source}:{other.line}",
                    )
                continue
            if raw is not None:
                kept_spellings[raw] = None
            kept_in_month.append(planned)
    entries = [
        planned
        for key in sorted(by_month, reverse=True)  # newest month first
        for planned in sorted(by_month[key], key=attrgetter("slug"))
    ]
    outlets: dict[str, Outlet] = {}
    spellings: dict[str, set[str]] = {}
    for raw in kept_spellings:
        outlet = resolved[raw]
        outlets.setdefault(outlet.slug, outlet)
        spellings.setdefault(outlet.slug, set()).add(raw)
    ipvm = registry.resolve(IPVM_OUTLET)
    outlets.setdefault(ipvm.slug, ipvm)
    coverage: dict[str, CoverageReport] = {}
    citing: dict[str, CitingReport] = {}
    for directory in directories:
        for report in directory.coverage:
            coverage.setdefault(report.title, report)
        for cited_by in directory.citing:
            citing.setdefault(cited_by.title, cited_by)
    return Plan(
        directory=newest,
        entries=tuple(entries),
        outlets=tuple(sorted(outlets.values(), key=lambda o: o.slug)),
        spellings={slug: tuple(sorted(names)) for slug, names in sorted(spellings.items())},
        ipvm=ipvm,
        coverage=tuple(sorted(coverage.values(), key=lambda c: c.title)),
        citing=tuple(sorted(citing.values(), key=lambda c: (c.published, c.title))),
    )


def _same_edition_line(first: Entry, second: Entry) -> bool:
    # Two editions repeat the same entry on purpose (a later edition keeps the old
    # months); only a repeat inside one source file is an error.
    return first.source == second.source
