"""Every named query of queries/, answered on the shipped data and checked against
facts counted without the graph: the source text and the registry CSV read by
tests/source_facts.py, the classifier run directly on the headlines, and numbers
counted by hand. Plus the parity of the two engines on every query."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from pyoxigraph import Literal, NamedNode

from hikgraph.queries import named_queries, named_query
from hikgraph.sparql import SelectResult
from hikgraph.store import GraphStore, OxigraphStore, RdflibStore
from source_facts import (
    articles_per_outlet,
    citing_reports,
    country_names,
    coverage_reports,
    lines,
    outlets,
    slug_of,
)

ID = "https://w3id.org/hikgraph/id/"
TOPICS = {
    "sanctions",
    "government-bans",
    "human-rights",
    "cybersecurity",
    "investment",
    "lobbying",
    "state-ties",
    "ai-analytics",
    "public-deployment",
    "business",
    "press-freedom",
}


@pytest.fixture(scope="module")
def store(built: Path) -> GraphStore:
    return OxigraphStore.open(built)


@pytest.fixture(scope="module")
def rdflib_store(built: Path) -> GraphStore:
    return RdflibStore.open(built)


def rows(store: GraphStore, name: str) -> list[dict[str, str]]:
    """The solutions of the named query, each as variable → plain value."""
    result = store.query(named_query(name).text)
    assert isinstance(result, SelectResult)
    return [
        {v: t.value for v, t in zip(result.variables, row, strict=True) if t is not None}
        for row in result.rows
    ]


def local(iri: str) -> str:
    return iri.rsplit("/", 1)[1]


@pytest.fixture(scope="module")
def classified() -> list[tuple[object, set[str], set[str]]]:
    """(line, topics, countries) of each entry, from the classifier run directly."""
    from hikgraph.classify import default_classifier

    classifier = default_classifier()
    out = []
    for line in lines():
        found = classifier.classify(line.headline)
        out.append(
            (line, {tag.topic for tag in found.topics}, {tag.code for tag in found.countries})
        )
    return out


def test_the_library_has_at_least_twelve_documented_queries() -> None:
    library = named_queries()
    assert len(library) >= 12
    for query in library:
        assert query.title and query.description, query.name
        assert query.text.startswith("# title: ")


def test_hand_counted_facts_of_the_source() -> None:
    # Counted by hand in the text (and with grep): guards the fact-counting code itself.
    assert len(lines()) == 184
    assert sum(1 for line in lines() if line.spelling is None) == 3
    assert sum(1 for line in lines() if line.spelling == "Bloomberg") == 7
    assert len(coverage_reports()) == 14
    assert len(citing_reports()) == 4


@pytest.mark.parametrize("query", [q.name for q in named_queries()])
def test_engines_give_the_same_solutions(
    store: GraphStore, rdflib_store: GraphStore, query: str
) -> None:
    text = named_query(query).text
    oxigraph, rdflib = store.query(text), rdflib_store.query(text)
    assert isinstance(oxigraph, SelectResult) and isinstance(rdflib, SelectResult)
    assert oxigraph.variables == rdflib.variables
    assert oxigraph.rows, "every named query has an answer on the shipped data"
    assert Counter(map(repr, oxigraph.rows)) == Counter(map(repr, rdflib.rows))


def test_articles_per_outlet(store: GraphStore) -> None:
    answer = rows(store, "articles-per-outlet")
    assert {local(r["outlet"]): int(r["articles"]) for r in answer} == dict(articles_per_outlet())
    assert {local(r["outlet"]): r["name"] for r in answer} == {
        slug: outlets()[slug].name for slug in articles_per_outlet()
    }
    counts = [int(r["articles"]) for r in answer]
    assert counts == sorted(counts, reverse=True)
    by_slug = {local(r["outlet"]): int(r["articles"]) for r in answer}
    assert by_slug["bloomberg"] == 7  # seven lines start "Bloomberg:"


def test_articles_per_outlet_country(store: GraphStore) -> None:
    articles: Counter[str] = Counter()
    outlets_there: dict[str, set[str]] = {}
    for slug, count in articles_per_outlet().items():
        country = outlets()[slug].country
        articles[country] += count
        outlets_there.setdefault(country, set()).add(slug)
    answer = rows(store, "articles-per-outlet-country")
    assert {local(r["country"]): int(r["articles"]) for r in answer} == dict(articles)
    assert {local(r["country"]): int(r["outlets"]) for r in answer} == {
        c: len(s) for c, s in outlets_there.items()
    }
    assert {r["name"] for r in answer} == {country_names()[c] for c in articles}


def test_articles_per_month(store: GraphStore) -> None:
    expected = Counter(line.month for line in lines())
    answer = rows(store, "articles-per-month")
    assert {f"{r['year']}-{r['month']}": int(r["articles"]) for r in answer} == dict(expected)
    assert len(answer) == 54
    assert [(r["year"], r["month"]) for r in answer] == sorted(
        (r["year"], r["month"]) for r in answer
    )


def test_articles_per_year(store: GraphStore) -> None:
    answer = {
        r["year"]: (int(r["articles"]), int(r["outlets"])) for r in rows(store, "articles-per-year")
    }
    expected = {}
    for year in {line.month[:4] for line in lines()}:
        of_year = [line for line in lines() if line.month.startswith(year)]
        expected[year] = (len(of_year), len({slug_of(x) for x in of_year} - {None}))
    assert answer == expected
    assert answer["2016"] == (4, 3)  # Times ×2, Daily Mail, Voice of America, by hand


def test_topics(store: GraphStore, classified: list) -> None:
    counts = Counter(topic for _, topics, _ in classified for topic in topics)
    answer = rows(store, "topics")
    assert {local(r["topic"]) for r in answer} == TOPICS
    assert {local(r["topic"]): int(r["articles"]) for r in answer} == {
        t: counts.get(t, 0) for t in TOPICS
    }
    assert all(r["definition"] for r in answer)


def test_topics_over_time(store: GraphStore, classified: list) -> None:
    expected = Counter(
        (line.month[:4], topic) for line, topics, _ in classified for topic in topics
    )
    answer = rows(store, "topics-over-time")
    assert {(r["year"], local(r["topic"])): int(r["articles"]) for r in answer} == dict(expected)


def test_outlet_topic_matrix(store: GraphStore, classified: list) -> None:
    expected = Counter(
        (slug_of(line), topic)
        for line, topics, _ in classified
        for topic in topics
        if slug_of(line)
    )
    answer = rows(store, "outlet-topic-matrix")
    assert {(local(r["outlet"]), local(r["topic"])): int(r["articles"]) for r in answer} == dict(
        expected
    )


def test_sanctions_before_entity_list(store: GraphStore, classified: list) -> None:
    expected: dict[str, list[str]] = {}
    for line, topics, _ in classified:
        if "sanctions" in topics and line.month < "2019-10" and slug_of(line):
            expected.setdefault(slug_of(line), []).append(line.month)
    answer = rows(store, "sanctions-before-entity-list")
    assert {local(r["outlet"]): (int(r["articles"]), r["first"]) for r in answer} == {
        slug: (len(months), min(months)) for slug, months in expected.items()
    }
    # By hand: "U.S. Weighs Sanctions Against Chinese Officials Over Muslim Detention
    # Camps" (The New York Times, September 2018) is before the listing.
    assert "new-york-times" in expected


def test_co_occurring_topics(store: GraphStore, classified: list) -> None:
    expected = Counter(
        (a, b) for _, topics, _ in classified for a in topics for b in topics if a < b
    )
    answer = rows(store, "co-occurring-topics")
    assert {(local(r["topicA"]), local(r["topicB"])): int(r["articles"]) for r in answer} == dict(
        expected
    )


def test_headline_countries_vs_outlet_countries(store: GraphStore, classified: list) -> None:
    in_headlines = Counter(code for _, _, codes in classified for code in codes)
    from_outlets = Counter(outlets()[slug].country for line in lines() if (slug := slug_of(line)))
    answer = rows(store, "headline-countries-vs-outlet-countries")
    assert {
        local(r["country"]): (int(r["inHeadlines"]), int(r["fromOutlets"])) for r in answer
    } == {code: (in_headlines[code], from_outlets[code]) for code in in_headlines | from_outlets}


def test_ipvm_reports(store: GraphStore) -> None:
    answer = rows(store, "ipvm-reports")
    cited = {r["name"] for r in answer if r["relation"] == "cited by the directory"}
    citing = {(r["name"], r["published"]) for r in answer if r["relation"] == "cites the directory"}
    assert cited == set(coverage_reports())
    assert citing == set(citing_reports())
    assert len(answer) == 14 + 4


def test_entries_without_outlet(store: GraphStore) -> None:
    answer = rows(store, "entries-without-outlet")
    assert [(int(r["line"]), r["headline"], r["date"]) for r in answer] == [
        (line.number, line.headline, line.month) for line in lines() if line.spelling is None
    ]
    # By hand: the three lines of the text with no "Outlet:" before the headline.
    assert [int(r["line"]) for r in answer] == [391, 401, 465]


def test_outlets_with_wikidata(store: GraphStore) -> None:
    answer = rows(store, "outlets-with-wikidata")
    assert {(local(r["outlet"]), local(r["wikidata"])) for r in answer} == {
        (slug, outlets()[slug].wikidata)
        for slug in articles_per_outlet()
        if outlets()[slug].wikidata
    }
    assert all(r["homepage"] == outlets()[local(r["outlet"])].homepage for r in answer)


def test_headline_search(store: GraphStore) -> None:
    word = re.compile(r"(^|\W)sanction", re.IGNORECASE)
    expected = [line for line in lines() if word.search(line.headline)]
    answer = rows(store, "headline-search")
    assert sorted(r["headline"] for r in answer) == sorted(line.headline for line in expected)
    assert len(answer) == 13
    dates = [r["date"] for r in answer]
    assert dates == sorted(dates, reverse=True)


def test_outlets_by_kind(store: GraphStore) -> None:
    class_of_kind = {  # the ontology's class for each registry kind, written out by hand
        "newspaper": "Newspaper",
        "broadcaster": "Broadcaster",
        "public-broadcaster": "PublicBroadcaster",
        "news-agency": "NewsAgency",
        "magazine": "Magazine",
        "online-publication": "OnlinePublication",
        "trade-publication": "TradePublication",
        "blog": "Blog",
        "think-tank": "ThinkTank",
        "ngo": "AdvocacyOrganization",
    }
    outlet_counts: Counter[str] = Counter()
    article_counts: Counter[str] = Counter()
    for slug, count in articles_per_outlet().items():
        kind = class_of_kind[outlets()[slug].kind]
        outlet_counts[kind] += 1
        article_counts[kind] += count
    answer = rows(store, "outlets-by-kind")
    assert {r["kind"].split("#")[1]: (int(r["outlets"]), int(r["articles"])) for r in answer} == {
        kind: (outlet_counts[kind], article_counts[kind]) for kind in outlet_counts
    }


def test_outlet_coverage_span(store: GraphStore) -> None:
    months: dict[str, list[str]] = {}
    for line in lines():
        if slug := slug_of(line):
            months.setdefault(slug, []).append(line.month)
    answer = rows(store, "outlet-coverage-span")
    assert {local(r["outlet"]): (r["first"], r["latest"], int(r["articles"])) for r in answer} == {
        slug: (min(m), max(m), len(m)) for slug, m in months.items()
    }
    assert answer[0]["first"] == "2016-09"  # The Times, September 2016: the oldest entries


def test_every_named_query_is_checked_here() -> None:
    tested = {
        name.removeprefix("test_").replace("_", "-")
        for name in globals()
        if name.startswith("test_")
    }
    assert {q.name for q in named_queries()} <= tested


def _terms(result: SelectResult) -> Iterator[object]:
    for row in result.rows:
        yield from row


def test_datatypes_survive_in_answers(store: GraphStore) -> None:
    result = store.query(named_query("articles-per-month").text)
    assert isinstance(result, SelectResult)
    counts = [
        t
        for t in _terms(result)
        if isinstance(t, Literal) and t.datatype.value.endswith("#integer")
    ]
    assert len(counts) == 54
    assert not any(isinstance(t, NamedNode) for t in _terms(result))
