"""Precomputed entry counts (hikgraph.summaries): counted from the source text and the
classifier run directly (tests/source_facts.py), they must give every summary-based
query of tests/data/summary-queries/ the same answer, in the same order, as the named
query of that name gives from the entries' own triples; and adding them must change
no named query's answer."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from pyoxigraph import DefaultGraph, Quad, RdfFormat, Store, Triple
from rdflib import Graph

from hikgraph.classify import default_classifier
from hikgraph.queries import named_queries, named_query, parse_named_query
from hikgraph.summaries import SummaryAccumulator, summary_triples
from hikgraph.validate import rdflib_graph, validate_graph
from source_facts import lines, slug_of

from conftest import ROOT

SUMMARY_QUERIES = sorted((ROOT / "tests" / "data" / "summary-queries").glob("*.rq"))

Entry = tuple[str | None, str, list[str], list[str]]


@pytest.fixture(scope="module")
def entries() -> list[Entry]:
    """(outlet slug, month, topics, countries) of each line of the source text."""
    classifier = default_classifier()
    out = []
    for line in lines():
        found = classifier.classify(line.headline)
        topics = [tag.topic for tag in found.topics]
        countries = [tag.code for tag in found.countries]
        out.append((slug_of(line), line.month, topics, countries))
    return out


def summarise(entries: list[Entry]) -> list[Triple]:
    accumulator = SummaryAccumulator()
    for outlet, month, topics, countries in entries:
        accumulator.add(outlet, month, topics, countries)
    return summary_triples(accumulator.counts)


@pytest.fixture(scope="module")
def summaries(entries: list[Entry]) -> list[Triple]:
    return summarise(entries)


def _store(built: Path, extra: list[Triple]) -> Store:
    store = Store()
    store.bulk_load(path=str(built / "hikgraph.nt"), format=RdfFormat.N_TRIPLES)
    store.extend(Quad(t.subject, t.predicate, t.object, DefaultGraph()) for t in extra)
    return store


@pytest.fixture(scope="module")
def plain(built: Path) -> Store:
    return _store(built, [])


@pytest.fixture(scope="module")
def summarised(built: Path, summaries: list[Triple]) -> Store:
    return _store(built, summaries)


def answer(store: Store, text: str) -> list[tuple[str, ...]]:
    return [tuple(str(term) for term in row) for row in store.query(text)]  # type: ignore[union-attr]


def test_every_summary_query_is_named_for_a_named_query() -> None:
    assert len(SUMMARY_QUERIES) == 8
    names = {q.name for q in named_queries()}
    for path in SUMMARY_QUERIES:
        assert path.stem in names
        assert parse_named_query(path).title


@pytest.mark.parametrize("path", SUMMARY_QUERIES, ids=lambda p: p.stem)
def test_summary_query_answers_like_the_named_query(
    plain: Store, summarised: Store, path: Path
) -> None:
    expected = answer(plain, named_query(path.stem).text)
    assert expected, "every named query has an answer on the shipped data"
    assert answer(summarised, path.read_text(encoding="utf-8")) == expected


@pytest.mark.parametrize("query", [q.name for q in named_queries()])
def test_summaries_change_no_named_query(plain: Store, summarised: Store, query: str) -> None:
    text = named_query(query).text
    assert answer(summarised, text) == answer(plain, text)


def test_counts_by_hand(summaries: list[Triple]) -> None:
    # Counted by hand in the text: seven lines start "Bloomberg:", and the oldest
    # entries are The Times' of September 2016.
    store = Store()
    store.extend(Quad(t.subject, t.predicate, t.object, DefaultGraph()) for t in summaries)
    hik = "https://w3id.org/hikgraph/ontology#"
    (row,) = store.query(
        f"SELECT ?n ?first WHERE {{ <https://w3id.org/hikgraph/id/count/outlet/bloomberg> "
        f"<{hik}entryCount> ?n ; <{hik}firstMonth> ?first }}"
    )  # type: ignore[misc]
    assert int(row["n"].value) == 7
    months = {
        r["m"].value
        for r in store.query(
            f"SELECT ?m WHERE {{ ?c a <{hik}MonthCount> ; <{hik}countedMonth> ?m }}"
        )  # type: ignore[union-attr]
    }
    assert min(months) == "2016-09"
    assert len(months) == 54


def test_order_of_entries_does_not_change_the_triples(entries: list[Entry]) -> None:
    shuffled = list(entries)
    random.Random(7).shuffle(shuffled)
    assert summarise(shuffled) == summarise(entries)
    assert len(set(summarise(entries))) == len(summarise(entries))


def with_graph(built: Path, triples: list[Triple]) -> Graph:
    """The built graph (parsed by rdflib: Oxigraph would store xsd:positiveInteger as
    xsd:integer) with *triples* added."""
    graph = rdflib_graph(triples)
    graph.parse(built / "hikgraph.nt", format="nt")
    return graph


def test_summaries_conform_to_the_shapes(built: Path, summaries: list[Triple]) -> None:
    result = validate_graph(with_graph(built, summaries))
    assert result.conforms, result.report


def test_summaries_are_checked_by_the_shapes(built: Path, summaries: list[Triple]) -> None:
    # Zero counts and a month in the wrong datatype are violations.
    from pyoxigraph import Literal, NamedNode

    hik = "https://w3id.org/hikgraph/ontology#"
    broken = [
        t
        if t.predicate.value != hik + "entryCount"
        else Triple(t.subject, t.predicate, Literal("0", datatype=t.object.datatype))  # type: ignore[union-attr]
        for t in summaries
    ]
    broken.append(
        Triple(
            NamedNode("https://w3id.org/hikgraph/id/count/month/2020-01"),
            NamedNode(hik + "countedMonth"),
            Literal("2020-01"),
        )
    )
    result = validate_graph(with_graph(built, broken))
    assert not result.conforms
    zeros = sum(1 for t in summaries if t.predicate.value == hik + "entryCount")
    # Every zero count, plus the plain-string month: a wrong datatype, and a second
    # month on a cell that has one.
    assert result.violations == zeros + 2


def test_a_month_that_is_not_yyyy_mm_is_refused() -> None:
    with pytest.raises(ValueError, match="YYYY-MM"):
        SummaryAccumulator().add("bbc", "May 2020", [], [])
