"""One chunk of the graph's entries, made wherever it is cheapest (a worker process of
the build, or the build's own): classified entries → triples → an N-Triples and a
Turtle file, with what the build needs besides (VoID counts, the countries and evidence
the headlines name, the triples of the sampled entries).

The entries are not sent to the workers: the build shares them (:func:`share_entries`)
before it forks them, and a job names its chunk by position. The chunk's bytes go to
files, not back through a pipe; the build appends them to the dumps in chunk order,
so the dumps are the same whichever process made each chunk and however many there
were.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pyoxigraph import NamedNode, Triple

from hikgraph.directory import collection_paused
from hikgraph.enrich import EnrichedEntry, PlannedEntry
from hikgraph.export import GraphCounts, serialize_chunk
from hikgraph.model import (
    EvidenceKey,
    Terms,
    classification_links,
    entry_evidence,
    entry_terms,
    node,
)

if TYPE_CHECKING:
    from hikgraph.classify import Classification


#: The entries of the graph being built, shared with the workers by forking them after
#: :func:`share_entries` (a job names its chunk by position, so no entry is pickled).
_shared: list[Sequence[PlannedEntry]] = [()]


def share_entries(entries: Sequence[PlannedEntry]) -> None:
    """Make *entries* the ones chunk jobs name (call it before the workers fork), and
    start a new stream: the chunks made next report the countries and evidence of
    every classification again."""
    _shared[0] = entries
    _linked.clear()


@dataclass(frozen=True)
class ChunkJob:
    """One chunk of the shared entries, where it stands in the whole stream, and where
    its files go."""

    first: int  # the position of the chunk's first entry among all the shared entries
    stop: int  # the position after its last
    step: int  # the entries at positions that are multiples of step are sampled
    distinct: bool  # whether to count distinct subjects and objects (a small graph)
    directory: str  # the IRI of the directory the entries are part of
    folder: str  # where to write the chunk's files

    @property
    def entries(self) -> Sequence[PlannedEntry]:
        """Return the chunk's entries, from the shared ones."""
        return _shared[0][self.first : self.stop]


@dataclass
class ChunkGraph:
    """What one chunk of entries became."""

    entries: int
    ntriples: Path  # the chunk's N-Triples
    turtle: Path  # its Turtle body, without the @prefix lines
    counts: GraphCounts
    # The country codes the headlines name and the evidence behind the entries' topics
    # and countries: those of the classifications this process had not met in the
    # stream (the union over the chunks is the stream's).
    mentioned: set[str]
    evidence: set[EvidenceKey]
    sample: list[Triple]  # the triples of the sampled entries


#: The links of the classifications this process has met in this stream, by id() of
#: the classification (kept with them, so that its id is not another's): a worker's
#: classifications of one headline are one object (hikgraph.classify_stream keeps
#: them), and a large directory repeats headlines from chunk to chunk (37,372 distinct
#: headlines among 100,000 synthetic entries, 82,203 counted chunk by chunk). Emptied
#: by :func:`share_entries` and when full.
_linked: dict[int, tuple[Classification, list[tuple[NamedNode, NamedNode]]]] = {}
_LINKED_LIMIT = 200_000


def _links_of(
    classification: Classification,
) -> tuple[list[tuple[NamedNode, NamedNode]], list[EvidenceKey] | None]:
    """Return the links *classification* gives an entry and, the first time this
    process meets it in the stream, its evidence keys (None after)."""
    known = _linked.get(id(classification))
    if known is not None:
        return known[1], None
    if len(_linked) >= _LINKED_LIMIT:
        _linked.clear()
    keys = entry_evidence(classification)
    links = classification_links(classification, keys)
    _linked[id(classification)] = (classification, links)
    return links, keys


def make_chunk(job: ChunkJob, classifications: list[Classification]) -> ChunkGraph:
    """Return the graph of *job*'s entries, each with its classification (in order).

    Raises what :func:`hikgraph.model.entry_terms` raises for an entry it cannot
    describe.
    """
    # A chunk makes ~70,000 triples, and their terms, with no cycle among them: the
    # collector would walk them again and again as they pile up (half the time).
    with collection_paused():
        return _make_chunk(job, classifications)


def _make_chunk(job: ChunkJob, classifications: list[Classification]) -> ChunkGraph:
    directory = node(job.directory)
    entries = job.entries
    terms: list[Terms] = []
    sample: list[Triple] = []
    mentioned: set[str] = set()
    evidence: set[EvidenceKey] = set()
    # Entries with one headline share one classification object: its links are made,
    # and its countries and evidence reported, once in the stream by this process.
    links: dict[int, list[tuple[NamedNode, NamedNode]]] = {}
    for classification in classifications:
        if id(classification) not in links:
            links[id(classification)], keys = _links_of(classification)
            if keys is not None:
                mentioned.update(tag.code for tag in classification.countries)
                evidence.update(keys)
    position = job.first
    for planned, classification in zip(entries, classifications, strict=True):
        enriched = EnrichedEntry(planned.entry, planned.slug, planned.outlet, classification)
        made = entry_terms(enriched, directory, links[id(classification)])
        terms.extend(made)
        if position % job.step == 0:
            sample.extend(Triple(*t) for t in made)
        position += 1
    counts = GraphCounts(distinct=job.distinct)
    counts.add_terms(terms)
    ntriples, turtle = serialize_chunk(terms)
    stem = Path(job.folder) / f"chunk-{job.first:09d}"
    nt_path, ttl_path = stem.with_suffix(".nt"), stem.with_suffix(".ttl")
    nt_path.write_bytes(ntriples)
    ttl_path.write_bytes(turtle)
    return ChunkGraph(len(entries), nt_path, ttl_path, counts, mentioned, evidence, sample)
