"""`hikgraph publish`: the static site, checked as the web would check it.

Every page is validated by the Nu Html Checker (vnu.jar, from npm); every JSON-LD
file and embedded block is expanded by jsonld.js and compared with the graph; the
whole site is crawled from its landing page over `python -m http.server`, with
relative links and with absolute ones; hostile headlines and names are checked in
the pages, the blocks and a real browser. Content negotiation runs in Apache and
nginx in tests/test_publish_servers.py.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pyoxigraph import BlankNode, Literal, NamedNode, RdfFormat, Triple, parse, serialize
from rdflib import Graph
from rdflib.compare import isomorphic

from hikgraph.model import BASE, DATASET, HIK, ID
from hikgraph.protocol import Request
from hikgraph.publish import PublishError, publish
from hikgraph.publish_site import GraphIndex, resource_folder
from hikgraph.server import App
from hikgraph.store import OxigraphStore
from publish_helpers import (
    VNU_JAR,
    file_triples,
    jsonld_to_triples,
    read_page,
    static_server,
)

from conftest import (
    HOSTILE_HEADLINE,
    HOSTILE_HEADLINE_2,
    HOSTILE_OUTLET,
    HOSTILE_OUTLET_2,
    ROOT,
    require_tool,
)

SCHEMA = "http://schema.org/"
ARTICLE = (
    ID + "article/2016-09-the-times-communist-state-funded-cctv-company-has-eyes-across-the-b21c51"
)
FORMATS = {"ttl": RdfFormat.TURTLE, "nt": RdfFormat.N_TRIPLES}
XSD = "http://www.w3.org/2001/XMLSchema#"
DERIVED_INTEGERS = {
    XSD + name
    for name in ("positiveInteger", "nonNegativeInteger", "negativeInteger", "nonPositiveInteger")
}


@pytest.fixture(scope="module")
def graph(built: Path) -> set[Triple]:
    return file_triples(built / "hikgraph.nt", RdfFormat.N_TRIPLES)


@pytest.fixture(scope="module")
def resource_count(graph: set[Triple]) -> int:
    """The resources with a page: 324 besides the evidence (184 entries, 83 outlets,
    the countries, topics, reports, directory and source), plus one per evidence
    resource the graph describes."""
    evidence = {
        t.subject
        for t in graph
        if t.predicate.value.endswith("#type")
        and t.object.value in (HIK + "TopicEvidence", HIK + "CountryEvidence")
    }
    return 324 + len(evidence)


@pytest.fixture(scope="module")
def published(site: Path, graph: set[Triple]) -> set[Triple]:
    """Everything the site publishes as RDF: the graph and the dataset description."""
    return graph | file_triples(site / "dataset" / "index.nt", RdfFormat.N_TRIPLES)


def test_the_dataset_description_is_void_and_its_schema_org_reading(
    site: Path, built: Path
) -> None:
    description = file_triples(site / "dataset" / "index.nt", RdfFormat.N_TRIPLES)
    void = file_triples(built / "void.ttl", RdfFormat.TURTLE)
    assert void <= description
    added = {t.predicate.value for t in description - void}
    assert added <= {SCHEMA + n for n in (
        "name", "description", "license", "publisher", "datePublished", "dateModified",
        "isBasedOn", "keywords", "distribution", "url", "temporalCoverage", "contentUrl",
        "encodingFormat", "contentSize",
    )} | {"http://www.w3.org/1999/02/22-rdf-syntax-ns#type"}  # fmt: skip
    assert (site / "void.ttl").read_bytes() == (built / "void.ttl").read_bytes()


@pytest.fixture(scope="module")
def served(built: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A static server over a folder holding the site twice: ``rel/`` (relative
    links) and ``abs/`` (absolute links for the server's own URL)."""
    root = tmp_path_factory.mktemp("served")
    with static_server(root, root.parent / "http-server.log") as url:
        publish(built, root / "rel")
        publish(built, root / "abs", url + "abs/")
        yield url, root


@pytest.fixture(scope="module")
def site(served: tuple[str, Path]) -> Path:
    return served[1] / "rel"


@pytest.fixture(scope="module")
def hostile_site(hostile_built: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("hostile-site") / "site"
    publish(hostile_built, out)
    return out


def html_pages(folder: Path) -> list[Path]:
    """The pages publish renders (network.html is copied from the exports)."""
    return sorted(p for p in folder.rglob("*.html") if p.name != "network.html")


# --- every resource, every format ------------------------------------------------------


def test_every_resource_in_the_graph_has_a_page_in_every_format(
    site: Path, graph: set[Triple], resource_count: int
) -> None:
    iris = {t.value for triple in graph for t in (triple.subject, triple.object)}
    iris = {i for i in iris if isinstance(i, str) and i.startswith(BASE)}
    resources = {i.partition("#")[0] for i in iris if i.startswith(ID)}
    assert len(resources) == resource_count
    for iri in resources:
        folder = resource_folder(iri)
        assert folder is not None, iri
        for name in ("index.html", "index.ttl", "index.jsonld", "index.nt"):
            assert (site / folder / name).is_file(), (iri, name)
    # Each #part has its anchor on its resource's page; each rule of the topic scheme
    # and each ontology term the graph uses, on the ontology's pages.
    ids: dict[Path, set[str]] = {}

    def anchors(path: Path) -> set[str]:
        if path not in ids:
            ids[path] = read_page(path.read_text(encoding="utf-8")).ids
        return ids[path]

    terms = {t.predicate.value for t in graph} | {
        t.object.value for t in graph if t.predicate.value.endswith("#type")
    }
    for iri in sorted(iris | {t for t in terms if t.startswith(HIK)}):
        resource, _, fragment = iri.partition("#")
        if not fragment:
            continue
        if resource.startswith(ID):
            page = site / str(resource_folder(resource)) / "index.html"
        elif resource == BASE + "ontology/topics":
            page = site / "ontology" / "topics" / "index.html"
        else:
            assert resource + "#" == HIK, iri
            page = site / "ontology" / "index.html"
        assert fragment in anchors(page), iri


def integers_as_integer(triples: set[Triple]) -> set[Triple]:
    """*triples* with xsd:integer's derived types (positiveInteger, …) as xsd:integer:
    Oxigraph's store keeps only the value (oxigraph/oxigraph#526), so the server
    answers ``"489"^^xsd:integer`` where the graph says ``xsd:positiveInteger``."""
    out = set()
    for triple in triples:
        obj = triple.object
        if isinstance(obj, Literal) and obj.datatype.value in DERIVED_INTEGERS:
            obj = Literal(obj.value, datatype=NamedNode(XSD + "integer"))
        out.add(Triple(triple.subject, triple.predicate, obj))
    return out


def test_resource_files_hold_what_the_server_answers(
    site: Path, built: Path, graph: set[Triple], resource_count: int
) -> None:
    """The static files and `hikgraph serve` describe each resource alike (one
    meaning of "a resource's description"), and the files keep the graph's exact
    terms."""
    app = App(OxigraphStore.open(built), exports_dir=built)
    folders = sorted((site / "id").glob("*/*"))
    assert len(folders) == resource_count
    for folder in folders:
        path = "/" + folder.relative_to(site).as_posix()
        response = app.handle(Request("GET", path, "", {"accept": "application/n-triples"}))
        assert response.status == 200, path
        from_server = {
            Triple(q.subject, q.predicate, q.object)
            for q in parse(response.body, RdfFormat.N_TRIPLES)
        }
        for extension, rdf_format in FORMATS.items():
            triples = file_triples(folder / f"index.{extension}", rdf_format)
            assert triples <= graph, (path, extension)
            assert integers_as_integer(triples) == integers_as_integer(from_server), (
                path,
                extension,
            )


def test_jsonld_files_expand_to_the_same_triples(site: Path) -> None:
    files = [
        *sorted(site.glob("id/*/*/index.jsonld")),
        site / "dataset" / "index.jsonld",
        *sorted((site / "ontology").glob("*.jsonld")),
    ]
    expanded = jsonld_to_triples([{"name": str(f), "file": str(f)} for f in files])
    for path in files:
        document = json.loads(path.read_text(encoding="utf-8"))
        assert isinstance(document["@context"], str)
        assert not document["@context"].startswith(("http:", "https:"))  # no remote context
        nt = file_triples(path.with_suffix(".nt"), RdfFormat.N_TRIPLES)
        assert expanded[str(path)], path
        if any(isinstance(t.subject, BlankNode) for t in nt):
            # jsonld.js names blank nodes its own way: compare the graphs' shapes.
            assert isomorphic(rdflib_graph(expanded[str(path)]), rdflib_graph(nt)), path
        else:
            assert expanded[str(path)] == nt, path


def test_ontology_files_are_the_reference_files(site: Path) -> None:
    for name in ("hikgraph", "topics", "shapes"):
        copied = (site / "ontology" / f"{name}.ttl").read_bytes()
        assert copied == (ROOT / "ontology" / f"{name}.ttl").read_bytes()
        ttl = file_triples(site / "ontology" / f"{name}.ttl", RdfFormat.TURTLE)
        nt = file_triples(site / "ontology" / f"{name}.nt", RdfFormat.N_TRIPLES)
        assert len(ttl) == len(nt)  # blank nodes are renamed, so compare counts


# --- JSON-LD blocks --------------------------------------------------------------------


def rdflib_graph(triples: set[Triple]) -> Graph:
    data = serialize(list(triples), format=RdfFormat.N_TRIPLES)
    assert data is not None
    return Graph().parse(data=data, format="nt")


def blocks_of(folder: Path) -> dict[str, Any]:
    """Every embedded JSON-LD block of the pages under *folder*, by page."""
    blocks = {}
    for path in html_pages(folder):
        page = read_page(path.read_text(encoding="utf-8"))
        assert len(page.blocks) <= 1, path
        if page.blocks:
            blocks[str(path)] = json.loads(page.blocks[0])
    return blocks


def test_every_block_expands_to_triples_of_the_graph(site: Path, published: set[Triple]) -> None:
    blocks = blocks_of(site)
    resource_pages = sorted(site.glob("id/*/*/index.html"))
    assert {str(p) for p in resource_pages} <= set(blocks)
    expanded = jsonld_to_triples(
        [
            {"name": name, "document": block, "base": Path(name).as_uri()}
            for name, block in blocks.items()
        ]
    )
    for name, triples in expanded.items():
        assert triples, name
        assert triples <= published, (name, triples - published)


def test_an_article_block_is_a_news_article_with_headline_date_and_named_publisher(
    site: Path,
) -> None:
    page = site / str(resource_folder(ARTICLE)) / "index.html"
    block = json.loads(read_page(page.read_text(encoding="utf-8")).blocks[0])
    assert block["@context"]["@vocab"] == SCHEMA
    assert block["@id"] == ARTICLE
    assert "NewsArticle" in block["@type"]
    assert (
        block["headline"]["@value"]
        == "Communist State Funded CCTV company Has Eyes Across The Globe"
    )
    assert block["datePublished"]["@value"] == "2016-09"
    publisher = block["publisher"]
    assert publisher["@id"] == ID + "outlet/the-times"
    assert "NewsMediaOrganization" in publisher["@type"]
    assert publisher["name"] == "The Times"


def test_a_block_names_at_most_a_hundred_links_of_one_property(site: Path) -> None:
    folder = site / "id" / "directory" / "hikvision-global-news-reports-directory"
    block = json.loads(read_page((folder / "index.html").read_text(encoding="utf-8")).blocks[0])
    parts = block["hasPart"]
    assert len(parts) == 184
    assert sum(isinstance(part, dict) for part in parts) == 100  # with type and headline
    assert block["@context"]["hasPart"] == {"@type": "@id"}  # the rest: IRIs


def test_landing_page_has_a_dataset_block_for_dataset_search(site: Path) -> None:
    page = read_page((site / "index.html").read_text(encoding="utf-8"))
    (text,) = page.blocks
    block = json.loads(text)
    assert block["@id"] == DATASET
    assert "Dataset" in block["@type"]
    assert block["name"]["@value"].startswith("hikgraph: ")
    assert "184 entries" in block["description"]["@value"]
    assert block["license"] == "https://creativecommons.org/licenses/by/4.0/"
    assert block["publisher"]["name"] == "IPVM"
    assert block["temporalCoverage"] == "2016-09/2022-05"  # the first and last entries' months
    distributions = block["distribution"]
    assert {d["encodingFormat"] for d in distributions} == {
        "text/turtle",
        "application/n-triples",
        "application/ld+json",
    }
    for distribution in distributions:
        assert "DataDownload" in distribution["@type"]
        name = distribution["contentUrl"].rsplit("/", 1)[1]
        assert distribution["contentUrl"] == BASE + name
        content = (site / name).read_bytes()
        assert distribution["contentSize"] == f"{len(content)} B"
        assert distribution["sha256"] == hashlib.sha256(content).hexdigest()


def test_landing_page_lists_every_download_with_size_and_checksum(site: Path) -> None:
    html = (site / "index.html").read_text(encoding="utf-8")
    page = read_page(html)
    downloads = [v for tag, _, v in page.links if tag == "a" and "." in v and "/" not in v]
    downloads += [
        v
        for tag, _, v in page.links
        if tag == "a" and v.startswith("ontology/") and v.endswith(".ttl")
    ]
    for name in (
        "hikgraph.ttl",
        "hikgraph.nt",
        "hikgraph.jsonld",
        "context.jsonld",
        "void.ttl",
        "network.graphml",
        "network.gexf",
        "network-metrics.json",
        "ontology/hikgraph.ttl",
    ):
        assert name in downloads, name
        content = (site / name).read_bytes()
        assert hashlib.sha256(content).hexdigest() in html, name
        assert f'title="{len(content):,} bytes"' in html, name
    assert "network.html" in downloads
    assert ("img", "src", "timeline.svg") in page.links


# --- valid HTML ------------------------------------------------------------------------


def test_every_page_is_valid_html(site: Path, hostile_site: Path) -> None:
    """The Nu Html Checker (vnu.jar, the W3C's validator) finds no error in any page
    publish writes, including those full of hostile text."""
    java = require_tool("java")
    if not VNU_JAR.is_file():
        pytest.fail("vnu.jar is not installed: run `npm ci --prefix tests/js` (.ci/run does)")
    pages = html_pages(site) + html_pages(hostile_site)
    assert len(pages) > 600
    result = subprocess.run(
        [java, "-jar", str(VNU_JAR), "--errors-only", "--format", "json", *map(str, pages)],
        capture_output=True,
        text=True,
    )
    messages = json.loads(result.stderr or result.stdout)["messages"]
    assert messages == []
    assert result.returncode == 0


# --- crawling the site -----------------------------------------------------------------


def crawl(start: str, scope: str) -> tuple[dict[str, bytes], list[tuple[str, str, str]]]:
    """Fetch *start* and every page and file it links to under *scope*, following
    links from each HTML page; return URL → body, and every (page, link, fragment).

    Fails on any link under *scope* that does not answer 200."""
    bodies: dict[str, bytes] = {}
    links: list[tuple[str, str, str]] = []
    queue = [start]
    while queue:
        url = queue.pop()
        if url in bodies:
            continue
        try:
            with urllib.request.urlopen(url, timeout=30) as response:
                bodies[url] = response.read()
                content_type = response.headers.get("Content-Type", "")
        except urllib.error.HTTPError as error:
            pytest.fail(
                f"{url}: {error.code}, linked from {[p for p, u, _ in links if u == url][:3]}"
            )
        if not content_type.startswith("text/html") or url.endswith("network.html"):
            continue
        for _, _, value in read_page(bodies[url].decode("utf-8")).links:
            target, fragment = urllib.parse.urldefrag(urllib.parse.urljoin(url, value))
            if target.startswith(scope.split("/", 3)[0] + "//" + scope.split("/", 3)[2]):
                assert target.startswith(scope), (url, value)
                links.append((url, target, fragment))
                queue.append(target)
    return bodies, links


def check_fragments(bodies: dict[str, bytes], links: list[tuple[str, str, str]]) -> None:
    ids: dict[str, set[str]] = {}
    for page, target, fragment in links:
        if fragment:
            if target not in ids:
                ids[target] = read_page(bodies[target].decode("utf-8")).ids
            assert fragment in ids[target], (page, target, fragment)


def test_crawl_with_relative_links_reaches_every_file(served: tuple[str, Path]) -> None:
    url, root = served
    scope = url + "rel/"
    bodies, links = crawl(scope + "index.html", scope)
    check_fragments(bodies, links)
    site = root / "rel"
    reached = {u[len(scope) :] for u in bodies}
    for folder in (site / "id").glob("*/*"):
        base = folder.relative_to(site).as_posix()
        assert {f"{base}/index.{ext}" for ext in ("html", "ttl", "jsonld", "nt")} <= reached
    for name in ("hikgraph.nt", "void.ttl", "ontology/shapes/index.html", "dataset/index.html"):
        assert name in reached
    # Relative links name files, so the site browses from disk (file://) too.
    for page, target, _ in links:
        assert not target.endswith("/"), (page, target)


def test_crawl_with_absolute_links_and_the_sitemap(served: tuple[str, Path]) -> None:
    url, root = served
    scope = url + "abs/"
    bodies, links = crawl(scope, scope)
    check_fragments(bodies, links)
    site = root / "abs"
    for path in html_pages(site):
        for tag, _, value in read_page(path.read_text(encoding="utf-8")).links:
            assert value.startswith(("http://", "https://")), (path, tag, value)
    sitemap = ET.fromstring((site / "sitemap.xml").read_bytes())
    namespace = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
    locations = {loc.text for loc in sitemap.iter(namespace + "loc")}
    pages = {u for u in bodies if u.endswith("/") or u.endswith(".html")}
    assert locations == pages
    robots = (site / "robots.txt").read_text(encoding="utf-8")
    assert f"Sitemap: {scope}sitemap.xml" in robots.splitlines()


# --- untrusted text --------------------------------------------------------------------


def test_hostile_text_is_escaped_in_pages_blocks_and_files(hostile_site: Path) -> None:
    hostile = [HOSTILE_HEADLINE, HOSTILE_HEADLINE_2, HOSTILE_OUTLET, HOSTILE_OUTLET_2]
    seen = {text: 0 for text in hostile}
    for path in html_pages(hostile_site):
        html = path.read_text(encoding="utf-8")
        page = read_page(html)
        # No markup came through: the only scripts are JSON-LD blocks, no element has
        # an event handler, and every link is a site path or an http(s) URL.
        for tag, attributes in page.tags:
            assert tag != "img" or "onerror" not in attributes, path
            assert not any(name.startswith("on") for name in attributes), (path, tag)
            if tag == "script":
                assert attributes.get("type") == "application/ld+json", path
        for _, _, value in page.links:
            assert not value.lower().startswith("javascript:"), path
        for block in page.blocks:
            assert "<" not in block and ">" not in block, path
            text = json.dumps(json.loads(block), ensure_ascii=False)
            for item in hostile:
                if json.dumps(item, ensure_ascii=False)[1:-1] in text:
                    seen[item] += 1
        for item in hostile:
            assert item not in html, (path, item)  # only ever escaped
    assert all(seen.values()), seen  # …and each reached a block intact


def test_hostile_headline_is_intact_in_the_rdf_files(hostile_site: Path) -> None:
    found = set()
    for path in hostile_site.glob("id/article/*/index.ttl"):
        for triple in file_triples(path, RdfFormat.TURTLE):
            if triple.predicate.value == SCHEMA + "headline":
                found.add(triple.object.value)
    assert HOSTILE_HEADLINE in {h.split(": ", 1)[-1] for h in found} | found


def test_hostile_pages_in_a_browser(hostile_site: Path) -> None:
    """Chromium, with the pages' CSP switched off so a breakout would run, loads the
    article and outlet pages: nothing runs, the title and the block hold the text."""
    from playwright.sync_api import sync_playwright

    chromium = require_tool("chromium")
    # The pages named by hostile text (articles, outlets, the directory), and one
    # that only links to them.
    pages = [
        path
        for path in sorted(hostile_site.glob("id/*/*/index.html"))
        if "pwned" in read_page(path.read_text(encoding="utf-8")).title
    ]
    assert len(pages) >= 5
    pages.append(hostile_site / "id" / "topic" / "sanctions" / "index.html")
    args = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=args)
        context = browser.new_context(bypass_csp=True)
        context.route(
            "**/*",
            lambda route: (
                route.continue_() if route.request.url.startswith("file:") else route.abort()
            ),
        )
        for path in pages:
            page = context.new_page()
            page.goto(path.as_uri())
            state = page.evaluate(
                """() => ({
                    pwned: window.__pwned === undefined ? null : String(window.__pwned),
                    title: document.title,
                    scripts: [...document.scripts].map(s => s.type),
                    block: JSON.parse(
                        document.querySelector('script[type="application/ld+json"]').textContent),
                    h1: document.querySelector('h1').textContent,
                })"""
            )
            assert state["pwned"] is None, path
            assert state["title"] != "pwned"
            assert state["scripts"] == ["application/ld+json"], path
            assert state["title"] == state["h1"] + " · hikgraph"
            headline = state["block"].get("headline", {})
            if isinstance(headline, dict) and "pwned" in headline.get("@value", ""):
                assert headline["@value"] in (HOSTILE_HEADLINE, HOSTILE_HEADLINE_2)
                assert state["h1"] == headline["@value"]
            page.close()
        browser.close()


# --- determinism, safety, the command ---------------------------------------------------


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def run_cli(*args: str, seed: str = "0") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hikgraph", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONHASHSEED": seed},
    )


def test_same_bytes_every_time_and_rerun_replaces_the_site(
    built: Path, tmp_path: Path, resource_count: int
) -> None:
    first = run_cli("publish", "--exports", str(built), "--out", str(tmp_path / "a"), seed="1")
    assert first.returncode == 0, first.stderr
    assert f"published {resource_count} resources" in first.stderr
    second = run_cli("publish", "--exports", str(built), "--out", str(tmp_path / "b"), seed="2")
    assert second.returncode == 0, second.stderr
    assert snapshot(tmp_path / "a") == snapshot(tmp_path / "b")
    # A rerun into its own folder replaces it whole: a stray file is gone.
    (tmp_path / "a" / "stray.txt").write_text("old", encoding="utf-8")
    again = run_cli("publish", "--exports", str(built), "--out", str(tmp_path / "a"), "-q")
    assert again.returncode == 0 and again.stderr == ""
    assert snapshot(tmp_path / "a") == snapshot(tmp_path / "b")
    assert oct((tmp_path / "a").stat().st_mode & 0o777) != oct(0o700)


def test_a_folder_publish_did_not_write_is_never_replaced(built: Path, tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("precious", encoding="utf-8")
    result = run_cli("publish", "--exports", str(built), "--out", str(mine))
    assert result.returncode == 1
    assert result.stderr.startswith("hikgraph: error: ") and "not written by" in result.stderr
    assert [p.name for p in mine.iterdir()] == ["thesis.tex"]
    with pytest.raises(PublishError, match="would replace the exports"):
        publish(built, built)
    with pytest.raises(PublishError, match="would replace the exports"):
        publish(built, built.parent)


def test_missing_exports_and_a_bad_base_url(tmp_path: Path) -> None:
    result = run_cli("publish", "--exports", str(tmp_path), "--out", str(tmp_path / "site"))
    assert result.returncode == 1
    assert "run `hikgraph build` first" in result.stderr
    assert not (tmp_path / "site").exists()
    for bad in (
        "ftp://example.org/",
        "https://example.org/a b/",
        'https://e.org/"x',
        "example.org",
    ):
        result = run_cli("publish", "--exports", str(tmp_path), "--base-url", bad)
        assert result.returncode == 2, bad
        assert "--base-url" in result.stderr


def test_exports_without_the_network_files_still_publish(built: Path, tmp_path: Path) -> None:
    exports = tmp_path / "exports"
    exports.mkdir()
    for name in ("hikgraph.ttl", "hikgraph.nt", "hikgraph.jsonld", "context.jsonld", "void.ttl"):
        (exports / name).write_bytes((built / name).read_bytes())
    result = publish(exports, tmp_path / "site")
    assert "network.html" in result.missing and "timeline.svg" in result.missing
    landing = read_page((tmp_path / "site" / "index.html").read_text(encoding="utf-8"))
    targets = {value for _, _, value in landing.links}
    assert not any(t.startswith(("network", "timeline")) for t in targets)
    assert "hikgraph.nt" in targets


def test_base_url_writes_the_w3id_redirect(site: Path, served: tuple[str, Path]) -> None:
    url, root = served
    assert not (site / "w3id.org").exists()  # it needs to know where the site is
    rules = (root / "abs" / "w3id.org" / "hikgraph" / ".htaccess").read_text(encoding="utf-8")
    assert f"RewriteRule ^(.*)$ {url}abs/$1 [R=302,L]" in rules
    assert f"{url}abs/$1/index.ttl [R=303,L,E=HIKGRAPH_NEGOTIATED:1]" in rules


def test_a_resource_known_only_as_an_object_still_gets_a_page() -> None:
    """IRIs in the id/ space get a page even when the graph only points at them, so
    no link on the site is dead; IRIs that could not be a folder get none."""
    article, outlet = NamedNode(ID + "article/2020-01-x"), NamedNode(ID + "outlet/nowhere")
    odd = NamedNode(ID + "outlet/..%2F..%2Fetc")
    index = GraphIndex(
        [
            Triple(article, NamedNode(SCHEMA + "publisher"), outlet),
            Triple(article, NamedNode(SCHEMA + "about"), odd),
        ]
    )
    assert index.resources == [article.value, outlet.value]
    assert index.describe(outlet.value) == [
        Triple(article, NamedNode(SCHEMA + "publisher"), outlet)
    ]
    assert resource_folder(ID + "outlet/../../etc") is None
    assert resource_folder(ID + "outlet/.hidden") is None
    assert resource_folder(ID + "elsewhere/x") is None
    assert resource_folder(ID + "country/GB") == "id/country/GB/"
