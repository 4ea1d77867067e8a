"""Linked-data pages at /id/…, /ontology, /dataset and the query page at /, in
process: content negotiation, links, 404s, and escaping of hostile data."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import urllib.parse
from pathlib import Path

import pytest
from rdflib import Graph, URIRef

from hikgraph.pages import script_json
from hikgraph.protocol import Request, Response
from hikgraph.server import App
from hikgraph.store import OxigraphStore

ID = "https://w3id.org/hikgraph/id/"
REUTERS = ID + "outlet/reuters"
ARTICLE = "2016-09-the-times-communist-state-funded-cctv-company-has-eyes-across-the-b21c51"


@pytest.fixture(scope="module")
def app(built: Path) -> App:
    return App(OxigraphStore.open(built), exports_dir=built)


def get(app: App, path: str, accept: str = "") -> Response:
    path, _, query_string = path.partition("?")
    return app.handle(Request("GET", path, query_string, {"accept": accept}))


def links(page: str) -> list[str]:
    return re.findall(r'href="([^"]*)"', page)


@pytest.mark.parametrize(
    ("accept", "content_type", "rdflib_format"),
    [
        ("text/turtle", "text/turtle; charset=utf-8", "turtle"),
        ("application/ld+json", "application/ld+json", "json-ld"),
        ("application/n-triples", "application/n-triples", "nt"),
        ("application/rdf+xml", "application/rdf+xml", "xml"),
    ],
)
def test_resource_as_rdf(app: App, accept: str, content_type: str, rdflib_format: str) -> None:
    response = get(app, "/id/outlet/reuters", accept)
    assert response.status == 200
    assert response.header("Content-Type") == content_type
    assert response.header("Vary") == "Accept"
    graph = Graph().parse(data=response.body, format=rdflib_format)
    reuters = URIRef(REUTERS)
    assert str(graph.value(reuters, URIRef("http://schema.org/name"))) == "Reuters"
    published = set(graph.subjects(URIRef("http://schema.org/publisher"), reuters))
    assert len(published) == 10  # ten entries name Reuters (counted in the source)


def test_resource_page_in_html(app: App) -> None:
    response = get(app, "/id/outlet/reuters", "text/html,*/*;q=0.8")
    assert response.status == 200
    assert response.header("Content-Type") == "text/html; charset=utf-8"
    page = response.body.decode("utf-8")
    assert "<h1>Reuters</h1>" in page
    hrefs = links(page)
    assert "/id/country/GB" in hrefs  # its neighbours, as local links
    assert sum(h.startswith("/id/article/") for h in hrefs) == 10  # what points here
    assert "Pointing here (10)" in page
    assert "/id/outlet/reuters?format=turtle" in hrefs
    assert not any(h.startswith(("https://cdn", "//")) for h in hrefs)


def test_article_page_shows_its_evidence_and_the_directory(app: App) -> None:
    page = get(app, f"/id/article/{ARTICLE}", "text/html").body.decode("utf-8")
    # "Communist State-Funded CCTV Company …": the guide's state-ties words, each a
    # link to its evidence resource, named by the sentence that explains it.
    evidence = [h for h in links(page) if h.startswith("/id/evidence/state-ties-term-")]
    assert {h.rsplit("-", 1)[0] for h in evidence} == {
        "/id/evidence/state-ties-term-communist-communist",
        "/id/evidence/state-ties-term-state-funded-state-funded",
    }
    assert "&#x27;Communist&#x27; by rule state-ties/term/communist" in page
    assert "/id/topic/state-ties" in links(page)
    assert "/id/outlet/the-times" in links(page)
    assert "/ontology#sourceLine" in links(page)  # our own terms link to the ontology page
    assert "Hikvision Global News Reports Directory" in page  # the directory, by its name


@pytest.mark.parametrize(
    "path",
    [
        "/id/outlet/no-such-outlet",
        "/id/country/XX",
        "/id/planet/earth",
        "/id/outlet/",
        "/id/outlet/a%3Eb",
        "/id/outlet/reuters/more",
        "/nothing-here",
    ],
)
def test_unknown_resources_are_404(app: App, path: str) -> None:
    for accept in ("text/html", "text/turtle"):
        assert get(app, path, accept).status == 404


def test_unacceptable_resource_type_is_406(app: App) -> None:
    assert get(app, "/id/outlet/reuters", "image/png").status == 406
    assert get(app, "/id/outlet/reuters?format=turtle", "image/png").status == 200


def test_ontology_and_dataset(app: App, built: Path) -> None:
    from hikgraph.paths import ontology_dir

    ontology = get(app, "/ontology", "text/turtle")
    assert ontology.body == (ontology_dir() / "hikgraph.ttl").read_bytes()
    page = get(app, "/ontology", "text/html").body.decode("utf-8")
    assert 'id="sourceLine"' in page  # so /ontology#sourceLine lands on the term
    dataset = get(app, "/dataset", "application/n-triples")
    graph = Graph().parse(data=dataset.body, format="nt")
    void = "http://rdfs.org/ns/void#"
    assert (URIRef("https://w3id.org/hikgraph/dataset"), None, URIRef(void + "Dataset")) in graph
    assert get(app, "/dataset", "text/turtle").body == (built / "void.ttl").read_bytes()


def test_dataset_404_without_exports(tmp_path: Path, built: Path) -> None:
    app = App(OxigraphStore.open(built), exports_dir=tmp_path)
    assert get(app, "/dataset").status == 404


def test_query_page(app: App) -> None:
    response = get(app, "/")
    assert response.status == 200
    page = response.body.decode("utf-8")
    assert '<form method="get" action="/">' in page
    assert "/?name=articles-per-outlet" in links(page)
    assert not re.search(r'(src|href)="(https?:)?//', page)  # nothing remote: works offline
    ran = get(app, "/?name=articles-per-outlet").body.decode("utf-8")
    assert "<th>?outlet</th>" in ran
    assert "/id/outlet/south-china-morning-post" in links(ran)
    assert "/sparql?query=" in ran  # download links


def test_query_page_reports_errors(app: App) -> None:
    response = get(app, "/?" + urllib.parse.urlencode({"query": "SELECT * { ?s ?p }"}))
    assert response.status == 400
    assert "syntax error at line 1" in response.body.decode("utf-8")
    refused = get(app, "/?" + urllib.parse.urlencode({"query": "LOAD <file:///etc/passwd>"}))
    assert refused.status == 400
    assert get(app, "/?name=no-such-query").status == 404


def test_content_security_policy_allows_only_the_inline_script(app: App) -> None:
    response = get(app, "/")
    page = response.body.decode("utf-8")
    script = re.findall(r"<script>(.*?)</script>", page, re.DOTALL)
    assert len(script) == 1
    digest = base64.b64encode(hashlib.sha256(script[0].encode()).digest()).decode()
    policy = response.header("Content-Security-Policy") or ""
    assert f"script-src 'sha256-{digest}'" in policy
    assert "default-src 'none'" in policy
    assert response.header("X-Content-Type-Options") == "nosniff"


def test_script_json_cannot_close_the_script() -> None:
    text = script_json({"q": "</script><script>alert(1)</script> & <!--"})
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == {"q": "</script><script>alert(1)</script> & <!--"}


HOSTILE = "</script><script>alert(1)</script><img src=x onerror=alert(2)>"


@pytest.fixture(scope="module")
def hostile_app(tmp_path_factory: pytest.TempPathFactory) -> App:
    exports = tmp_path_factory.mktemp("hostile")
    schema = "http://schema.org/"
    article, outlet = f"<{ID}article/evil>", f"<{ID}outlet/evil>"
    lines = [
        f"{article} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{schema}CreativeWork> .",
        f'{article} <{schema}headline> "{HOSTILE}"@en .',
        f"{article} <{schema}publisher> {outlet} .",
        f'{outlet} <{schema}name> "<b onmouseover=alert(3)>Evil & Co</b>" .',
        f"{outlet} <{schema}url> <javascript:alert(4)> .",
        f'{outlet} <{schema}alternateName> "x"^^<javascript:alert(5)> .',
    ]
    (exports / "hikgraph.nt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return App(OxigraphStore.open(exports), exports_dir=exports)


def _assert_inert(page: str) -> None:
    assert "<script>alert" not in page
    assert "<img" not in page and "<b " not in page
    assert not any(h.lower().startswith("javascript:") for h in links(page))


def test_hostile_data_is_escaped_on_resource_pages(hostile_app: App) -> None:
    article = get(hostile_app, "/id/article/evil", "text/html").body.decode("utf-8")
    _assert_inert(article)
    assert "&lt;/script&gt;&lt;script&gt;alert(1)" in article
    outlet = get(hostile_app, "/id/outlet/evil", "text/html").body.decode("utf-8")
    _assert_inert(outlet)
    assert "Evil &amp; Co" in outlet
    assert "javascript:alert(4)" in outlet  # shown as text, never as a link


def test_hostile_query_and_results_are_escaped_on_the_query_page(hostile_app: App) -> None:
    query = (
        "# </textarea><script>alert(6)</script>\n"
        'SELECT ?x ?h WHERE { BIND(IRI("javascript:alert(7)") AS ?x) '
        "OPTIONAL { ?a <http://schema.org/headline> ?h } }"
    )
    page = get(hostile_app, "/?" + urllib.parse.urlencode({"query": query})).body.decode("utf-8")
    _assert_inert(page)
    assert page.count("</textarea>") == 1
    assert "&lt;/textarea&gt;&lt;script&gt;alert(6)" in page


def test_evidence_page_names_its_rule_and_the_articles_it_explains(app: App) -> None:
    article = get(app, f"/id/article/{ARTICLE}", "text/html").body.decode("utf-8")
    (path,) = [h for h in links(article) if h.startswith("/id/evidence/state-ties-term-communist-")]
    response = get(app, path, "text/html")
    assert response.status == 200
    page = response.body.decode("utf-8")
    assert "<h1>&#x27;Communist&#x27; by rule state-ties/term/communist</h1>" in page
    assert "/id/topic/state-ties" in links(page)
    assert f"/id/article/{ARTICLE}" in links(page)  # pointing here
    turtle = get(app, path, "text/turtle").body.decode("utf-8")
    assert 'hik:matchedText "Communist"' in turtle
