"""The outlet–topic network: read from the graph with SPARQL, analysed with networkx.

Everything here starts from a pyoxigraph store holding the built graph, never from
the parser's records, so the network is what a user querying the published dump
would find. :func:`read_network` runs the queries; :func:`network_graph` turns the
answer into a :class:`networkx.Graph` (outlets and topics, optionally countries or
article nodes) and :func:`layout` places it; :func:`network_exports` is the one
call `hikgraph build` makes and returns every network file by name. The analytics
and the GraphML/GEXF writers are in :mod:`hikgraph.network_analysis`, the page in
:mod:`hikgraph.network_page`, the timeline in :mod:`hikgraph.timeline`.

Determinism: every list is sorted, the layout and the community detection are
seeded, and floats are rounded, so the same graph gives the same bytes.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pyoxigraph import QuerySolutions, RdfFormat, Store

from hikgraph.model import KIND_CLASSES, PREFIXES

if TYPE_CHECKING:
    import networkx as nx

#: Seed of the layout and of the community detection: the same build shows the same
#: picture and the same communities.
SEED = 7
#: The optional layers `hikgraph viz --include` adds to the outlet–topic network.
LAYERS = ("countries", "articles")
#: Headlines listed in an outlet's tooltip.
HEADLINES_SHOWN = 5

NETWORK_FILES = (
    "network.html",
    "network-metrics.json",
    "network.graphml",
    "network.gexf",
    "timeline.svg",
    "timeline.png",
)

# Topics in one palette of strong colours, outlets in softer ones, so the two kinds
# of node are told apart before any label is read. Colours follow the topics' order
# in the scheme (sorted by id), so a topic keeps its colour between builds.
TOPIC_COLOURS = (
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#9467bd",
    "#ff7f0e",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#bcbd22",
    "#393b79",
    "#ad494a",
    "#637939",
)
OUTLET_COLOURS = (
    "#8dd3c7",
    "#fdb462",
    "#bebada",
    "#fb8072",
    "#80b1d3",
    "#b3de69",
    "#fccde5",
    "#ffffb3",
    "#bc80bd",
    "#ccebc5",
    "#ffed6f",
)
OTHER_COLOUR = "#d9d9d9"
UNKNOWN = "unknown"

_KIND_OF_CLASS = {hik_class: kind for kind, (_, hik_class) in KIND_CLASSES.items()}
_SPARQL_PREFIXES = "".join(
    f"PREFIX {prefix}: <{PREFIXES[prefix]}>\n" for prefix in ("schema", "skos", "hik")
)


class NetworkError(ValueError):
    """The graph holds nothing to draw a network from (no topics or no entries)."""


@dataclass(frozen=True)
class Topic:
    """A topic concept of the scheme."""

    iri: str
    id: str
    label: str
    definition: str


@dataclass(frozen=True)
class Outlet:
    """An outlet that published at least one entry."""

    iri: str
    name: str
    kind: str  # a key of model.KIND_CLASSES, or "unknown"
    country_iri: str | None
    country_code: str | None
    country_name: str | None


@dataclass(frozen=True)
class Article:
    """A directory entry: its headline, month, outlet (if any) and topic IRIs."""

    iri: str
    headline: str
    month: str  # YYYY-MM
    outlet: str | None
    topics: tuple[str, ...]

    @property
    def year(self) -> int:
        """Return the year the entry was published."""
        return int(self.month[:4])


@dataclass(frozen=True)
class NetworkData:
    """What the network is drawn from, as the graph answered the queries."""

    title: str
    published: str | None  # the directory's xsd:dateTime, if the graph has one
    topics: tuple[Topic, ...]
    outlets: tuple[Outlet, ...]
    articles: tuple[Article, ...]
    #: (outlet IRI, topic IRI) → {year: entries of that outlet about that topic}
    coverage: Mapping[tuple[str, str], Mapping[int, int]] = field(default_factory=dict)

    def years(self) -> tuple[int, int] | None:
        """Return the first and last year of the entries, or None without entries."""
        if not self.articles:
            return None
        years = [a.year for a in self.articles]
        return min(years), max(years)


def load_ntriples(ntriples: bytes) -> Store:
    """Return an in-memory store holding the N-Triples *ntriples*.

    Raises ValueError when they do not parse.
    """
    store = Store()
    try:
        store.load(ntriples, format=RdfFormat.N_TRIPLES)
    except SyntaxError as error:
        raise ValueError(f"the graph does not parse as N-Triples: {error}") from None
    return store


def _rows(store: Store, query: str) -> list[list[str | None]]:
    solutions = store.query(_SPARQL_PREFIXES + query)
    assert isinstance(solutions, QuerySolutions)
    return [[term.value if term is not None else None for term in row] for row in solutions]


# The outlet–topic counts the network's edges are weighted by, per year so the page
# can filter by year range. COUNT(DISTINCT ?e): an entry counts once per topic.
COVERAGE_QUERY = """
SELECT ?outlet ?topic ?year (COUNT(DISTINCT ?e) AS ?entries) WHERE {
  ?e a schema:CreativeWork ; schema:publisher ?outlet ; schema:about ?topic ;
     schema:datePublished ?month .
  ?topic a skos:Concept .
  BIND(SUBSTR(STR(?month), 1, 4) AS ?year)
} GROUP BY ?outlet ?topic ?year
"""

_TOPICS_QUERY = """
SELECT ?topic ?label ?definition WHERE {
  ?topic a skos:Concept ; skos:prefLabel ?label .
  OPTIONAL { ?topic skos:definition ?definition }
}
"""

_OUTLETS_QUERY = """
SELECT ?outlet ?name ?class ?country ?code ?countryName WHERE {
  { SELECT DISTINCT ?outlet WHERE { ?e a schema:CreativeWork ; schema:publisher ?outlet } }
  OPTIONAL { ?outlet schema:name ?name }
  OPTIONAL { ?outlet a ?class FILTER(STRSTARTS(STR(?class), STR(hik:))) }
  OPTIONAL {
    ?outlet schema:location ?country .
    OPTIONAL { ?country schema:identifier ?code }
    OPTIONAL { ?country schema:name ?countryName }
  }
}
"""

_ARTICLES_QUERY = """
SELECT ?e ?headline ?month ?outlet WHERE {
  ?e a schema:CreativeWork ; schema:datePublished ?month .
  OPTIONAL { ?e schema:headline ?headline }
  OPTIONAL { ?e schema:publisher ?outlet }
}
"""

_ARTICLE_TOPICS_QUERY = """
SELECT ?e ?topic WHERE { ?e a schema:CreativeWork ; schema:about ?topic . ?topic a skos:Concept }
"""

# FILTER EXISTS, not a join on schema:hasPart: the join makes one row per entry and
# takes seconds on a large directory.
_DIRECTORY_QUERY = """
SELECT ?name ?published WHERE {
  ?d a schema:Report ; schema:name ?name .
  FILTER EXISTS { ?d schema:hasPart ?part }
  OPTIONAL { ?d schema:datePublished ?published }
} ORDER BY ?published ?name LIMIT 1
"""


def _first(values: Iterable[str | None]) -> str | None:
    present = sorted(v for v in values if v)
    return present[0] if present else None


def read_network(store: Store) -> NetworkData:
    """Return the :class:`NetworkData` of the graph in *store*, read with SPARQL.

    Raises :class:`NetworkError` when the graph has no topic concepts or no entries.
    """
    labels: dict[str, list[str | None]] = defaultdict(list)
    definitions: dict[str, list[str | None]] = defaultdict(list)
    for iri, label, definition in _rows(store, _TOPICS_QUERY):
        assert iri is not None
        labels[iri].append(label)
        definitions[iri].append(definition)
    topics = tuple(
        sorted(
            (
                Topic(
                    iri=iri,
                    id=iri.rsplit("/", 1)[-1],
                    label=_first(labels[iri]) or iri.rsplit("/", 1)[-1],
                    definition=_first(definitions[iri]) or "",
                )
                for iri in labels
            ),
            key=lambda t: t.id,
        )
    )

    outlet_rows: dict[str, list[list[str | None]]] = defaultdict(list)
    for row in _rows(store, _OUTLETS_QUERY):
        assert row[0] is not None
        outlet_rows[row[0]].append(row)
    outlets = []
    for iri, rows in outlet_rows.items():
        kinds = sorted({_KIND_OF_CLASS[r[2]] for r in rows if r[2] in _KIND_OF_CLASS})
        outlets.append(
            Outlet(
                iri=iri,
                name=_first(r[1] for r in rows) or iri.rsplit("/", 1)[-1],
                kind=kinds[0] if kinds else UNKNOWN,
                country_iri=_first(r[3] for r in rows),
                country_code=_first(r[4] for r in rows),
                country_name=_first(r[5] for r in rows),
            )
        )
    outlets.sort(key=lambda o: (o.name.casefold(), o.iri))

    article_topics: dict[str, set[str]] = defaultdict(set)
    for article, topic in _rows(store, _ARTICLE_TOPICS_QUERY):
        assert article is not None and topic is not None
        article_topics[article].add(topic)
    articles = sorted(
        (
            Article(
                iri=iri,
                headline=headline or "",
                month=month[:7],
                outlet=outlet,
                topics=tuple(sorted(article_topics.get(iri, ()))),
            )
            for iri, headline, month, outlet in _rows(store, _ARTICLES_QUERY)
            if iri is not None and month is not None
        ),
        key=lambda a: (a.month, a.iri),
    )

    coverage: dict[tuple[str, str], dict[int, int]] = defaultdict(dict)
    for outlet, topic, year, entries in _rows(store, COVERAGE_QUERY):
        assert outlet and topic and year and entries
        coverage[outlet, topic][int(year)] = int(entries)

    directory = _rows(store, _DIRECTORY_QUERY)
    title, published = directory[0] if directory else (None, None)
    if not topics:
        raise NetworkError("the graph has no topic concepts (skos:Concept) to draw")
    if not articles:
        raise NetworkError("the graph has no entries (schema:CreativeWork) to draw")
    return NetworkData(
        title=title or "Hikvision news directory",
        published=published,
        topics=topics,
        outlets=tuple(outlets),
        articles=tuple(articles),
        coverage={key: dict(sorted(years.items())) for key, years in sorted(coverage.items())},
    )


def node_size(count: int) -> float:
    """Return the drawn size (radius, pixels) of a node standing for *count* entries."""
    # Area, not radius, should grow with the count: radius by square root.
    return round(8 + 5 * math.sqrt(count), 2)


def network_graph(data: NetworkData, include: Collection[str] = ()) -> nx.Graph:
    """Return the network of *data* as an undirected, weighted :class:`networkx.Graph`.

    Nodes are IRIs with a ``type`` of ``outlet`` or ``topic`` (and ``country`` or
    ``article`` for the *include* layers); every attribute is a string or a number
    so the graph writes to GraphML and GEXF as it is. Without ``articles`` an edge
    joins an outlet to a topic, ``weight`` = its entries about the topic; with it,
    article nodes stand between them (outlet–article and article–topic edges of
    weight 1). ``countries`` adds outlet–country edges. Raises ValueError for an
    unknown layer.
    """
    import networkx as nx

    unknown = set(include) - set(LAYERS)
    if unknown:
        raise ValueError(f"unknown network layer(s): {', '.join(sorted(unknown))}")
    graph = nx.Graph()
    per_topic = Counter(t for a in data.articles for t in a.topics)
    per_outlet = Counter(a.outlet for a in data.articles if a.outlet)
    for topic in data.topics:
        graph.add_node(
            topic.iri,
            type="topic",
            label=topic.label,
            topic=topic.id,
            definition=topic.definition,
            articles=per_topic[topic.iri],
        )
    for outlet in data.outlets:
        graph.add_node(
            outlet.iri,
            type="outlet",
            label=outlet.name,
            kind=outlet.kind,
            country=outlet.country_code or "",
            country_name=outlet.country_name or "",
            articles=per_outlet[outlet.iri],
        )
    if "articles" in include:
        for article in data.articles:
            graph.add_node(
                article.iri,
                type="article",
                label=article.headline,
                month=article.month,
                articles=1,
            )
            if article.outlet:
                graph.add_edge(article.outlet, article.iri, type="published", weight=1)
            for topic_iri in article.topics:
                graph.add_edge(article.iri, topic_iri, type="about", weight=1)
    else:
        for (outlet_iri, topic_iri), years in data.coverage.items():
            graph.add_edge(outlet_iri, topic_iri, type="covers", weight=sum(years.values()))
    if "countries" in include:
        outlets_in = Counter(o.country_iri for o in data.outlets if o.country_iri)
        for outlet in data.outlets:
            if not outlet.country_iri:
                continue
            if outlet.country_iri not in graph:
                graph.add_node(
                    outlet.country_iri,
                    type="country",
                    label=outlet.country_name or outlet.country_code or outlet.country_iri,
                    country=outlet.country_code or "",
                    outlets=outlets_in[outlet.country_iri],
                    articles=0,
                )
            graph.nodes[outlet.country_iri]["articles"] += per_outlet[outlet.iri]
            graph.add_edge(outlet.iri, outlet.country_iri, type="located-in", weight=1)
    return graph


def layout(graph: nx.Graph, scale: float = 900.0) -> dict[str, tuple[int, int]]:
    """Return a seeded force-directed position (whole pixels) for every node of
    *graph*, so the page starts from the same picture on every build."""
    import networkx as nx

    if not graph:
        return {}
    # Nodes in sorted order: spring_layout's result depends on the order it sees them.
    ordered = nx.Graph()
    ordered.add_nodes_from(sorted(graph.nodes))
    ordered.add_weighted_edges_from(
        sorted(
            (min(u, v), max(u, v), math.log1p(d["weight"])) for u, v, d in graph.edges(data=True)
        )
    )
    k = 2.2 / math.sqrt(max(len(ordered), 1))
    positions = nx.spring_layout(ordered, k=k, iterations=120, seed=SEED, scale=1.0)
    return {node: (round(x * scale), round(y * scale)) for node, (x, y) in positions.items()}


def network_exports(ntriples: bytes) -> dict[str, bytes]:
    """Return the network files `hikgraph build` writes, by name (see
    :data:`NETWORK_FILES`), drawn from the N-Triples *ntriples* of the built graph.

    Raises ValueError (a :class:`NetworkError`) when the graph has nothing to draw.
    """
    return network_exports_from_store(load_ntriples(ntriples))


def network_exports_from_store(store: Store) -> dict[str, bytes]:
    """Return the network files of the graph in *store* (see :func:`network_exports`).

    Raises ValueError (a :class:`NetworkError`) when the graph has nothing to draw.
    """
    from hikgraph.network_analysis import (
        gexf_bytes,
        graphml_bytes,
        metrics_json,
        network_metrics,
        with_metrics,
    )
    from hikgraph.network_page import node_colours, render_page
    from hikgraph.timeline import timeline_images

    data = read_network(store)
    metrics = network_metrics(data)
    svg, png = timeline_images(data)
    assert png is not None
    graph = with_metrics(network_graph(data), metrics)
    positions = layout(graph)
    modified = (data.published or "2000-01-01")[:10]
    return {
        "network.html": render_page(data, metrics=metrics, timeline_svg=svg, positions=positions),
        "network-metrics.json": metrics_json(metrics),
        "network.graphml": graphml_bytes(graph),
        "network.gexf": gexf_bytes(graph, positions, node_colours(data, graph), modified),
        "timeline.svg": svg,
        "timeline.png": png,
    }


def write_page(
    graph_path: Path, out_dir: Path, include: Collection[str] = (), *, timeline: bool = True
) -> Path:
    """Write ``network.html`` for the N-Triples graph at *graph_path* into *out_dir*
    (created if missing) and return its path; *include* adds layers (see
    :data:`LAYERS`). Raises ValueError for a missing or unreadable graph, an unknown
    layer or a graph with nothing to draw."""
    from hikgraph.network_analysis import network_metrics
    from hikgraph.network_page import render_page
    from hikgraph.stats import load_store
    from hikgraph.timeline import timeline_images

    data = read_network(load_store(graph_path))
    metrics = network_metrics(data)
    svg = timeline_images(data, png=False)[0] if timeline else None
    page = render_page(data, include=include, metrics=metrics, timeline_svg=svg)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / "network.html"
    # Write beside the target, then rename: a reader never sees half a page.
    partial = out_dir / ".network.html.partial"
    partial.write_bytes(page)
    partial.replace(target)
    return target
