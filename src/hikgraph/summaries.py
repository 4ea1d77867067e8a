"""Precomputed counts of entries as triples, so aggregate queries read a few thousand
summary nodes instead of joining every entry's triples.

On the embedded Oxigraph store a query that joins two properties of every entry
(publisher and topic, topic and date, topic and topic) costs a hash join over all
entries: about 0.5-1 s at 100k entries and 10 s or more at 1M. The counts here are
made once, while the build streams the entries, and answer those queries from
``hik:EntryCount`` nodes (one per cell), each with its dimensions, ``hik:entryCount``
and, for the per-year cells, ``hik:outletCount``.

A build feeds a :class:`SummaryAccumulator` one entry at a time and adds
:func:`summary_triples` of its counts after the last entry. Kinds of cell, with the
IRI of each (``https://w3id.org/hikgraph/id/count/...``):

- ``hik:OutletCount``  ``count/outlet/{outlet}``: entries per outlet, with
  ``hik:firstMonth`` and ``hik:latestMonth``;
- ``hik:OutletTopicCount``  ``count/outlet-topic/{outlet}/{topic}``;
- ``hik:TopicYearCount``  ``count/topic-year/{topic}/{year}``;
- ``hik:TopicPairCount``  ``count/topic-pair/{topic}/{topic}``: two ``hik:countedTopic``;
- ``hik:MonthCount``  ``count/month/{yyyy-mm}``;
- ``hik:YearCount``  ``count/year/{yyyy}``: entries and distinct outlets;
- ``hik:CountryCount``  ``count/country/{code}``: entries whose headline is about it.

Entries without an outlet count in every cell that has no outlet dimension, as they
do in the named queries.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from pyoxigraph import Literal, NamedNode, Triple

_ID = "https://w3id.org/hikgraph/id/"
_HIK = "https://w3id.org/hikgraph/ontology#"
_XSD = "http://www.w3.org/2001/XMLSchema#"
_A = NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
_ENTRY_COUNT = NamedNode(_HIK + "entryCount")
_OUTLET_COUNT = NamedNode(_HIK + "outletCount")
_COUNTED_OUTLET = NamedNode(_HIK + "countedOutlet")
_COUNTED_TOPIC = NamedNode(_HIK + "countedTopic")
_COUNTED_COUNTRY = NamedNode(_HIK + "countedCountry")
_COUNTED_MONTH = NamedNode(_HIK + "countedMonth")
_COUNTED_YEAR = NamedNode(_HIK + "countedYear")
_FIRST_MONTH = NamedNode(_HIK + "firstMonth")
_LATEST_MONTH = NamedNode(_HIK + "latestMonth")
_INTEGER = NamedNode(_XSD + "integer")
_G_YEAR_MONTH = NamedNode(_XSD + "gYearMonth")
_G_YEAR = NamedNode(_XSD + "gYear")


@dataclass
class SummaryCounts:
    """Entry counts per cell, keyed by slugs, topic ids, ISO codes and ``YYYY-MM``."""

    outlets: Counter[str] = field(default_factory=Counter)
    outlet_months: dict[str, tuple[str, str]] = field(default_factory=dict)  # first, latest
    outlet_topics: Counter[tuple[str, str]] = field(default_factory=Counter)
    topic_years: Counter[tuple[str, str]] = field(default_factory=Counter)
    topic_pairs: Counter[tuple[str, str]] = field(default_factory=Counter)  # sorted pair
    months: Counter[str] = field(default_factory=Counter)
    years: Counter[str] = field(default_factory=Counter)
    year_outlets: dict[str, set[str]] = field(default_factory=dict)
    countries: Counter[str] = field(default_factory=Counter)


class SummaryAccumulator:
    """Counts entries into a :class:`SummaryCounts`, one :meth:`add` per entry."""

    def __init__(self) -> None:
        self.counts = SummaryCounts()

    def add(
        self,
        outlet: str | None,
        year_month: str,
        topics: Iterable[str],
        countries: Iterable[str],
    ) -> None:
        """Count one entry: its outlet's slug (None when the line names no outlet), its
        ``YYYY-MM`` month, the ids of its topics and the codes of its headline's
        countries. Raises ValueError for a month that is not ``YYYY-MM``."""
        if len(year_month) != 7 or year_month[4] != "-" or not year_month[:4].isdigit():
            raise ValueError(f"not a YYYY-MM month: {year_month!r}")
        counts = self.counts
        year = year_month[:4]
        topic_set = sorted(set(topics))
        counts.months[year_month] += 1
        counts.years[year] += 1
        counts.year_outlets.setdefault(year, set())
        for topic in topic_set:
            counts.topic_years[topic, year] += 1
        for i, first in enumerate(topic_set):
            for second in topic_set[i + 1 :]:
                counts.topic_pairs[first, second] += 1
        for code in set(countries):
            counts.countries[code] += 1
        if outlet is None:
            return
        counts.outlets[outlet] += 1
        first, latest = counts.outlet_months.get(outlet, (year_month, year_month))
        counts.outlet_months[outlet] = (min(first, year_month), max(latest, year_month))
        counts.year_outlets[year].add(outlet)
        for topic in topic_set:
            counts.outlet_topics[outlet, topic] += 1


def summary_triples(counts: SummaryCounts) -> list[Triple]:
    """Return the ``hik:EntryCount`` nodes of *counts* as triples, in an order that
    depends only on the counts (cells sorted by kind and key), so a build stays
    deterministic. Raises nothing."""
    out: list[Triple] = []

    def cell(kind: str, path: str, **dimensions: list[NamedNode | Literal]) -> NamedNode:
        subject = NamedNode(f"{_ID}count/{path}")
        out.append(Triple(subject, _A, NamedNode(_HIK + kind)))
        for name, values in dimensions.items():
            predicate = NamedNode(_HIK + name)
            out.extend(Triple(subject, predicate, value) for value in values)
        return subject

    def number(subject: NamedNode, value: int, predicate: NamedNode = _ENTRY_COUNT) -> None:
        out.append(Triple(subject, predicate, Literal(str(value), datatype=_INTEGER)))

    for outlet, entries in sorted(counts.outlets.items()):
        first, latest = counts.outlet_months[outlet]
        subject = cell(
            "OutletCount",
            f"outlet/{outlet}",
            countedOutlet=[_outlet(outlet)],
            firstMonth=[Literal(first, datatype=_G_YEAR_MONTH)],
            latestMonth=[Literal(latest, datatype=_G_YEAR_MONTH)],
        )
        number(subject, entries)
    for (outlet, topic), entries in sorted(counts.outlet_topics.items()):
        subject = cell(
            "OutletTopicCount",
            f"outlet-topic/{outlet}/{topic}",
            countedOutlet=[_outlet(outlet)],
            countedTopic=[_topic(topic)],
        )
        number(subject, entries)
    for (topic, year), entries in sorted(counts.topic_years.items()):
        subject = cell(
            "TopicYearCount",
            f"topic-year/{topic}/{year}",
            countedTopic=[_topic(topic)],
            countedYear=[Literal(year, datatype=_G_YEAR)],
        )
        number(subject, entries)
    for (first, second), entries in sorted(counts.topic_pairs.items()):
        subject = cell(
            "TopicPairCount",
            f"topic-pair/{first}/{second}",
            countedTopic=[_topic(first), _topic(second)],
        )
        number(subject, entries)
    for month, entries in sorted(counts.months.items()):
        subject = cell(
            "MonthCount", f"month/{month}", countedMonth=[Literal(month, datatype=_G_YEAR_MONTH)]
        )
        number(subject, entries)
    for year, entries in sorted(counts.years.items()):
        subject = cell("YearCount", f"year/{year}", countedYear=[Literal(year, datatype=_G_YEAR)])
        number(subject, entries)
        number(subject, len(counts.year_outlets[year]), _OUTLET_COUNT)
    for code, entries in sorted(counts.countries.items()):
        subject = cell("CountryCount", f"country/{code}", countedCountry=[_country(code)])
        number(subject, entries)
    return out


def _outlet(slug: str) -> NamedNode:
    return NamedNode(f"{_ID}outlet/{slug}")


def _topic(topic: str) -> NamedNode:
    return NamedNode(f"{_ID}topic/{topic}")


def _country(code: str) -> NamedNode:
    return NamedNode(f"{_ID}country/{code}")
