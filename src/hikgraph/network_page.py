"""The self-contained page of the outlet–topic network (``network.html``).

The page is one file that opens from ``file://`` with no network: vis-network's
JavaScript and CSS (the copy that ships inside the pyvis package) are inlined, the
timeline picture is a ``data:`` URI, and a Content-Security-Policy allows nothing
else: no request may leave the file, and only the page's own scripts, named by
their SHA-256, may run.

Why not pyvis's own ``Network.write_html``: its template (pyvis 0.3.2) loads
Bootstrap from a CDN even with ``cdn_resources="in_line"``, writes the heading and
the select menu into the HTML unescaped, and switches every tooltip to
``innerHTML`` when any title contains the word "href"; and importing
``pyvis.network`` imports IPython (~0.4 s on every build). So the page uses pyvis
for what it is good for here, a pinned, offline copy of vis-network, and its own
template, in which every piece of text from the graph is either HTML-escaped (the
heading) or carried as JSON and put on the page by ``textContent`` (tooltips,
menus, legend, panels); vis-network draws labels on a canvas.
"""

from __future__ import annotations

import base64
import hashlib
import html
import importlib.util
import json
from collections import Counter, defaultdict
from collections.abc import Collection, Mapping
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hikgraph.network import (
    HEADLINES_SHOWN,
    OTHER_COLOUR,
    OUTLET_COLOURS,
    TOPIC_COLOURS,
    NetworkData,
    layout,
    network_graph,
    node_size,
)

if TYPE_CHECKING:
    import networkx as nx

_HERE = Path(__file__).resolve().parent
_TEMPLATE = "network_page.html"
_SCRIPT = "network_page.js"
_STYLE = "network_page.css"
ARTICLE_COLOUR = "#9e9e9e"
COUNTRY_COLOUR = "#4d4d4d"
#: How many countries get a colour of their own when outlets are coloured by country.
COUNTRY_COLOURS_SHOWN = len(OUTLET_COLOURS)
# The type of node each type of edge starts from.
_EDGE_SOURCE = {
    "covers": "outlet",
    "located-in": "outlet",
    "published": "outlet",
    "about": "article",
}

KIND_LABELS = {
    "newspaper": "newspaper",
    "broadcaster": "broadcaster",
    "public-broadcaster": "public broadcaster",
    "news-agency": "news agency",
    "magazine": "magazine",
    "online-publication": "online publication",
    "trade-publication": "trade publication",
    "blog": "blog",
    "think-tank": "think tank",
    "ngo": "advocacy organisation",
    "unknown": "kind not reviewed",
}


class AssetError(RuntimeError):
    """vis-network cannot be found in the installed pyvis package, or a file to be
    inlined could end its ``<script>``/``<style>`` block early."""


@cache
def vis_assets() -> tuple[str, str]:
    """Return the text of vis-network's JavaScript and CSS as shipped by pyvis.

    The package is located without importing it (importing pyvis imports IPython).
    Raises :class:`AssetError` when the files are missing or could break out of the
    block they are inlined in.
    """
    spec = importlib.util.find_spec("pyvis")
    if spec is None or not spec.submodule_search_locations:
        raise AssetError("pyvis is not installed; it ships the vis-network library")
    folder = Path(next(iter(spec.submodule_search_locations))) / "lib" / "vis-9.1.2"
    try:
        script = (folder / "vis-network.min.js").read_text(encoding="utf-8")
        style = (folder / "vis-network.css").read_text(encoding="utf-8")
    except OSError as error:
        raise AssetError(f"vis-network is missing from pyvis: {error}") from None
    _check_inlinable(script, "script", folder / "vis-network.min.js")
    _check_inlinable(style, "style", folder / "vis-network.css")
    return script, style


def _check_inlinable(text: str, element: str, origin: Path) -> None:
    # "</script" ends a script block wherever it appears, and "<!--" can put the
    # parser in a state where the real end tag is missed.
    lowered = text.lower()
    for marker in (f"</{element}", "<!--"):
        if marker in lowered:
            raise AssetError(f"{origin} contains {marker!r} and cannot be inlined safely")


def script_json(value: object) -> str:
    """Return *value* as JSON that is safe inside an HTML ``<script>`` block.

    ``<``, ``>`` and ``&`` become ``\\u003c``, ``\\u003e`` and ``\\u0026`` (still the
    same JSON strings), so no text in the data can close the block or open a
    comment; U+2028/2029 are escaped for old JavaScript parsers.
    """
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    for raw, escaped in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(raw, escaped)
    return text


def _sha256(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


def _palette(keys: list[str], colours: tuple[str, ...]) -> dict[str, str]:
    return {key: colours[i % len(colours)] for i, key in enumerate(keys)}


def colour_schemes(data: NetworkData) -> dict[str, Any]:
    """Return the page's colours: one per topic, and for outlets one per kind, per
    country (the most frequent countries; the rest share grey) and per community
    index (as a list), so the legend and the GEXF use the same colours."""
    kinds = sorted({o.kind for o in data.outlets})
    countries = Counter(o.country_code for o in data.outlets if o.country_code)
    top = sorted(countries, key=lambda c: (-countries[c], c))[:COUNTRY_COLOURS_SHOWN]
    return {
        "topic": _palette([t.iri for t in data.topics], TOPIC_COLOURS),
        "kind": _palette(kinds, OUTLET_COLOURS),
        "country": _palette(top, OUTLET_COLOURS),
        "community": list(OUTLET_COLOURS),
        "other": OTHER_COLOUR,
        "article": ARTICLE_COLOUR,
        "countryNode": COUNTRY_COLOUR,
    }


def node_colours(data: NetworkData, graph: nx.Graph) -> dict[str, str]:
    """Return the colour each node of *graph* has when the page opens: topics by
    topic, outlets by kind, countries and articles in grey."""
    schemes = colour_schemes(data)
    colours = {}
    for iri, attributes in graph.nodes(data=True):
        kind = attributes["type"]
        if kind == "topic":
            colours[iri] = schemes["topic"][iri]
        elif kind == "outlet":
            colours[iri] = schemes["kind"].get(attributes["kind"], OTHER_COLOUR)
        elif kind == "country":
            colours[iri] = COUNTRY_COLOUR
        else:
            colours[iri] = ARTICLE_COLOUR
    return colours


def page_data(
    data: NetworkData,
    include: Collection[str] = (),
    metrics: Mapping[str, Any] | None = None,
    positions: Mapping[str, tuple[int, int]] | None = None,
) -> dict[str, Any]:
    """Return everything the page's script draws, as JSON-ready values: nodes
    (with seeded positions, sizes and tooltip facts), edges (with per-year weights
    for the year filter), the filter menus, colours and the analytics panel.

    Raises ValueError for an unknown layer in *include*.
    """
    graph = network_graph(data, include)
    if positions is None or any(node not in positions for node in graph):
        positions = layout(graph)
    outlet_by_iri = {o.iri: o for o in data.outlets}
    topic_by_iri = {t.iri: t for t in data.topics}
    articles_by_iri = {a.iri: a for a in data.articles}
    per_year: dict[str, Counter[int]] = defaultdict(Counter)
    headlines: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for article in data.articles:
        for topic in article.topics:
            per_year[topic][article.year] += 1
        if article.outlet:
            per_year[article.outlet][article.year] += 1
            headlines[article.outlet].append((article.month, article.headline))
    figures: dict[str, Mapping[str, Any]] = {}
    if metrics:
        figures = {row["iri"]: row for row in (*metrics["outlets"], *metrics["topics"])}
    order = {"topic": 0, "outlet": 1, "country": 2, "article": 3}
    nodes = []
    for iri, a in sorted(
        graph.nodes(data=True), key=lambda item: (order[item[1]["type"]], item[0])
    ):
        x, y = positions[iri]
        node: dict[str, Any] = {
            "id": iri,
            "type": a["type"],
            "label": a["label"],
            "x": x,
            "y": y,
            "size": node_size(a["articles"]) if a["type"] != "article" else 6,
            "articles": a["articles"],
        }
        if a["type"] in ("topic", "outlet"):
            node["years"] = {str(y): n for y, n in sorted(per_year[iri].items())}
        row = figures.get(iri)
        if row:
            node["weightedDegree"] = row["weighted_degree"]
            node["betweenness"] = row["betweenness"]
            node["community"] = row["community"]
        if a["type"] == "topic":
            node["topic"] = a["topic"]
            node["definition"] = a["definition"]
        elif a["type"] == "outlet":
            outlet = outlet_by_iri[iri]
            node["kind"] = outlet.kind
            node["kindLabel"] = KIND_LABELS.get(outlet.kind, outlet.kind)
            node["country"] = outlet.country_code or ""
            node["countryName"] = outlet.country_name or ""
            latest = sorted(headlines[iri], reverse=True)
            node["headlines"] = [list(pair) for pair in latest[:HEADLINES_SHOWN]]
        elif a["type"] == "country":
            node["country"] = a["country"]
            node["outlets"] = a["outlets"]
        else:
            article = articles_by_iri[iri]
            owner = outlet_by_iri.get(article.outlet or "")
            node["label"] = ""  # a headline is too long for the canvas: it is the tooltip
            node["headline"] = article.headline
            node["month"] = article.month
            node["year"] = article.year
            node["topics"] = [topic_by_iri[t].id for t in article.topics if t in topic_by_iri]
            node["outlet"] = owner.name if owner else ""
            node["country"] = (owner.country_code or "") if owner else ""
        nodes.append(node)
    edges = []
    for u, v, attributes in graph.edges(data=True):
        kind = attributes["type"]
        # vis-network edges have a direction even when drawn without arrows: from the
        # outlet, or from the article to its topic.
        source, target = (u, v) if graph.nodes[u]["type"] == _EDGE_SOURCE[kind] else (v, u)
        edge: dict[str, Any] = {"from": source, "to": target, "type": kind}
        edge["weight"] = attributes["weight"]
        if kind == "covers":
            edge["years"] = {str(y): n for y, n in data.coverage[source, target].items()}
        elif kind in ("published", "about"):
            article = articles_by_iri[target if kind == "published" else source]
            edge["years"] = {str(article.year): 1}
        edges.append(edge)
    edges.sort(key=lambda e: (e["from"], e["to"]))
    for number, edge in enumerate(edges, 1):
        edge["id"] = f"e{number}"
    years = data.years() or (0, 0)
    countries = sorted(
        {(o.country_code, o.country_name or o.country_code) for o in data.outlets if o.country_code}
    )
    return {
        "title": data.title,
        "layers": sorted(include),
        "years": list(years),
        "nodes": nodes,
        "edges": edges,
        "topics": [{"id": t.id, "iri": t.iri, "label": t.label} for t in data.topics],
        "countries": [{"code": code, "name": name} for code, name in countries],
        "kinds": {
            kind: KIND_LABELS.get(kind, kind) for kind in sorted({o.kind for o in data.outlets})
        },
        "colours": colour_schemes(data),
        "metrics": _panel(metrics) if metrics else None,
    }


def _panel(metrics: Mapping[str, Any], top: int = 10) -> dict[str, Any]:
    return {
        "about": metrics["about"],
        "counts": metrics["counts"],
        "outlets": [
            {k: o[k] for k in ("name", "weighted_degree", "betweenness", "community")}
            for o in metrics["outlets"][:top]
        ],
        "cooccurrence": metrics["topic_cooccurrence"][:top],
        "communities": metrics["communities"],
    }


def render_page(
    data: NetworkData,
    include: Collection[str] = (),
    *,
    metrics: Mapping[str, Any] | None = None,
    timeline_svg: bytes | None = None,
    positions: Mapping[str, tuple[int, int]] | None = None,
) -> bytes:
    """Return the bytes of ``network.html`` for *data*: the outlet–topic network,
    plus the *include* layers, the analytics panel when *metrics* are given and the
    timeline picture when *timeline_svg* is. Same input, same bytes.

    Raises ValueError for an unknown layer, :class:`AssetError` when vis-network
    cannot be inlined.
    """
    vis_script, vis_style = vis_assets()
    template = (_HERE / _TEMPLATE).read_text(encoding="utf-8")
    own_script = (_HERE / _SCRIPT).read_text(encoding="utf-8")
    own_style = (_HERE / _STYLE).read_text(encoding="utf-8")
    for text, element, name in (
        (own_script, "script", _SCRIPT),
        (own_style, "style", _STYLE),
    ):
        _check_inlinable(text, element, _HERE / name)
    payload = script_json(page_data(data, include, metrics, positions))
    years = data.years()
    span = f"{years[0]}–{years[1]}" if years else ""
    summary = (
        f"{len(data.outlets)} outlets and {len(data.topics)} topics from {len(data.articles)} "
        f"entries, {span}. Node size: entries. "
        + (
            "Each entry is a small node between its outlet and its topics."
            if "articles" in include
            else "Link width: the outlet's entries about the topic."
        )
    )
    if timeline_svg is not None:
        encoded = base64.b64encode(timeline_svg).decode("ascii")
        timeline = (
            '<section id="timeline"><h2>Entries over time, by topic</h2>'
            f'<img id="timeline-image" alt="Stacked chart of directory entries over time '
            f'by topic, {html.escape(span)}" src="data:image/svg+xml;base64,{encoded}">'
            "</section>"
        )
    else:
        timeline = ""
    policy = "; ".join(
        (
            "default-src 'none'",
            f"script-src '{_sha256(vis_script)}' '{_sha256(own_script)}'",
            f"style-src '{_sha256(vis_style)}' '{_sha256(own_style)}'",
            "img-src data:",
            "base-uri 'none'",
            "form-action 'none'",
        )
    )
    # Markers are replaced in one pass, so nothing inserted is itself searched for
    # markers (a headline reading "@@DATA@@" stays a headline).
    values = {
        "@@POLICY@@": html.escape(policy, quote=True),
        "@@TITLE@@": html.escape(f"Who covered what: {data.title}", quote=True),
        "@@HEADING@@": html.escape(data.title, quote=True),
        "@@SUMMARY@@": html.escape(summary, quote=True),
        "@@VIS_STYLE@@": vis_style,
        "@@STYLE@@": own_style,
        "@@DATA@@": payload,
        "@@VIS_SCRIPT@@": vis_script,
        "@@SCRIPT@@": own_script,
        "@@TIMELINE@@": timeline,
    }
    pieces = []
    rest = template
    while "@@" in rest:
        before, _, after = rest.partition("@@")
        name, _, rest = after.partition("@@")
        pieces.append(before)
        pieces.append(values[f"@@{name}@@"])
    pieces.append(rest)
    return "".join(pieces).encode("utf-8")
