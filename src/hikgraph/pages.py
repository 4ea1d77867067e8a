"""HTML for people: one page per resource, tables of query results, the page frame.

This module only turns data into HTML text; it fetches nothing. The server uses it
for ``/id/…`` pages and the query page, and a static site can use it the same way by
passing its own ``href`` (how an IRI becomes a link) — so every link goes through
one function. Everything that comes from data or a request is escaped; only
``http``/``https`` IRIs (or the caller's own paths) ever become links, so a query
result cannot inject ``javascript:`` URLs. No CDN, no remote fonts: the CSS is inline.
"""

from __future__ import annotations

import hashlib
import json
from base64 import b64encode
from collections.abc import Callable, Iterable, Mapping, Sequence
from html import escape

from pyoxigraph import BlankNode, Literal, NamedNode, Triple

from hikgraph.model import DATASET, HIK, ID, RDF
from hikgraph.resultformats import compact_iri
from hikgraph.sparql import SelectResult, Term

Href = Callable[[str], "str | None"]
"""How an IRI becomes a link target; None means no link."""

_TYPE = RDF + "type"
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"

CSS = """
:root { color-scheme: light dark; --muted: #666; --line: #ccc; --accent: #0b57d0; }
@media (prefers-color-scheme: dark) { :root { --muted: #aaa; --line: #444; --accent: #8ab4f8; } }
body { font: 15px/1.5 system-ui, sans-serif; margin: 0 auto; max-width: 72rem; padding: 1rem; }
header { border-bottom: 1px solid var(--line); margin-bottom: 1rem; padding-bottom: .5rem; }
header a { margin-right: 1rem; }
a { color: var(--accent); }
h1 { font-size: 1.5rem; margin: .5rem 0; }
h2 { font-size: 1.15rem; margin-top: 1.5rem; }
code, pre, textarea { font: 13px/1.4 ui-monospace, monospace; }
.iri, .meta { color: var(--muted); overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; }
th, td { border-bottom: 1px solid var(--line); padding: .25rem .5rem; text-align: left;
  vertical-align: top; overflow-wrap: anywhere; }
th { font-weight: 600; white-space: nowrap; }
td.p { width: 14rem; white-space: nowrap; }
ul.values { list-style: none; margin: 0; padding: 0; }
.lang, .dt { color: var(--muted); font-size: .8em; margin-left: .3em; white-space: nowrap; }
textarea { box-sizing: border-box; width: 100%; min-height: 16rem; }
.error { border-left: 4px solid #c5221f; padding: .5rem 1rem; white-space: pre-wrap; }
.note { color: var(--muted); }
"""


def script_json(value: object) -> str:
    """Return *value* as JSON safe to put inside a ``<script>`` element: ``<``, ``>``
    and ``&`` are written as ``\\u003c`` etc., so no text can close the element."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def script_hash(script: str) -> str:
    """Return the CSP source (``'sha256-…'``) that allows exactly the inline *script*."""
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return f"'sha256-{b64encode(digest).decode('ascii')}'"


def layout(
    title: str,
    body: str,
    *,
    script: str = "",
    home: str = "/",
    head: str = "",
    nav: Sequence[tuple[str, str]] | None = None,
) -> str:
    """Return a complete HTML page titled *title* around *body* (already HTML).

    *script* is inline JavaScript added at the end (its CSP hash is
    :func:`script_hash`); *home* is the link of the site's front page; *head* is
    extra, already escaped markup for ``<head>`` (alternate links, JSON-LD); *nav*
    is the header's links as (text, target) pairs, by default the query page.
    """
    tail = f"<script>{script}</script>\n" if script else ""
    links = "".join(
        f'<a href="{escape(target)}">{escape(text)}</a>'
        for text, target in (nav if nav is not None else [("query", home)])
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)} · hikgraph</title>\n<style>{CSS}</style>\n{head}</head>\n"
        f'<body>\n<header><a href="{escape(home)}"><strong>hikgraph</strong></a>{links}</header>\n'
        f"<main>\n{body}\n</main>\n{tail}</body>\n</html>\n"
    )


def safe_href(iri: str) -> str | None:
    """Return *iri* when it is an ``http``/``https`` IRI fit to be a link, else None."""
    lowered = iri.lower()
    if lowered.startswith(("http://", "https://")):
        return iri
    return None


def server_href(iri: str) -> str | None:
    """Return where the server shows *iri*: ``/id/…`` for hikgraph resources,
    ``/ontology#term`` for ontology terms, ``/dataset`` for the dataset, the IRI itself
    for other web IRIs, None for anything else."""
    if iri.startswith(ID):
        return "/id/" + iri[len(ID) :]
    if iri.startswith(HIK):
        return "/ontology#" + iri[len(HIK) :]
    if iri == HIK.rstrip("#"):
        return "/ontology"
    if iri == DATASET or iri.startswith(DATASET + "#"):
        return "/dataset" + iri[len(DATASET) :]
    return safe_href(iri)


def term_html(term: Term | None, labels: Mapping[str, str], href: Href) -> str:
    """Return *term* as HTML: a link (labelled when *labels* knows it) for an IRI,
    the text with its language or datatype for a literal."""
    if term is None:
        return ""
    if isinstance(term, NamedNode):
        label = labels.get(term.value) or compact_iri(term.value)
        target = href(term.value)
        title = f' title="{escape(term.value)}"'
        if target is None:
            return f"<code{title}>{escape(label)}</code>"
        return f'<a href="{escape(target)}"{title}>{escape(label)}</a>'
    if isinstance(term, BlankNode):
        return f"<code>_:{escape(term.value)}</code>"
    if isinstance(term, Literal):
        text = escape(term.value)
        if term.language:
            return f'{text}<span class="lang">@{escape(term.language)}</span>'
        if term.datatype.value != _XSD_STRING:
            return f'{text}<span class="dt">{escape(compact_iri(term.datatype.value))}</span>'
        return text
    return (
        f"&lt;&lt; {term_html(term.subject, labels, href)} "
        f"{term_html(term.predicate, labels, href)} {term_html(term.object, labels, href)} "
        "&gt;&gt;"
    )


def _sort_key(term: Term, labels: Mapping[str, str]) -> tuple[str, str]:
    value = getattr(term, "value", str(term))
    return (labels.get(value, value).casefold(), str(term))


def _property_table(
    triples: Iterable[Triple], labels: Mapping[str, str], href: Href, *, inbound: bool = False
) -> str:
    grouped: dict[str, list[Term]] = {}
    for triple in triples:
        value = triple.subject if inbound else triple.object
        grouped.setdefault(triple.predicate.value, []).append(value)
    if not grouped:
        return '<p class="note">None.</p>'
    rows = []
    for predicate in sorted(grouped, key=lambda p: (p != _TYPE, compact_iri(p))):
        values = sorted(set(grouped[predicate]), key=lambda t: _sort_key(t, labels))
        items = "".join(f"<li>{term_html(v, labels, href)}</li>" for v in values)
        rows.append(
            f'<tr><td class="p">{term_html(NamedNode(predicate), {}, href)}</td>'
            f'<td><ul class="values">{items}</ul></td></tr>'
        )
    return "<table>\n" + "\n".join(rows) + "\n</table>"


def render_resource(
    iri: str,
    triples: Iterable[Triple],
    labels: Mapping[str, str],
    *,
    href: Href = server_href,
    formats: Mapping[str, str] | None = None,
    home: str = "/",
    head: str = "",
    nav: Sequence[tuple[str, str]] | None = None,
) -> str:
    """Return the HTML page of the resource *iri* from the *triples* that describe it
    (its own, its ``#parts``', and those pointing at it).

    *labels* maps IRIs to readable names; *href* makes links; *formats* maps a
    format's name to a link of the same resource in that format; *head* and *nav*
    are passed to :func:`layout`.
    """
    own: list[Triple] = []
    parts: dict[str, list[Triple]] = {}
    inbound: list[Triple] = []
    for triple in triples:
        subject = triple.subject
        if isinstance(subject, NamedNode) and subject.value == iri:
            own.append(triple)
        elif isinstance(subject, NamedNode) and subject.value.startswith(iri + "#"):
            parts.setdefault(subject.value, []).append(triple)
        elif (
            isinstance(triple.object, NamedNode)
            and triple.object.value == iri
            # A #part of another resource (e.g. a hash IRI of a third-party graph) points
            # here only as an echo of its resource's own link, which is listed already.
            and not (isinstance(subject, NamedNode) and "#" in subject.value)
        ):
            inbound.append(triple)
    title = labels.get(iri) or compact_iri(iri)
    links = " · ".join(
        f'<a href="{escape(target)}">{escape(name)}</a>' for name, target in (formats or {}).items()
    )
    body = [
        f"<h1>{escape(title)}</h1>",
        f'<p class="iri"><code>{escape(iri)}</code>' + (f" · {links}" if links else "") + "</p>",
        "<h2>Properties</h2>",
        _property_table(own, labels, href),
    ]
    for part in sorted(parts):
        fragment = part[len(iri) + 1 :]
        body += [
            f'<h2 id="{escape(fragment)}">#{escape(fragment)}</h2>',
            _property_table(parts[part], labels, href),
        ]
    body += [
        f"<h2>Pointing here ({len(inbound)})</h2>",
        _property_table(inbound, labels, href, inbound=True),
    ]
    return layout(title, "\n".join(body), home=home, head=head, nav=nav)


def render_document(
    title: str,
    triples: Iterable[Triple],
    labels: Mapping[str, str],
    *,
    href: Href = server_href,
    anchor: Callable[[str], str | None] = lambda iri: None,
    intro: str = "",
    home: str = "/",
    head: str = "",
    nav: Sequence[tuple[str, str]] | None = None,
    preface: str = "",
) -> str:
    """Return an HTML page listing every subject of *triples* with its properties
    (for documents such as the ontology or the dataset description). *anchor* gives
    a subject's id on the page, so ``#term`` links land on it; *preface* is markup
    (already escaped) placed before the subjects; *head* and *nav* go to
    :func:`layout`."""
    by_subject: dict[str, list[Triple]] = {}
    for triple in triples:
        by_subject.setdefault(str(triple.subject), []).append(triple)
    body = [f"<h1>{escape(title)}</h1>"]
    if intro:
        body.append(f"<p>{escape(intro)}</p>")
    if preface:
        body.append(preface)
    for key in sorted(by_subject):
        subject = by_subject[key][0].subject
        value = getattr(subject, "value", key)
        element_id = anchor(value)
        id_attr = f' id="{escape(element_id)}"' if element_id else ""
        label = labels.get(value) or compact_iri(value)
        body += [
            f"<h2{id_attr}>{escape(label)}</h2>",
            f'<p class="iri"><code>{escape(value)}</code></p>',
            _property_table(by_subject[key], labels, href),
        ]
    return layout(title, "\n".join(body), home=home, head=head, nav=nav)


def results_table(result: SelectResult, labels: Mapping[str, str], href: Href) -> str:
    """Return the solutions of *result* as an HTML table with a row count."""
    head = "".join(f"<th>?{escape(name)}</th>" for name in result.variables)
    rows = "\n".join(
        "<tr>" + "".join(f"<td>{term_html(term, labels, href)}</td>" for term in row) + "</tr>"
        for row in result.rows
    )
    count = len(result.rows)
    note = f"{count} row{'s' if count != 1 else ''}"
    if result.truncated:
        note += ", cut short by the server's row limit"
    return (
        f'<p class="note">{note}</p>\n<table>\n<thead><tr>{head}</tr></thead>\n'
        f"<tbody>\n{rows}\n</tbody>\n</table>"
    )
