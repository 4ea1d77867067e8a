"""`hikgraph explain`: the evidence for an article's tags, read from the graph."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import Graph, Namespace

from conftest import ROOT

SCHEMA = Namespace("http://schema.org/")


def explain(*args: str, graph: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hikgraph", "explain", *args, "--graph", str(graph)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )


def test_whitehall_is_the_uk_with_its_evidence(built: Path) -> None:
    result = explain("Whitehall", "--format", "json", graph=built / "hikgraph.nt")
    assert result.returncode == 0, result.stderr
    (article,) = json.loads(result.stdout)
    assert article["headline"].endswith("are still being used in Whitehall")
    countries = {r["target"]: r for r in article["reasons"] if r["kind"] == "country"}
    assert "Whitehall" in countries["GB"]["matched"]
    assert all(r["rules"] and r["matched"] for r in article["reasons"])


def test_every_tag_of_every_article_is_explained(built: Path) -> None:
    """explain's reasons are exactly the article's schema:about and spatialCoverage."""
    from hikgraph.explain import explain as explain_article
    from hikgraph.stats import load_store

    graph = Graph().parse(built / "hikgraph.nt", format="nt")
    store = load_store(built / "hikgraph.nt")
    articles = sorted(graph.subjects(SCHEMA.datePublished, None))
    articles = [a for a in articles if "/article/" in a]
    assert len(articles) == 184
    for article in articles:
        reasons = explain_article(store, str(article)).reasons
        topics = {str(t).rsplit("/", 1)[1] for t in graph.objects(article, SCHEMA.about)}
        countries = {
            str(c).rsplit("/", 1)[1] for c in graph.objects(article, SCHEMA.spatialCoverage)
        }
        assert {r.target for r in reasons if r.kind == "topic"} == topics
        assert {r.target for r in reasons if r.kind == "country"} == countries


@pytest.mark.parametrize("needle", ['") } ; DROP ALL #', "<script>", "no such words here"])
def test_unmatched_or_hostile_input_exits_1(built: Path, needle: str) -> None:
    result = explain(needle, graph=built / "hikgraph.nt")
    assert result.returncode == 1
    assert result.stderr.startswith("hikgraph: error: no article matches")
    assert result.stdout == ""
