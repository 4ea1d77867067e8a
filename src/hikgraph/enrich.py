"""The enrichment stage: parsed records → resolved and classified records.

:func:`plan` takes what :mod:`hikgraph.directory` read, resolves each outlet name
through the registry and mints the stable slug each entry is known by; the build then
pairs each planned entry with the classifier's answer (language, topics, countries)
as an :class:`EnrichedEntry`. Knows nothing of RDF.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from hikgraph.directory import CitingReport, CoverageReport, Directory, DirectoryError, Entry
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
        return tuple(sorted({e.entry.year_month for e in self.entries}))


def entry_slug(entry: Entry, outlet: Outlet | None) -> str:
    """Return the slug of *entry*: month, outlet and headline, e.g.
    ``2022-05-al-jazeera-hikvision-sanctions-signal-uncharted-waters-from-uk-to``.

    It depends only on the entry's own month, outlet and headline, so an entry keeps
    its IRI when a later edition adds months above it.
    """
    full = slugify(entry.headline, max_length=10_000)
    headline = cut_slug(full, _HEADLINE_SLUG_LENGTH)
    if headline != full:
        digest = hashlib.sha256(entry.headline.encode("utf-8")).hexdigest()[:6]
        headline = f"{headline}-{digest}"
    parts = [entry.year_month]
    if outlet is not None:
        parts.append(outlet.slug)
    parts.append(headline)
    return "-".join(parts)


def plan(directories: Iterable[Directory], registry: Registry) -> Plan:
    """Resolve the outlets and mint the slugs of the entries of *directories* (one or
    more editions), without classifying any headline.

    Entries are ordered newest month first, then by slug, whatever the order of the
    inputs. Two entries with one slug (the same outlet, month and headline) in one
    source raise :class:`DirectoryError` naming both lines; a later edition repeating
    an entry is merged into it.
    """
    # Newest edition first, so an entry repeated by a later edition derives from it,
    # whatever order the sources were given in.
    directories = sorted(directories, key=lambda d: (d.metadata.published, d.source), reverse=True)
    if not directories:
        raise ValueError("no directory to enrich")
    newest = directories[0]
    by_slug: dict[str, PlannedEntry] = {}
    outlets: dict[str, Outlet] = {}
    spellings: dict[str, set[str]] = {}
    for directory in directories:
        for entry, outlet in _resolved(directory.entries, registry):
            slug = entry_slug(entry, outlet)
            if slug in by_slug:
                other = by_slug[slug].entry
                if (other.source, other.line) != (entry.source, entry.line) and _same_edition_line(
                    other, entry
                ):
                    raise DirectoryError(
                        entry.source,
                        entry.line,
                        f"duplicate of the entry at {other.source}:{other.line}",
                    )
                continue
            if outlet is not None:
                outlets.setdefault(outlet.slug, outlet)
                spellings.setdefault(outlet.slug, set()).add(entry.outlet or "")
            by_slug[slug] = PlannedEntry(entry, slug, outlet)
    ipvm = registry.resolve(IPVM_OUTLET)
    outlets.setdefault(ipvm.slug, ipvm)
    entries = sorted(
        by_slug.values(),
        key=lambda e: (-e.entry.year, -e.entry.month, e.slug),
    )
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


def _resolved(
    entries: Iterable[Entry], registry: Registry
) -> Iterator[tuple[Entry, Outlet | None]]:
    for entry in entries:
        yield entry, registry.resolve(entry.outlet) if entry.outlet is not None else None


def _same_edition_line(first: Entry, second: Entry) -> bool:
    # Two editions repeat the same entry on purpose (a later edition keeps the old
    # months); only a repeat inside one source file is an error.
    return first.source == second.source
