"""Analytics of the outlet–topic network (networkx) and its GraphML/GEXF files.

:func:`network_metrics` computes what `hikgraph stats --network` prints and
``network-metrics.json`` holds; :func:`graphml_bytes` and :func:`gexf_bytes` write
the network for Cytoscape and Gephi users. Everything is sorted and rounded, and the
community detection is seeded, so the same graph gives the same bytes.
"""

from __future__ import annotations

import io
import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from hikgraph.network import SEED, NetworkData, network_graph, node_size

if TYPE_CHECKING:
    import networkx as nx


def _round(value: float) -> float:
    return round(float(value), 6)


def network_metrics(data: NetworkData) -> dict[str, Any]:
    """Return the analytics of the outlet–topic network as JSON-ready values.

    ``outlets`` and ``topics``: weighted degree (entries), degree, betweenness
    centrality (shortest paths where a heavier edge is a shorter one, 1/weight) and
    community; ``topic_cooccurrence``: entries carrying both topics of a pair;
    ``communities``: Louvain communities of the weighted network (seeded), each a
    group of topics with the outlets whose coverage leans to them. Outlets whose
    entries carry no topic have no edge and no community.
    """
    import networkx as nx

    graph = network_graph(data)
    for _, _, attributes in graph.edges(data=True):
        attributes["distance"] = 1.0 / attributes["weight"]
    strength = dict(graph.degree(weight="weight"))
    betweenness = nx.betweenness_centrality(graph, weight="distance", normalized=True)
    connected = graph.subgraph(n for n in graph if graph.degree(n) > 0)
    found = nx.community.louvain_communities(connected, weight="weight", seed=SEED)

    def community_key(members: Iterable[str]) -> tuple[int, str]:
        members = list(members)
        return (-len(members), min(graph.nodes[m]["label"].casefold() for m in members))

    ordered = sorted((sorted(c) for c in found), key=community_key)
    community_of = {member: number for number, c in enumerate(ordered, 1) for member in c}

    def node_figures(iri: str) -> dict[str, Any]:
        return {
            "weighted_degree": strength[iri],
            "degree": graph.degree(iri),
            "betweenness": _round(betweenness[iri]),
            "community": community_of.get(iri),
        }

    outlets = [
        {
            "iri": o.iri,
            "name": o.name,
            "kind": o.kind,
            "country": o.country_code,
            "articles": graph.nodes[o.iri]["articles"],
            **node_figures(o.iri),
        }
        for o in data.outlets
    ]
    outlets.sort(key=lambda o: (-o["weighted_degree"], o["name"].casefold(), o["iri"]))
    topics = [
        {
            "iri": t.iri,
            "id": t.id,
            "label": t.label,
            "articles": graph.nodes[t.iri]["articles"],
            **node_figures(t.iri),
        }
        for t in data.topics
    ]
    topics.sort(key=lambda t: (-t["weighted_degree"], t["id"]))
    topic_id = {t.iri: t.id for t in data.topics}
    pairs = Counter(
        (topic_id[a], topic_id[b])
        for article in data.articles
        for i, a in enumerate(article.topics)
        for b in article.topics[i + 1 :]
    )
    communities = []
    for number, members in enumerate(ordered, 1):
        kinds = defaultdict(list)
        for member in members:
            kinds[graph.nodes[member]["type"]].append(member)
        communities.append(
            {
                "id": number,
                "topics": sorted(topic_id[t] for t in kinds["topic"]),
                "outlets": sorted(
                    (graph.nodes[o]["label"] for o in kinds["outlet"]), key=str.casefold
                ),
            }
        )
    outlet_count = len(data.outlets)
    return {
        "about": {
            "network": "outlets and topics; an edge joins an outlet to a topic it covered",
            "weight": "entries of the outlet about the topic",
            "weighted_degree": "sum of the weights of a node's edges (entries)",
            "betweenness": "normalised betweenness centrality, path length 1/weight",
            "communities": f"Louvain (networkx louvain_communities), weight, seed {SEED}",
            "topic_cooccurrence": "entries whose headline carries both topics",
        },
        "counts": {
            "outlets": outlet_count,
            "topics": len(data.topics),
            "edges": graph.number_of_edges(),
            "entries": len(data.articles),
            "entries_with_outlet": sum(1 for a in data.articles if a.outlet),
            "communities": len(communities),
            "density": _round(
                graph.number_of_edges() / (outlet_count * len(data.topics)) if outlet_count else 0.0
            ),
        },
        "outlets": outlets,
        "topics": topics,
        "topic_cooccurrence": [
            {"topics": list(pair), "entries": n}
            for pair, n in sorted(pairs.items(), key=lambda item: (-item[1], item[0]))
        ],
        "communities": communities,
    }


def metrics_json(metrics: Mapping[str, Any]) -> bytes:
    """Return *metrics* as the bytes of ``network-metrics.json`` (sorted, indented)."""
    return (json.dumps(metrics, indent=2, ensure_ascii=False, sort_keys=True) + "\n").encode()


def format_metrics(metrics: Mapping[str, Any], top: int = 15) -> str:
    """Return *metrics* as the plain-text report `hikgraph stats --network` prints,
    with the *top* outlets and topic pairs."""
    counts = metrics["counts"]
    width = max([len(o["name"]) for o in metrics["outlets"][:top]] + [20])
    header = f"{'weighted':>9} {'topics':>7} {'betweenness':>12} {'community':>10}"
    lines = [
        f"outlet–topic network  {counts['outlets']} outlets, {counts['topics']} topics, "
        f"{counts['edges']} edges (density {counts['density']:.3f}); "
        f"{counts['entries']} entries, {counts['entries_with_outlet']} with an outlet",
        "weighted degree = entries (of an outlet, or about a topic) counted once per topic",
        "",
        f"{'outlets (top ' + str(top) + ')':<{width + 2}}{header}",
        *(
            f"  {o['name']:<{width}}{o['weighted_degree']:>9} {o['degree']:>7} "
            f"{o['betweenness']:>12.4f} {_community(o['community']):>10}"
            for o in metrics["outlets"][:top]
        ),
        "",
        f"{'topics':<{width + 2}}{header.replace(' topics', 'outlets')}",
        *(
            f"  {t['id']:<{width}}{t['weighted_degree']:>9} {t['degree']:>7} "
            f"{t['betweenness']:>12.4f} {_community(t['community']):>10}"
            for t in metrics["topics"]
        ),
        "",
        f"topic co-occurrence (top {top}): entries whose headline carries both",
        *(
            f"  {' + '.join(pair['topics']):<{width + 20}}{pair['entries']:>5}"
            for pair in metrics["topic_cooccurrence"][:top]
        ),
        "",
        f"communities ({metrics['about']['communities']}):",
        *(
            f"  {c['id']:>2}. {', '.join(c['topics']) or '(no topic)'}: "
            f"{len(c['outlets'])} outlet(s): {', '.join(c['outlets'])}"
            for c in metrics["communities"]
        ),
    ]
    return "\n".join(lines)


def _community(number: int | None) -> str:
    return "-" if number is None else str(number)


def with_metrics(graph: nx.Graph, metrics: Mapping[str, Any]) -> nx.Graph:
    """Return *graph* with each outlet's and topic's weighted degree, betweenness and
    community (0 for none) from *metrics* set as node attributes."""
    figures = {row["iri"]: row for row in (*metrics["outlets"], *metrics["topics"])}
    for iri, attributes in graph.nodes(data=True):
        row = figures.get(iri)
        if row:
            attributes["weighted_degree"] = row["weighted_degree"]
            attributes["betweenness"] = row["betweenness"]
            # GraphML and GEXF have no null: 0 means "in no community".
            attributes["community"] = row["community"] or 0
    return graph


def graphml_bytes(graph: nx.Graph) -> bytes:
    """Return *graph* as GraphML (for Cytoscape, Gephi, yEd), nodes and edges sorted."""
    import networkx as nx

    return ("\n".join(nx.generate_graphml(_sorted_copy(graph))) + "\n").encode()


def gexf_bytes(
    graph: nx.Graph,
    positions: Mapping[str, tuple[int, int]] | None = None,
    colours: Mapping[str, str] | None = None,
    modified: str = "2000-01-01",
) -> bytes:
    """Return *graph* as GEXF 1.2 (for Gephi), with the page's *positions* and
    *colours* as viz attributes when given. networkx stamps today's date and its own
    version into the header; both are replaced (*modified*, "hikgraph") so the bytes
    depend on the graph only."""
    from networkx.readwrite.gexf import GEXFWriter

    copy = _sorted_copy(graph)
    for iri, attributes in copy.nodes(data=True):
        viz: dict[str, Any] = {"size": node_size(attributes.get("articles", 0))}
        if positions and iri in positions:
            x, y = positions[iri]
            viz["position"] = {"x": float(x), "y": float(-y), "z": 0.0}
        if colours and iri in colours:
            r, g, b = (int(colours[iri][i : i + 2], 16) for i in (1, 3, 5))
            viz["color"] = {"r": r, "g": g, "b": b, "a": 1.0}
        attributes["viz"] = viz
    writer = GEXFWriter(encoding="utf-8", prettyprint=True, version="1.2draft")
    meta = writer.xml.find("meta")
    assert meta is not None
    meta.set("lastmodifieddate", modified)
    creator = meta.find("creator")
    assert creator is not None
    creator.text = "hikgraph"
    writer.add_graph(copy)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _sorted_copy(graph: nx.Graph) -> nx.Graph:
    import networkx as nx

    copy = nx.Graph()
    copy.add_nodes_from(sorted(graph.nodes(data=True)))
    copy.add_edges_from(
        sorted(
            ((min(u, v), max(u, v), dict(d)) for u, v, d in graph.edges(data=True)),
            key=lambda e: (e[0], e[1]),
        )
    )
    for _, _, attributes in copy.edges(data=True):
        attributes.pop("distance", None)
    return copy
