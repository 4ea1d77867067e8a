"""The outlet–topic network files: counts against the graph, analytics, GraphML and
GEXF read back by networkx, the timeline's bytes, and the page's offline and escaping
guarantees checked on its bytes (tests/test_network_browser.py checks them in a
browser).

Expected figures come from SPARQL queries written here against the N-Triples the
build wrote, never from hikgraph.network's own queries or objects.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import os
import re
import struct
import subprocess
import sys
from collections import Counter
from pathlib import Path

import networkx as nx
import pytest

from hikgraph.network_page import AssetError, _check_inlinable, script_json

from conftest import (
    HOSTILE_HEADLINE,
    HOSTILE_HEADLINE_2,
    HOSTILE_OUTLET,
    HOSTILE_OUTLET_2,
    HOSTILE_TITLE,
    ROOT,
    sparql,
)

NETWORK_FILES = {
    "network.html",
    "network-metrics.json",
    "network.graphml",
    "network.gexf",
    "timeline.svg",
    "timeline.png",
}


@pytest.fixture(scope="module")
def pair_counts(built: Path) -> dict[tuple[str, str], int]:
    """Entries per (outlet, topic), straight from the graph."""
    rows = sparql(
        built,
        """SELECT ?o ?t (COUNT(DISTINCT ?e) AS ?n) WHERE {
             ?e a schema:CreativeWork ; schema:publisher ?o ; schema:about ?t .
             ?t a skos:Concept
           } GROUP BY ?o ?t""",
    )
    return {(o, t): int(n) for o, t, n in rows}


@pytest.fixture(scope="module")
def metrics(built: Path) -> dict:
    return json.loads((built / "network-metrics.json").read_text(encoding="utf-8"))


def page_payload(page: bytes) -> dict:
    """The JSON the page's script draws, read back from the page's bytes."""
    match = re.search(rb'<script type="application/json" id="network-data">(.*?)</script>', page)
    assert match, "no data block"
    return json.loads(match[1])


def test_build_writes_the_network_files(built: Path) -> None:
    assert {p.name for p in built.iterdir()} >= NETWORK_FILES


@pytest.mark.parametrize("name", ["network.graphml", "network.gexf"])
def test_graphml_and_gexf_read_back_with_the_graph_counts(
    built: Path, pair_counts: dict[tuple[str, str], int], name: str
) -> None:
    graph = (
        nx.read_graphml(built / name) if name.endswith("graphml") else nx.read_gexf(built / name)
    )
    outlets = {
        o
        for (o,) in sparql(
            built, "SELECT DISTINCT ?o WHERE { ?e a schema:CreativeWork ; schema:publisher ?o }"
        )
    }
    topics = {t for (t,) in sparql(built, "SELECT ?t WHERE { ?t a skos:Concept }")}
    assert set(graph.nodes) == outlets | topics
    assert graph.number_of_edges() == len(pair_counts)
    weights = {frozenset((u, v)): int(d["weight"]) for u, v, d in graph.edges(data=True)}
    assert weights == {frozenset(pair): n for pair, n in pair_counts.items()}
    reuters = "https://w3id.org/hikgraph/id/outlet/reuters"
    assert graph.nodes[reuters]["label"] == "Reuters"
    assert graph.nodes[reuters]["country"] == "GB"
    assert graph.nodes[reuters]["kind"] == "news-agency"


def test_gexf_carries_no_date_or_version(built: Path) -> None:
    text = (built / "network.gexf").read_text(encoding="utf-8")
    assert 'lastmodifieddate="2022-05-13"' in text  # the directory's publication date
    assert "<creator>hikgraph</creator>" in text
    assert "NetworkX" not in text


def test_weighted_degree_and_cooccurrence_match_the_graph(
    built: Path, metrics: dict, pair_counts: dict[tuple[str, str], int]
) -> None:
    strength: Counter[str] = Counter()
    for (outlet, topic), n in pair_counts.items():
        strength[outlet] += n
        strength[topic] += n
    for row in metrics["outlets"] + metrics["topics"]:
        assert row["weighted_degree"] == strength[row["iri"]], row["iri"]
    degrees = Counter(o for o, _ in pair_counts)
    assert {o["iri"]: o["degree"] for o in metrics["outlets"] if o["degree"]} == dict(degrees)
    ordered = [o["weighted_degree"] for o in metrics["outlets"]]
    assert ordered == sorted(ordered, reverse=True)
    pairs = sparql(
        built,
        """SELECT ?a ?b (COUNT(DISTINCT ?e) AS ?n) WHERE {
             ?e a schema:CreativeWork ; schema:about ?ta, ?tb .
             ?ta a skos:Concept . ?tb a skos:Concept
             BIND(REPLACE(STR(?ta), "^.*/", "") AS ?a) BIND(REPLACE(STR(?tb), "^.*/", "") AS ?b)
             FILTER(?a < ?b)
           } GROUP BY ?a ?b""",
    )
    expected = {(a, b): int(n) for a, b, n in pairs}
    got = {tuple(p["topics"]): p["entries"] for p in metrics["topic_cooccurrence"]}
    assert got == expected
    assert metrics["counts"]["entries"] == int(
        sparql(built, "SELECT (COUNT(?e) AS ?n) WHERE { ?e a schema:CreativeWork }")[0][0]
    )


def test_communities_partition_the_connected_network(
    metrics: dict, pair_counts: dict[tuple[str, str], int]
) -> None:
    connected = {o for o, _ in pair_counts} | {t for _, t in pair_counts}
    members = [
        row["iri"] for row in metrics["outlets"] + metrics["topics"] if row["community"] is not None
    ]
    assert sorted(members) == sorted(connected)
    numbers = {row["community"] for row in metrics["outlets"] + metrics["topics"]} - {None}
    assert numbers == set(range(1, len(metrics["communities"]) + 1))
    listed = sum(len(c["outlets"]) + len(c["topics"]) for c in metrics["communities"])
    assert listed == len(connected)
    # Betweenness is a normalised centrality: between 0 and 1, and some node is a bridge.
    values = [row["betweenness"] for row in metrics["outlets"] + metrics["topics"]]
    assert all(0 <= v <= 1 for v in values) and max(values) > 0


def test_stats_network_prints_the_metrics_file(built: Path, metrics: dict) -> None:
    graph = str(built / "hikgraph.nt")
    as_json = run_cli("stats", "--graph", graph, "--network", "--format", "json")
    assert as_json.returncode == 0, as_json.stderr
    assert json.loads(as_json.stdout) == metrics
    text = run_cli("stats", "--graph", graph, "--network")
    assert text.returncode == 0, text.stderr
    top = metrics["outlets"][0]
    assert f"{metrics['counts']['outlets']} outlets, 11 topics" in text.stdout
    assert top["name"] in text.stdout
    assert "topic co-occurrence" in text.stdout and "communities (Louvain" in text.stdout


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hikgraph", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )


def test_page_nodes_and_edges_are_the_graph(
    built: Path, pair_counts: dict[tuple[str, str], int]
) -> None:
    data = page_payload((built / "network.html").read_bytes())
    kinds = Counter(n["type"] for n in data["nodes"])
    assert kinds["topic"] == 11
    assert kinds["outlet"] == len(
        {
            o
            for (o,) in sparql(
                built, "SELECT DISTINCT ?o WHERE { ?e a schema:CreativeWork ; schema:publisher ?o }"
            )
        }
    )
    assert {(e["from"], e["to"]): e["weight"] for e in data["edges"]} == pair_counts
    # Per-year weights add up to the edge's weight: the year filter loses nothing.
    assert all(sum(e["years"].values()) == e["weight"] for e in data["edges"])


def test_page_with_layers_from_the_cli(built: Path, tmp_path: Path) -> None:
    result = run_cli(
        "viz",
        "--graph",
        str(built / "hikgraph.nt"),
        "--out",
        str(tmp_path),
        "--include",
        "countries",
        "--include",
        "articles",
    )
    assert result.returncode == 0, result.stderr
    data = page_payload((tmp_path / "network.html").read_bytes())
    kinds = Counter(n["type"] for n in data["nodes"])
    entries = sparql(built, "SELECT (COUNT(?e) AS ?n) WHERE { ?e a schema:CreativeWork }")
    countries = sparql(
        built,
        "SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE { "
        "?e a schema:CreativeWork ; schema:publisher ?o . ?o schema:location ?c }",
    )
    assert kinds["article"] == int(entries[0][0])
    assert kinds["country"] == int(countries[0][0])
    edge_kinds = Counter(e["type"] for e in data["edges"])
    published = sparql(
        built, "SELECT (COUNT(*) AS ?n) WHERE { ?e a schema:CreativeWork ; schema:publisher ?o }"
    )
    about = sparql(
        built,
        "SELECT (COUNT(*) AS ?n) WHERE { ?e a schema:CreativeWork ; schema:about ?t . "
        "?t a skos:Concept }",
    )
    assert edge_kinds["published"] == int(published[0][0])
    assert edge_kinds["about"] == int(about[0][0])
    assert "covers" not in edge_kinds  # the articles stand between outlets and topics


def test_viz_writes_the_page_build_writes(built: Path, tmp_path: Path) -> None:
    result = run_cli("viz", "--graph", str(built / "hikgraph.nt"), "--out", str(tmp_path), "-q")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert (tmp_path / "network.html").read_bytes() == (built / "network.html").read_bytes()
    assert [p.name for p in tmp_path.iterdir()] == ["network.html"]


def test_viz_usage_and_data_errors(tmp_path: Path) -> None:
    assert run_cli("viz", "--include", "people").returncode == 2
    missing = run_cli("viz", "--graph", str(tmp_path / "none.nt"), "--out", str(tmp_path))
    assert missing.returncode == 1
    assert missing.stderr.startswith("hikgraph: error:") and "no such file" in missing.stderr
    assert not (tmp_path / "network.html").exists()


def test_page_is_self_contained(built: Path) -> None:
    page = (built / "network.html").read_bytes().decode("utf-8")
    markup = re.sub(r"<(script|style)\b[^>]*>.*?</\1>", "", page, flags=re.DOTALL)
    # Nothing in the markup loads from elsewhere: every src/href is a data: URI.
    targets = re.findall(r'(?:src|href)\s*=\s*["\']?([^"\'\s>]+)', markup)
    assert targets and all(t.startswith("data:") for t in targets), targets
    assert "<link" not in markup
    # Nor does the inlined CSS: its url()s are data: URIs, and there is no @import.
    for target in re.findall(r"url\(\s*[\"']?([^\"')]+)", page):
        assert target.startswith("data:"), target
    assert "@import" not in page


def test_content_security_policy_names_every_script(built: Path) -> None:
    page = (built / "network.html").read_bytes().decode("utf-8")
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)
    assert policy
    rules = dict(rule.strip().split(" ", 1) for rule in html.unescape(policy[1]).split(";"))
    assert rules["default-src"] == "'none'"
    assert rules["img-src"] == "data:"
    scripts = re.findall(r"<script>(.*?)</script>", page, flags=re.DOTALL)
    assert len(scripts) == 2  # vis-network and the page's own script
    hashes = {
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
        for s in scripts
    }
    assert set(rules["script-src"].split()) == hashes
    assert "unsafe" not in policy[1]


def test_hostile_text_cannot_leave_its_place(hostile_built: Path) -> None:
    page = (hostile_built / "network.html").read_bytes()
    text = page.decode("utf-8")
    # No payload appears as markup anywhere in the file.
    for raw in ("<img src=x", "<script>window.__pwned", "<b>href</b>", "<a href="):
        assert raw not in text, raw
    # The only script end tags are those of the page's three blocks.
    assert text.count("</script>") == 3
    # The heading is escaped text.
    heading = re.search(r'<h1 id="heading">(.*?)</h1>', text)
    assert heading and "&lt;/script&gt;&lt;script&gt;" in heading[1]
    # And the JSON still carries every string exactly as the graph has it.
    data = page_payload(page)
    labels = {n["label"] for n in data["nodes"]}
    assert {HOSTILE_OUTLET, HOSTILE_OUTLET_2} <= labels
    headlines = {h for n in data["nodes"] for _, h in n.get("headlines", [])}
    assert {HOSTILE_HEADLINE, HOSTILE_HEADLINE_2} <= headlines
    assert data["title"] == HOSTILE_TITLE


def test_script_json_cannot_close_its_block() -> None:
    value = {"a": "</script><!-- <script>&amp; \u2028"}
    text = script_json(value)
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(text) == value


def test_an_asset_that_could_close_its_block_is_refused(tmp_path: Path) -> None:
    with pytest.raises(AssetError):
        _check_inlinable("var a = '</SCRIPT>';", "script", tmp_path / "x.js")
    with pytest.raises(AssetError):
        _check_inlinable("a { } <!-- b", "style", tmp_path / "x.css")
    _check_inlinable("var a = 1 < 2;", "script", tmp_path / "x.js")


def test_timeline_counts_every_entry_once(built: Path) -> None:
    from hikgraph.network import load_ntriples, read_network
    from hikgraph.timeline import topic_timeline

    series = topic_timeline(read_network(load_ntriples((built / "hikgraph.nt").read_bytes())))
    per_month = sparql(
        built,
        """SELECT ?m (COUNT(?e) AS ?n) WHERE { ?e a schema:CreativeWork ;
             schema:datePublished ?m } GROUP BY ?m""",
    )
    expected = {m: int(n) for m, n in per_month}
    got = {m: n for m, n in zip(series.periods, series.entries, strict=True) if n}
    assert got == expected
    assert series.period == "month"
    assert series.periods[0] == "2016-09" and series.periods[-1] == "2022-05"
    assert len(series.periods) == 69  # every month in the span, empty ones too
    for column, total in enumerate(series.entries):
        stacked = sum(row[column] for row in series.shares) + series.untagged[column]
        assert stacked == pytest.approx(total)


def test_a_long_span_is_counted_per_year() -> None:
    from hikgraph.network import Article, NetworkData, Topic
    from hikgraph.timeline import topic_timeline

    topic = Topic("https://w3id.org/hikgraph/id/topic/t", "t", "T", "")
    articles = tuple(
        Article(f"a{year}", "h", f"{year}-03", None, (topic.iri,) if year % 2 else ())
        for year in range(1990, 2021, 3)
    )
    series = topic_timeline(NetworkData("D", None, (topic,), (), articles))
    assert series.period == "year"
    assert series.periods == tuple(str(y) for y in range(1990, 2021))
    assert sum(series.entries) == len(articles) == sum(series.shares[0]) + sum(series.untagged)


def png_text_chunks(png: bytes) -> dict[bytes, bytes]:
    chunks, position = {}, 8
    while position < len(png):
        (length,) = struct.unpack(">I", png[position : position + 4])
        kind = png[position + 4 : position + 8]
        if kind in (b"tEXt", b"iTXt", b"zTXt"):
            body = png[position + 8 : position + 8 + length]
            key, _, value = body.partition(b"\0")
            chunks[key] = value
        position += 12 + length
    return chunks


def test_timeline_images_are_deterministic_and_undated(built: Path) -> None:
    from hikgraph.network import load_ntriples, read_network
    from hikgraph.timeline import timeline_images

    data = read_network(load_ntriples((built / "hikgraph.nt").read_bytes()))
    assert timeline_images(data) == timeline_images(data)
    svg = (built / "timeline.svg").read_bytes()
    png = (built / "timeline.png").read_bytes()
    assert (svg, png) == timeline_images(data)
    assert b"<dc:date>" not in svg and b"Matplotlib v" not in svg
    assert b"<dc:title>Hikvision Global News Reports Directory: entries per month" in svg
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert b"Software" not in png_text_chunks(png)
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (1200, 540)


def test_network_files_are_the_same_for_any_hash_seed(built: Path) -> None:
    script = """
import hashlib, sys
from pathlib import Path
from hikgraph.network import network_exports
files = network_exports(Path(sys.argv[1]).read_bytes())
print({name: hashlib.sha256(content).hexdigest() for name, content in sorted(files.items())})
"""
    digests = {
        subprocess.run(
            [sys.executable, "-c", script, str(built / "hikgraph.nt")],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("0", "1", "4242")
    }
    assert len(digests) == 1
    expected = {
        name: hashlib.sha256((built / name).read_bytes()).hexdigest() for name in NETWORK_FILES
    }
    assert digests.pop() == str(dict(sorted(expected.items()))) + "\n"


def test_the_readme_network_commands_run(built: Path, tmp_path: Path) -> None:
    """Each `$ hikgraph …` line of the README's "Explore the network" section runs,
    pointed at a fresh build and a temporary folder instead of exports/ and /tmp."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Explore the network", 1)[1].split("\n## ", 1)[0]
    commands = [line[2:].split() for line in section.splitlines() if line.startswith("$ hikgraph")]
    assert len(commands) == 3
    for words in commands:
        if "--out" in words:
            words[words.index("--out") + 1] = str(tmp_path)
        result = run_cli(*words[1:], "--graph", str(built / "hikgraph.nt"))
        assert result.returncode == 0, (words, result.stderr)
    assert (tmp_path / "network.html").is_file()
