"""The ontology's documentation on the static site: ``ontology/`` (classes and
properties, with an overview of the topic scheme and the shapes), ``ontology/topics/``
(the concepts and each recognition rule at its IRI's fragment) and
``ontology/shapes/`` (every SHACL constraint).

Pages go through :mod:`hikgraph.pages`, the server's renderer. pyLODE was tried and
not used: its last release for Python 3.11 (3.4.1) fails to import, 3.3.4 documents
the OWL file offline but shows neither the SKOS concepts nor the shapes, and later
releases need Python 3.12.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

from pyoxigraph import BlankNode, Literal, NamedNode, Triple

from hikgraph.linkeddata import labels_in
from hikgraph.model import BASE, DCTERMS, HIK, ID, OWL, RDF, RDFS, SKOS
from hikgraph.pages import Href, layout, render_document, term_html
from hikgraph.publish_docs import (
    ALTERNATES,
    first_value,
    formats_line,
    page_head,
    triples_about,
)
from hikgraph.publish_site import SiteLinks

SH = "http://www.w3.org/ns/shacl#"
_TYPE = RDF + "type"
_SHAPES = BASE + "shapes#"


def ontology_page(
    ontology: Sequence[Triple],
    topics: Sequence[Triple],
    shapes: Sequence[Triple],
    links: SiteLinks,
) -> str:
    """Return ``ontology/index.html``: the ontology's classes and properties, with an
    overview of the topic scheme and the shapes that link to their own pages."""
    page = "ontology/index.html"
    href = links.href(page)
    iri = HIK.rstrip("#")
    header = [t for t in ontology if t.subject == NamedNode(iri)]
    labels = {**labels_in(ontology), **labels_in(topics), **labels_in(shapes)}
    paths = {ext: f"ontology/hikgraph.{ext}" for ext in ALTERNATES}
    files = " · ".join(
        f'<a href="{escape(links.url(f"ontology/{name}.ttl", page))}">{name}.ttl</a>'
        for name in ("hikgraph", "topics", "shapes")
    )
    concept = NamedNode(SKOS + "Concept")
    concepts = sorted(
        {
            t.subject.value
            for t in topics
            if t.object == concept and isinstance(t.subject, NamedNode)
        }
    )
    topic_rows = "".join(
        f"<tr><td>{term_html(NamedNode(c), labels, href)}</td>"
        f"<td>{escape(first_value(triples_about(topics, c), SKOS + 'definition'))}</td></tr>"
        for c in concepts
    )
    shape_rows = "".join(
        f"<tr><td>{term_html(NamedNode(s), labels, href)}</td>"
        f"<td>{escape(first_value(triples_about(shapes, s), RDFS + 'comment'))}</td></tr>"
        for s in _node_shapes(shapes)
    )
    version = first_value(header, OWL + "versionInfo")
    licence = term_html(NamedNode(first_value(header, DCTERMS + "license")), labels, href)
    preface = "\n".join(
        [
            f'<p class="meta">Version {escape(version)} · licence {licence}'
            f" · preferred prefix <code>hik:</code> = <code>{escape(HIK)}</code></p>",
            formats_line(links, page, paths),
            f'<p class="meta">Source files: {files}</p>',
            f'<h2>The topic scheme (<a href="{escape(links.url("ontology/topics/", page))}">'
            "with its recognition rules</a>)</h2>",
            f"<table>\n{topic_rows}\n</table>",
            f'<h2>SHACL shapes (<a href="{escape(links.url("ontology/shapes/", page))}">'
            "every constraint</a>)</h2>",
            f"<table>\n{shape_rows}\n</table>",
            "<h2>Classes and properties</h2>",
        ]
    )
    return render_document(
        first_value(header, DCTERMS + "title") or "hikgraph ontology",
        [t for t in ontology if t.subject != NamedNode(iri)],
        labels,
        href=href,
        anchor=lambda term: term[len(HIK) :] if term.startswith(HIK) else None,
        intro=first_value(header, DCTERMS + "description"),
        home=links.url("", page),
        head=page_head(links, page, alternates=paths),
        nav=links.nav(page),
        preface=preface,
    )


def topics_page(topics: Sequence[Triple], links: SiteLinks) -> str:
    """Return ``ontology/topics/index.html``: the topic scheme, its concepts and its
    recognition rules, each rule at the fragment of its IRI."""
    page = "ontology/topics/index.html"
    scheme = BASE + "ontology/topics"
    header = [t for t in topics if t.subject == NamedNode(scheme)]
    paths = {ext: f"ontology/topics.{ext}" for ext in ALTERNATES}

    def anchor(iri: str) -> str | None:
        if iri.startswith(scheme + "#"):
            return iri[len(scheme) + 1 :]
        if iri.startswith(ID + "topic/"):
            return "topic-" + iri[len(ID + "topic/") :]
        return None

    return render_document(
        first_value(header, SKOS + "prefLabel") or "Topic scheme",
        topics,
        labels_in(topics),
        href=links.href(page),
        anchor=anchor,
        intro=first_value(header, SKOS + "definition"),
        home=links.url("", page),
        head=page_head(links, page, alternates=paths),
        nav=links.nav(page),
        preface=formats_line(links, page, paths),
    )


def _node_shapes(shapes: Sequence[Triple]) -> list[str]:
    node_shape = NamedNode(SH + "NodeShape")
    return sorted(
        t.subject.value
        for t in shapes
        if t.predicate.value == _TYPE
        and t.object == node_shape
        and isinstance(t.subject, NamedNode)
    )


def shapes_page(shapes: Sequence[Triple], links: SiteLinks) -> str:
    """Return ``ontology/shapes/index.html``: each node shape at the fragment of its
    IRI, with its targets and one row per property constraint."""
    page = "ontology/shapes/index.html"
    href = links.href(page)
    shacl_terms = {
        term.value
        for t in shapes
        for term in (t.predicate, t.object)
        if isinstance(term, NamedNode) and term.value.startswith(SH)
    }
    labels = {**{iri: "sh:" + iri[len(SH) :] for iri in shacl_terms}, **labels_in(shapes)}
    by_subject: dict[str, list[Triple]] = {}
    for triple in shapes:
        by_subject.setdefault(str(triple.subject), []).append(triple)
    document = NamedNode(BASE + "ontology/shapes")
    header = by_subject.get(str(document), [])
    paths = {ext: f"ontology/shapes.{ext}" for ext in ALTERNATES}
    body = [
        f"<h1>{escape(first_value(header, DCTERMS + 'title') or 'SHACL shapes')}</h1>",
        "<p>What <code>hikgraph build</code> and <code>hikgraph validate</code> check with "
        "pySHACL before a graph is published. Prefix <code>sh:</code> is "
        f"<code>{escape(SH)}</code>.</p>",
        formats_line(links, page, paths),
    ]
    for shape in _node_shapes(shapes):
        triples = by_subject[str(NamedNode(shape))]
        fragment = shape[len(_SHAPES) :] if shape.startswith(_SHAPES) else ""
        id_attr = f' id="{escape(fragment)}"' if fragment else ""
        node_rows, properties = [], []
        for triple in triples:
            predicate = triple.predicate.value
            if predicate == SH + "property":
                properties.append(_constraints(triple.object, by_subject, labels, href))
            elif predicate not in (_TYPE, RDFS + "label", RDFS + "comment"):
                node_rows.append(
                    f'<tr><td class="p">{term_html(NamedNode(predicate), labels, href)}</td>'
                    f"<td>{_value(triple.object, by_subject, labels, href)}</td></tr>"
                )
        properties.sort()
        body += [
            f"<h2{id_attr}>{escape(labels.get(shape, shape))}</h2>",
            f'<p class="iri"><code>{escape(shape)}</code></p>',
            f"<p>{escape(first_value(triples, RDFS + 'comment'))}</p>",
            "<table>\n" + "\n".join(sorted(node_rows)) + "\n</table>",
            "<h3>Properties</h3>",
            "<table>\n<tr><th>path</th><th>constraints</th></tr>\n"
            + "\n".join(properties)
            + "\n</table>",
        ]
    return layout(
        first_value(header, DCTERMS + "title") or "SHACL shapes",
        "\n".join(body),
        home=links.url("", page),
        head=page_head(links, page, alternates=paths),
        nav=links.nav(page),
    )


def _constraints(
    node: object, by_subject: Mapping[str, list[Triple]], labels: Mapping[str, str], href: Href
) -> str:
    triples = by_subject.get(str(node), [])
    path = next((t.object for t in triples if t.predicate.value == SH + "path"), None)
    items = sorted(
        f"{term_html(NamedNode(t.predicate.value), labels, href)} "
        f"{_value(t.object, by_subject, labels, href)}"
        for t in triples
        if t.predicate.value != SH + "path"
    )
    path_html = _value(path, by_subject, labels, href) if path is not None else ""
    cells = "".join(f"<li>{item}</li>" for item in items)
    return f'<tr><td class="p">{path_html}</td><td><ul class="values">{cells}</ul></td></tr>'


def _value(
    term: object, by_subject: Mapping[str, list[Triple]], labels: Mapping[str, str], href: Href
) -> str:
    """Return a constraint's value: a term, or for a blank node its own constraints
    (an RDF list as its members), never the blank node's random label."""
    if not isinstance(term, BlankNode):
        assert isinstance(term, (NamedNode, Literal))
        return term_html(term, labels, href)
    triples = by_subject.get(str(term), [])
    first = next((t.object for t in triples if t.predicate.value == RDF + "first"), None)
    if first is not None:
        members = []
        while first is not None:
            members.append(_value(first, by_subject, labels, href))
            rest = next((t.object for t in triples if t.predicate.value == RDF + "rest"), None)
            triples = by_subject.get(str(rest), [])
            first = next((t.object for t in triples if t.predicate.value == RDF + "first"), None)
        return "one of: " + " | ".join(members)
    inner = sorted(
        f"{term_html(NamedNode(t.predicate.value), labels, href)} "
        f"{_value(t.object, by_subject, labels, href)}"
        for t in triples
    )
    return "[ " + "; ".join(inner) + " ]"
