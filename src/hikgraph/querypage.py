"""The query page at ``/``: a form, the named queries as examples, results as a table.

It works without JavaScript (the form is a plain GET, examples are links) and
offline (no CDN, no remote fonts). The one inline script only copies the chosen
example into the text area and submits on Ctrl+Enter; the server allows exactly
that script by its hash in the Content-Security-Policy.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping, Sequence
from html import escape

from hikgraph.pages import Href, layout, results_table, script_json
from hikgraph.queries import NamedQuery
from hikgraph.sparql import AskResult, GraphResult, QueryResult, SelectResult

SCRIPT = """
(function () {
  var examples = JSON.parse(document.getElementById("examples").textContent);
  var box = document.getElementById("query");
  var pick = document.getElementById("example");
  pick.addEventListener("change", function () {
    if (examples[pick.value]) { box.value = examples[pick.value]; box.focus(); }
  });
  box.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) { box.form.submit(); }
  });
})();
"""

DEFAULT_QUERY = """PREFIX schema: <http://schema.org/>

SELECT ?outlet ?name (COUNT(?article) AS ?articles)
WHERE {
  ?article schema:publisher ?outlet .
  ?outlet schema:name ?name .
}
GROUP BY ?outlet ?name
ORDER BY DESC(?articles)
LIMIT 10
"""

_DOWNLOADS = (("JSON", "json"), ("XML", "xml"), ("CSV", "csv"), ("TSV", "tsv"))
_GRAPH_DOWNLOADS = (("Turtle", "turtle"), ("N-Triples", "nt"), ("JSON-LD", "jsonld"))


def render_query_page(
    named: Sequence[NamedQuery],
    *,
    query: str = "",
    result: QueryResult | None = None,
    error: str = "",
    labels: Mapping[str, str] | None = None,
    href: Href,
    limits: str = "",
    graph_text: str = "",
) -> str:
    """Return the query page: the form holding *query* (or an example), and below it
    *result* as a table, *graph_text* (a CONSTRUCT result as Turtle) or *error*.
    *limits* is a sentence about the server's limits, shown under the form."""
    options = "".join(f'<option value="{escape(q.name)}">{escape(q.title)}</option>' for q in named)
    examples = {q.name: q.text for q in named}
    parts = [
        "<h1>Query the graph</h1>",
        '<form method="get" action="/">',
        '<p><label for="example">Examples: </label><select id="example">'
        f'<option value="">choose a named query…</option>{options}</select></p>',
        f'<textarea id="query" name="query" spellcheck="false">'
        f"{escape(query or DEFAULT_QUERY)}</textarea>",
        '<p><button type="submit">Run</button> '
        '<span class="note">Ctrl+Enter runs the query. The endpoint for programs is '
        '<a href="/sparql">/sparql</a> (SPARQL 1.1 Protocol).</span></p>',
        "</form>",
    ]
    if limits:
        parts.append(f'<p class="note">{escape(limits)}</p>')
    if error:
        parts.append(f'<h2>Error</h2>\n<p class="error">{escape(error)}</p>')
    elif result is not None:
        parts.append(_result_html(query, result, labels or {}, href, graph_text))
    parts.append("<h2>Named queries</h2>\n<ul>")
    parts += [
        f'<li><a href="/?{urllib.parse.urlencode({"name": q.name})}">{escape(q.title)}</a>'
        f" — {escape(q.description)}</li>"
        for q in named
    ]
    parts.append("</ul>")
    parts.append(
        '<script type="application/json" id="examples">' + script_json(examples) + "</script>"
    )
    return layout("Query", "\n".join(parts), script=SCRIPT)


def _result_html(
    query: str, result: QueryResult, labels: Mapping[str, str], href: Href, graph_text: str
) -> str:
    downloads = _GRAPH_DOWNLOADS if isinstance(result, GraphResult) else _DOWNLOADS
    links = " · ".join(
        f'<a href="/sparql?{urllib.parse.urlencode({"query": query, "format": fmt})}">{name}</a>'
        for name, fmt in downloads
        if not (isinstance(result, AskResult) and fmt in ("csv", "tsv"))
    )
    head = f'<h2>Results</h2>\n<p class="note">Download: {links}</p>'
    if isinstance(result, AskResult):
        return f"{head}\n<p><strong>{'yes' if result.value else 'no'}</strong></p>"
    if isinstance(result, SelectResult):
        return f"{head}\n{results_table(result, labels, href)}"
    note = f"{len(result.triples)} triples"
    if result.truncated:
        note += ", cut short by the server's row limit"
    return f'{head}\n<p class="note">{note}</p>\n<pre>{escape(graph_text)}</pre>'
