"""The network page in a real browser: Debian's Chromium driven by Playwright.

Each page is opened from file:// with every request outside the file refused and
recorded, and every console error kept. Counts the page shows are compared with
counts a SPARQL query here takes from the graph, never with the page's own data.
A screenshot of the seed page is saved in test-output/ for people to look at.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from conftest import (
    HOSTILE_HEADLINE,
    HOSTILE_OUTLET,
    HOSTILE_OUTLET_2,
    HOSTILE_TITLE,
    ROOT,
    require_tool,
    sparql,
)

# No GPU, no sandbox (CI runs as root), and none of Chromium's own background
# traffic (updates, sync, field trials), so the only requests are the page's.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
OUTPUT = ROOT / "test-output"
REUTERS = "https://w3id.org/hikgraph/id/outlet/reuters"


def expected_counts(folder: Path, pattern: str = "") -> tuple[int, int]:
    """Nodes and edges of the outlet–topic network restricted by *pattern* (over
    ?e the entry, ?o its outlet, ?t its topic, ?m its month), from the graph."""
    pairs = sparql(
        folder,
        f"""SELECT DISTINCT ?o ?t WHERE {{
              ?e a schema:CreativeWork ; schema:publisher ?o ; schema:about ?t ;
                 schema:datePublished ?m . ?t a skos:Concept . {pattern} }}""",
    )
    outlets = sparql(
        folder,
        f"""SELECT DISTINCT ?o WHERE {{
              ?e a schema:CreativeWork ; schema:publisher ?o ; schema:datePublished ?m .
              OPTIONAL {{ ?e schema:about ?t }} {pattern} }}""",
    )
    topics = sparql(folder, "SELECT ?t WHERE { ?t a skos:Concept }")
    return len(outlets) + len(topics), len(pairs)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    chromium = require_tool("chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@dataclass
class Visit:
    """An open page and what it did: every request, the ones refused, console errors."""

    page: Any
    url: str
    requests: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def drawn(self) -> tuple[int, int]:
        """Nodes and edges vis-network is drawing (hidden ones excluded)."""
        nodes, edges = self.page.evaluate(
            "() => [hikgraph.network.body.nodeIndices.length,"
            " hikgraph.network.body.edgeIndices.length]"
        )
        return nodes, edges

    def shown(self) -> tuple[int, int]:
        """The counts the page prints for its reader."""
        counts = self.page.locator("#visible-counts")
        return int(counts.get_attribute("data-nodes")), int(counts.get_attribute("data-edges"))

    def assert_self_contained(self) -> None:
        assert self.refused == []
        assert set(self.requests) <= {self.url}, self.requests
        assert self.errors == []


def visit(browser: Any, path: Path, *, bypass_csp: bool = False, wait: bool = True) -> Visit:
    """Open *path* from file:// with requests outside it refused; wait until the
    network has stabilised when *wait*."""
    context = browser.new_context(viewport={"width": 1500, "height": 1000}, bypass_csp=bypass_csp)
    url = path.resolve().as_uri()
    page = context.new_page()
    seen = Visit(page=page, url=url)

    def guard(route: Any) -> None:
        if route.request.url == url:
            route.continue_()
        else:
            seen.refused.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    page.on("request", lambda request: seen.requests.append(request.url))
    page.on("console", lambda m: seen.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: seen.errors.append(str(error)))
    page.goto(url)
    if wait:
        page.wait_for_selector("body[data-state=stable]", state="attached", timeout=60_000)
    return seen


def node_point(visit: Visit, iri: str) -> tuple[float, float]:
    """Centre node *iri* in the view and return where it is on the page."""
    page = visit.page
    page.evaluate("(id) => hikgraph.network.focus(id, {scale: 1.6, animation: false})", iri)
    x, y = page.evaluate(
        """(id) => {
             const net = hikgraph.network, at = net.canvasToDOM(net.getPosition(id));
             const box = document.querySelector('#network canvas').getBoundingClientRect();
             return [box.left + at.x, box.top + at.y];
           }""",
        iri,
    )
    return x, y


def hover(visit: Visit, iri: str) -> str:
    """Move the mouse onto node *iri* and return its tooltip's text."""
    x, y = node_point(visit, iri)
    visit.page.mouse.move(1, 1)
    visit.page.mouse.move(x, y, steps=4)
    tooltip = visit.page.wait_for_selector("div.vis-tooltip", state="visible", timeout=10_000)
    return tooltip.inner_text()


@pytest.fixture(scope="module")
def seed_page(browser: Any, built: Path) -> Iterator[Visit]:
    seen = visit(browser, built / "network.html")
    yield seen
    seen.page.context.close()


def test_the_page_draws_the_graph(seed_page: Visit, built: Path) -> None:
    expected = expected_counts(built)
    assert seed_page.drawn() == expected
    assert seed_page.shown() == expected
    OUTPUT.mkdir(exist_ok=True)
    seed_page.page.screenshot(path=str(OUTPUT / "network.png"), full_page=True)
    seed_page.assert_self_contained()


def test_hovering_an_outlet_shows_its_facts(seed_page: Visit, built: Path) -> None:
    text = hover(seed_page, REUTERS)
    assert text.startswith("Reuters")
    assert "news agency" in text and "United Kingdom (GB)" in text
    (entries,) = sparql(
        built,
        f"SELECT (COUNT(?e) AS ?n) WHERE {{ ?e a schema:CreativeWork ; "
        f"schema:publisher <{REUTERS}> }}",
    )[0]
    assert f"{entries} entries" in text
    latest = sparql(
        built,
        f"""SELECT ?h WHERE {{ ?e a schema:CreativeWork ; schema:publisher <{REUTERS}> ;
              schema:headline ?h ; schema:datePublished ?m }} ORDER BY DESC(STR(?m)) LIMIT 1""",
    )[0][0]
    assert latest in text
    seed_page.assert_self_contained()


def test_hovering_a_topic_shows_its_definition(seed_page: Visit, built: Path) -> None:
    topic = "https://w3id.org/hikgraph/id/topic/sanctions"
    label, definition = sparql(
        built, f"SELECT ?l ?d WHERE {{ <{topic}> skos:prefLabel ?l ; skos:definition ?d }}"
    )[0]
    text = hover(seed_page, topic)
    assert text.startswith(label) and definition in text


@pytest.mark.parametrize(
    ("control", "value", "pattern"),
    [
        (
            "#filter-topic",
            "press-freedom",
            "FILTER(?t = <https://w3id.org/hikgraph/id/topic/press-freedom>)",
        ),
        ("#filter-country", "GB", "?o schema:location/schema:identifier 'GB' ."),
        ("#year-from", "2021", "FILTER(STR(?m) >= '2021')"),
    ],
)
def test_a_filter_shows_what_the_graph_says(
    seed_page: Visit, built: Path, control: str, value: str, pattern: str
) -> None:
    page = seed_page.page
    before = seed_page.drawn()
    page.select_option(control, value)
    nodes, edges = expected_counts(built, pattern)
    if control == "#filter-topic":
        # One topic is shown, and only the outlets that covered it.
        nodes = nodes - 11 + 1
    after = seed_page.drawn()
    assert after == (nodes, edges)
    assert after != before
    assert seed_page.shown() == after
    page.click("#reset")
    assert seed_page.drawn() == before
    seed_page.assert_self_contained()


def test_search_selects_and_describes(seed_page: Visit) -> None:
    page = seed_page.page
    page.fill("#search", "reuters")
    page.press("#search", "Enter")
    assert page.evaluate("() => hikgraph.network.getSelectedNodes()") == [REUTERS]
    assert page.inner_text("#details").splitlines()[1] == "Reuters"
    page.select_option("#colour-by", "community")
    assert "no community" in page.inner_text("#legend")
    seed_page.assert_self_contained()


def test_the_timeline_and_analytics_are_on_the_page(seed_page: Visit) -> None:
    page = seed_page.page
    width = page.evaluate("() => document.getElementById('timeline-image').naturalWidth")
    assert width > 0  # the data: URI decoded into a picture
    analytics = page.inner_text("#analytics")
    assert "Outlets by weighted degree" in analytics and "Communities" in analytics


def test_the_layers_page_draws_the_graph(browser: Any, built: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "hikgraph",
            "viz",
            "--graph",
            str(built / "hikgraph.nt"),
            "--out",
            str(tmp_path),
            "--include",
            "countries",
            "--include",
            "articles",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    entry = "?e a schema:CreativeWork"
    (counts,) = sparql(
        built,
        f"""SELECT
              (COUNT(DISTINCT ?e) AS ?entries)
              (SUM(IF(BOUND(?o), 1, 0)) AS ?published) WHERE {{
              {entry} OPTIONAL {{ ?e schema:publisher ?o }} }}""",
    )
    outlets = sparql(built, f"SELECT DISTINCT ?o WHERE {{ {entry} ; schema:publisher ?o }}")
    countries = sparql(
        built,
        f"SELECT DISTINCT ?c WHERE {{ {entry} ; schema:publisher/schema:location ?c }}",
    )
    located = sparql(
        built,
        f"SELECT DISTINCT ?o WHERE {{ {entry} ; schema:publisher ?o . ?o schema:location ?c }}",
    )
    about = sparql(built, f"SELECT ?e ?t WHERE {{ {entry} ; schema:about ?t . ?t a skos:Concept }}")
    nodes = int(counts[0]) + len(outlets) + 11 + len(countries)
    edges = int(counts[1]) + len(about) + len(located)
    seen = visit(browser, tmp_path / "network.html")
    try:
        assert seen.drawn() == (nodes, edges)
        seen.page.select_option("#filter-topic", "lobbying")
        assert seen.drawn()[0] < nodes
        seen.assert_self_contained()
    finally:
        seen.page.context.close()


def test_the_request_guard_sees_a_request_leaving_the_file(browser: Any, tmp_path: Path) -> None:
    """The guard the other tests rely on does catch a request: a page that asks for
    something outside its file (on the loopback, and refused before it is sent)."""
    probe = tmp_path / "probe.html"
    probe.write_text('<img src="http://127.0.0.1:9/probe.png">', encoding="utf-8")
    seen = visit(browser, probe, wait=False)
    try:
        seen.page.wait_for_load_state("load")
        assert seen.refused == ["http://127.0.0.1:9/probe.png"]
    finally:
        seen.page.context.close()


@pytest.mark.parametrize("bypass_csp", [False, True], ids=["as-shipped", "without-csp"])
def test_hostile_names_and_headlines_stay_text(
    browser: Any, hostile_built: Path, bypass_csp: bool
) -> None:
    """Markup and script in the directory's title, an outlet's name and headlines are
    shown as text and never run: hovered, clicked, searched and filtered, with the
    page's Content-Security-Policy and, to prove the escaping on its own, without."""
    seen = visit(browser, hostile_built / "network.html", bypass_csp=bypass_csp)
    page = seen.page
    try:
        title = page.title()
        assert title == f"Who covered what: {HOSTILE_TITLE}"
        assert page.inner_text("#heading") == HOSTILE_TITLE
        hostile = {
            name: iri
            for iri, name in sparql(hostile_built, "SELECT ?o ?n WHERE { ?o schema:name ?n }")
            if name in (HOSTILE_OUTLET, HOSTILE_OUTLET_2)
        }
        assert len(hostile) == 2
        text = hover(seen, hostile[HOSTILE_OUTLET])
        assert text.splitlines()[0] == HOSTILE_OUTLET
        assert HOSTILE_HEADLINE in text
        page.mouse.click(*node_point(seen, hostile[HOSTILE_OUTLET]))
        assert HOSTILE_OUTLET in page.inner_text("#details")
        text = hover(seen, hostile[HOSTILE_OUTLET_2])
        assert text.splitlines()[0] == HOSTILE_OUTLET_2
        page.fill("#search", HOSTILE_OUTLET_2)
        page.press("#search", "Enter")
        assert page.evaluate("() => hikgraph.network.getSelectedNodes()") == [
            hostile[HOSTILE_OUTLET_2]
        ]
        page.select_option("#filter-topic", "sanctions")
        page.select_option("#colour-by", "country")
        options = page.eval_on_selector_all("#node-names option", "els => els.map(e => e.value)")
        assert HOSTILE_OUTLET in options and HOSTILE_OUTLET_2 in options
        # Nothing ran: no flag, the title as written, no element the payloads carry.
        assert page.evaluate("() => window.__pwned") is None
        assert page.title() == title
        assert page.locator("body img:not(#timeline-image), body b, body a").count() == 0
        seen.assert_self_contained()
    finally:
        page.context.close()
