"""The static site's landing page and dataset description, and what every page of
the site carries in its head (alternate formats, the JSON-LD block, a
Content-Security-Policy).

Every page goes through :mod:`hikgraph.pages`, the renderer of the server's pages;
the ontology's pages are in :mod:`hikgraph.publish_ontology`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from html import escape

from pyoxigraph import Literal, NamedNode, Triple

from hikgraph.export import sort_triples
from hikgraph.linkeddata import labels_in
from hikgraph.model import BASE, DATASET, DCAT, DCTERMS, HIK, ID, RDF, SCHEMA
from hikgraph.pages import (
    CSS,
    Href,
    layout,
    render_document,
    script_hash,
    script_json,
    term_html,
)
from hikgraph.publish_jsonld import JsonValue, SchemaBlocks
from hikgraph.publish_site import GraphIndex, SiteLinks

#: Media types of the alternates a page links to, by file extension.
ALTERNATES = {
    "ttl": "text/turtle",
    "jsonld": "application/ld+json",
    "nt": "application/n-triples",
}
FORMAT_NAMES = {"ttl": "Turtle", "jsonld": "JSON-LD", "nt": "N-Triples"}
# No script runs on the site's pages (JSON-LD blocks are data, not script), so a
# page whose escaping failed still could not run anything.
_CSP = (
    f"default-src 'none'; style-src {script_hash(CSS)}; img-src 'self'; "
    "base-uri 'none'; form-action 'none'"
)


@dataclass(frozen=True)
class Download:
    """A file offered on the landing page, as written to the site."""

    path: str
    title: str
    media_type: str
    size: int
    sha256: str


def page_head(
    links: SiteLinks,
    page: str,
    *,
    alternates: Mapping[str, str] | None = None,
    block: Mapping[str, JsonValue] | None = None,
    description: str = "",
) -> str:
    """Return the extra ``<head>`` markup of the page at *page*: its CSP, its
    canonical URL (with a base URL), ``<link rel="alternate">`` for each of
    *alternates* (extension → site path) and the JSON-LD *block*."""
    parts = [f'<meta http-equiv="Content-Security-Policy" content="{escape(_CSP)}">']
    if description:
        parts.append(f'<meta name="description" content="{escape(description)}">')
    if links.base_url:
        folder = page.removesuffix("index.html")
        parts.append(f'<link rel="canonical" href="{escape(links.url(folder, page))}">')
    for extension, path in (alternates or {}).items():
        parts.append(
            f'<link rel="alternate" type="{ALTERNATES[extension]}" '
            f'href="{escape(links.url(path, page))}" title="{FORMAT_NAMES[extension]}">'
        )
    if block is not None:
        parts.append(f'<script type="application/ld+json">{script_json(block)}</script>')
    return "\n".join(parts) + "\n"


def format_links(links: SiteLinks, page: str, paths: Mapping[str, str]) -> dict[str, str]:
    """Return the "Turtle · JSON-LD · N-Triples" links of a page (name → link)."""
    return {FORMAT_NAMES[ext]: links.url(path, page) for ext, path in paths.items()}


def first_value(triples: Iterable[Triple], predicate: str) -> str:
    """Return the value of the first *predicate* triple of *triples*, or ``""``."""
    for triple in triples:
        if triple.predicate.value == predicate and not isinstance(triple.object, Triple):
            return triple.object.value
    return ""


def triples_about(triples: Iterable[Triple], iri: str) -> list[Triple]:
    """Return the triples of *triples* whose subject is *iri*."""
    subject = NamedNode(iri)
    return [t for t in triples if t.subject == subject]


def all_values(triples: Iterable[Triple], predicate: str) -> list[str]:
    """Return the values of every *predicate* triple of *triples*, sorted."""
    return sorted(
        t.object.value
        for t in triples
        if t.predicate.value == predicate and not isinstance(t.object, Triple)
    )


def _size(size: int) -> str:
    for unit, scale in (("MB", 1_000_000), ("kB", 1_000)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} B"


#: How the DCAT/VoID terms of ``void.ttl`` read in schema.org, for the dataset and
#: for each distribution.
_DATASET_TERMS = {
    DCTERMS + "title": SCHEMA + "name",
    DCTERMS + "description": SCHEMA + "description",
    DCTERMS + "license": SCHEMA + "license",
    DCTERMS + "publisher": SCHEMA + "publisher",
    DCTERMS + "issued": SCHEMA + "datePublished",
    DCTERMS + "modified": SCHEMA + "dateModified",
    DCTERMS + "source": SCHEMA + "isBasedOn",
    DCAT + "keyword": SCHEMA + "keywords",
    DCAT + "distribution": SCHEMA + "distribution",
}
_DISTRIBUTION_TERMS = {
    DCTERMS + "title": SCHEMA + "name",
    DCTERMS + "license": SCHEMA + "license",
    DCTERMS + "format": SCHEMA + "encodingFormat",
    DCAT + "downloadURL": SCHEMA + "contentUrl",
}


def schema_dataset(void: Sequence[Triple], index: GraphIndex) -> list[Triple]:
    """Return the description of ``void.ttl`` again in schema.org terms.

    Dataset search engines read a ``schema:Dataset`` with ``schema:DataDownload``
    distributions, not DCAT or VoID. Every statement is one of ``void.ttl``'s read
    through :data:`_DATASET_TERMS`, but the byte size (schema.org wants text with a
    unit) and the temporal coverage, which is the directory's (its
    ``dcterms:subject``) in the graph. The site publishes these triples with
    ``void.ttl``'s in ``dataset/``, so its pages' blocks say nothing unpublished.
    """
    dataset = NamedNode(DATASET)
    a = NamedNode(RDF + "type")
    out = [
        Triple(dataset, a, NamedNode(SCHEMA + "Dataset")),
        Triple(dataset, NamedNode(SCHEMA + "url"), NamedNode(BASE)),
    ]
    distributions = set()
    for triple in void:
        predicate = triple.predicate.value
        if triple.subject == dataset and predicate in _DATASET_TERMS:
            out.append(Triple(dataset, NamedNode(_DATASET_TERMS[predicate]), triple.object))
            if predicate == DCAT + "distribution" and isinstance(triple.object, NamedNode):
                distributions.add(triple.object)
        elif triple.subject == dataset and predicate == DCTERMS + "subject":
            directory = triple.object.value if isinstance(triple.object, NamedNode) else ""
            for about in index.by_subject.get(directory, ()):
                if about.predicate.value == SCHEMA + "temporalCoverage":
                    out.append(Triple(dataset, about.predicate, about.object))
    for triple in void:
        subject, predicate = triple.subject, triple.predicate.value
        if subject not in distributions or not isinstance(subject, NamedNode):
            continue
        if predicate in _DISTRIBUTION_TERMS:
            out.append(Triple(subject, NamedNode(_DISTRIBUTION_TERMS[predicate]), triple.object))
        elif predicate == DCAT + "byteSize" and isinstance(triple.object, Literal):
            size = Literal(f"{triple.object.value} B")
            out.append(Triple(subject, NamedNode(SCHEMA + "contentSize"), size))
    out += [Triple(d, a, NamedNode(SCHEMA + "DataDownload")) for d in distributions]
    return sort_triples(out)


def dataset_block(
    index: GraphIndex, description: Sequence[Triple], labels: Mapping[str, str]
) -> dict[str, JsonValue]:
    """Return the schema.org ``Dataset`` block from the site's dataset *description*
    (``void.ttl`` with :func:`schema_dataset`): the dataset, its distributions in
    full and its publisher named from the graph."""
    by_subject = {iri: list(triples) for iri, triples in index.by_subject.items()}
    for triple in description:
        if isinstance(triple.subject, NamedNode):
            by_subject.setdefault(triple.subject.value, []).append(triple)
    return SchemaBlocks(by_subject, labels).block(DATASET, expand={SCHEMA + "distribution"})


# --- the landing page --------------------------------------------------------------


def landing_page(
    index: GraphIndex,
    description: Sequence[Triple],
    downloads: Sequence[Download],
    links: SiteLinks,
) -> str:
    """Return the landing page ``index.html``: what the dataset is, its licence,
    source and provenance, counts, downloads with sizes and checksums, the network
    view and timeline, entry points to every resource, and a schema.org ``Dataset``
    block; *description* is the site's dataset description (see
    :func:`schema_dataset`)."""
    page = "index.html"
    href = links.href(page)
    dataset = [t for t in description if t.subject == NamedNode(DATASET)]
    title = first_value(dataset, DCTERMS + "title") or "hikgraph"
    summary = first_value(dataset, DCTERMS + "description")
    labels = {**index.labels, **labels_in(description)}
    block = dataset_block(index, description, labels)

    def link(iri: str) -> str:
        return term_html(NamedNode(iri), labels, href)

    license_iri = first_value(dataset, DCTERMS + "license")
    publisher = first_value(dataset, DCTERMS + "publisher")
    sources = all_values(dataset, DCTERMS + "source")
    directory = first_value(dataset, DCTERMS + "subject")
    issued = first_value(dataset, DCTERMS + "issued")
    body = [
        f"<h1>{escape(title)}</h1>",
        f"<p>{escape(summary)}</p>",
        '<p class="meta">'
        + " · ".join(
            part
            for part in (
                f"Published by {link(publisher)}" if publisher else "",
                f"issued {escape(issued[:10])}" if issued else "",
                f"licence {link(license_iri)}" if license_iri else "",
                f"dataset IRI <code>{escape(DATASET)}</code> "
                f'(<a href="{escape(href(DATASET) or "")}">VoID/DCAT description</a>)',
            )
            if part
        )
        + "</p>",
        "<h2>Source and provenance</h2>",
        f"<p>{escape(first_value(dataset, DCTERMS + 'rights'))}</p>",
        "<ul>",
        *(
            f"<li>Read from the source text {link(s)} (its SHA-256 is on its page).</li>"
            for s in sources
        ),
        f"<li>The directory: {link(directory)}, with every entry it lists.</li>"
        if directory
        else "",
        "<li>Each entry records the line of the source it was read from, and each topic and "
        "country assigned to a headline records the rule and the words that matched "
        f'(see <a href="{escape(href(HIK.rstrip("#")) or "")}">the ontology</a>).</li>',
        "</ul>",
        "<h2>Contents</h2>",
        _counts_table(index),
        '<h2 id="downloads">Downloads</h2>',
        _downloads_table(downloads, links, page),
        "<h2>Explore</h2>",
        _explore(links, page, {d.path for d in downloads} | links.files),
        "<h2>Browse</h2>",
        _browse(index, labels, href),
    ]
    head = page_head(links, page, block=block, description=summary)
    return layout(
        title,
        "\n".join(part for part in body if part),
        home=links.url("", page),
        head=head,
        nav=links.nav(page),
    )


def _counts_table(index: GraphIndex) -> str:
    def kind(name: str) -> int:
        return sum(1 for iri in index.resources if iri.startswith(f"{ID}{name}/"))

    entries = sum(1 for iri in index.resources if SCHEMA + "CreativeWork" in index.types_of(iri))
    rows = [
        ("triples", len(index.triples)),
        ("resources with a page", len(index.resources)),
        ("directory entries", entries),
        ("outlets", kind("outlet")),
        ("countries", kind("country")),
        ("topics", kind("topic")),
        ("IPVM reports", kind("report")),
    ]
    cells = "\n".join(f"<tr><th>{escape(name)}</th><td>{count:,}</td></tr>" for name, count in rows)
    return f"<table>\n{cells}\n</table>"


def _downloads_table(downloads: Sequence[Download], links: SiteLinks, page: str) -> str:
    rows = ["<tr><th>file</th><th>what</th><th>media type</th><th>size</th><th>SHA-256</th></tr>"]
    for item in downloads:
        rows.append(
            f'<tr><td><a href="{escape(links.url(item.path, page))}">{escape(item.path)}</a></td>'
            f"<td>{escape(item.title)}</td><td><code>{escape(item.media_type)}</code></td>"
            f'<td title="{item.size:,} bytes">{_size(item.size)}</td>'
            f'<td><code class="meta">{item.sha256}</code></td></tr>'
        )
    return "<table>\n" + "\n".join(rows) + "\n</table>"


def _explore(links: SiteLinks, page: str, files: set[str]) -> str:
    items = []
    if "network.html" in files:
        items.append(
            f'<li><a href="{escape(links.url("network.html", page))}">The outlet–topic '
            "network</a>: which outlets covered which topics, interactive, offline.</li>"
        )
    items.append(
        f'<li><a href="{escape(links.url("ontology/", page))}">The ontology</a>, '
        f'<a href="{escape(links.url("ontology/topics/", page))}">the topic scheme</a> and '
        f'<a href="{escape(links.url("ontology/shapes/", page))}">the SHACL shapes</a>.</li>'
    )
    items.append(
        "<li>Every resource IRI (<code>https://w3id.org/hikgraph/id/…</code>) answers in "
        "HTML, Turtle, JSON-LD and N-Triples; ask for one with the <code>Accept</code> "
        "header, or run <code>hikgraph serve</code> for a SPARQL endpoint.</li>"
    )
    parts = ["<ul>", *items, "</ul>"]
    if "timeline.svg" in files:
        svg = escape(links.url("timeline.svg", page))
        png = (
            f' (<a href="{escape(links.url("timeline.png", page))}">PNG</a>)'
            if "timeline.png" in files
            else ""
        )
        parts.append(
            f'<figure><a href="{svg}"><img src="{svg}" alt="Timeline: directory entries per '
            f'month, by topic" style="max-width:100%;height:auto"></a>'
            f"<figcaption>Entries per month, by topic{png}.</figcaption></figure>"
        )
    return "\n".join(parts)


def _browse(index: GraphIndex, labels: Mapping[str, str], href: Href) -> str:
    sections = []
    for kind, heading in (
        ("directory", "The directory"),
        ("topic", "Topics"),
        ("country", "Countries"),
        ("outlet", "Outlets"),
        ("report", "IPVM reports"),
        ("source", "Source texts"),
    ):
        members = [iri for iri in index.resources if iri.startswith(f"{ID}{kind}/")]
        if not members:
            continue
        members.sort(key=lambda iri: (labels.get(iri, iri).casefold(), iri))
        items = "".join(f"<li>{term_html(NamedNode(iri), labels, href)}</li>" for iri in members)
        sections.append(f"<h3>{escape(heading)} ({len(members):,})</h3>\n<ul>{items}</ul>")
    sections.append(
        '<p class="note">Each entry of the directory has its page, linked from the directory, '
        "its outlet, its topics and its countries.</p>"
    )
    return "\n".join(sections)


# --- the dataset description ---------------------------------------------------------


def dataset_page(index: GraphIndex, description: Sequence[Triple], links: SiteLinks) -> str:
    """Return ``dataset/index.html``: the site's dataset *description* (``void.ttl``
    and its schema.org reading) with the same block as the landing page."""
    page = "dataset/index.html"
    labels = {**index.labels, **labels_in(description)}
    block = dataset_block(index, description, labels)
    paths = {ext: f"dataset/index.{ext}" for ext in ALTERNATES}
    return render_document(
        "The hikgraph dataset",
        description,
        labels,
        href=links.href(page),
        anchor=lambda iri: iri[len(DATASET) + 1 :] if iri.startswith(DATASET + "#") else None,
        intro="The dataset described in VoID and DCAT (and in schema.org terms, for "
        "dataset search engines): counts by class and property, the dumps and their checksums.",
        home=links.url("", page),
        head=page_head(links, page, alternates=paths, block=block),
        nav=links.nav(page),
        preface=formats_line(links, page, paths),
    )


def formats_line(links: SiteLinks, page: str, paths: Mapping[str, str]) -> str:
    names = format_links(links, page, paths)
    return (
        '<p class="meta">Also as '
        + " · ".join(f'<a href="{escape(target)}">{escape(n)}</a>' for n, target in names.items())
        + "</p>"
    )
