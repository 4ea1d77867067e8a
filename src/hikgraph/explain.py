"""Why an article has its topics and countries: the evidence recorded in the graph.

Answers "why is this article tagged *sanctions*?" from the graph itself (the
``hik:evidence`` links of the article to the ``hik:TopicEvidence`` and
``hik:CountryEvidence`` resources the build wrote), so the answer is the one a SPARQL
user would find.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyoxigraph import Literal, NamedNode, Store

from hikgraph.model import ID
from hikgraph.stats import select_values

_PREFIXES = """
PREFIX schema: <http://schema.org/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX hik: <https://w3id.org/hikgraph/ontology#>
"""


@dataclass(frozen=True)
class Reason:
    """One topic or country of an article and the rules that gave it."""

    kind: str  # "topic" or "country"
    target: str  # topic id or ISO code
    label: str
    rules: tuple[str, ...]
    matched: tuple[str, ...]


@dataclass(frozen=True)
class Explanation:
    """An article's headline with the reasons for each of its tags."""

    article: str
    headline: str
    language: str
    reasons: tuple[Reason, ...]


def find_articles(store: Store, needle: str) -> list[str]:
    """Return the IRIs of the articles *needle* names: a full IRI, a slug, or words
    that all occur in the headline (case-insensitive). Sorted."""
    iri = needle if needle.startswith(ID + "article/") else f"{ID}article/{needle}"
    if _is_article(store, iri):
        return [iri]
    words = [w.lower() for w in needle.split() if w]
    if not words:
        return []
    filters = " ".join(f"FILTER(CONTAINS(LCASE(STR(?h)), {Literal(word)}))" for word in words)
    rows = _select(
        store, f"SELECT ?a WHERE {{ ?a a schema:CreativeWork ; schema:headline ?h {filters} }}"
    )
    return sorted(row[0] for row in rows)


def explain(store: Store, article: str) -> Explanation:
    """Return the :class:`Explanation` of the article with IRI *article*.

    Raises KeyError when the graph has no such article.
    """
    if not _is_article(store, article):
        raise KeyError(article)
    subject = str(NamedNode(article))
    ((headline, language),) = _select(
        store, f"SELECT ?h (LANG(?h) AS ?l) WHERE {{ {subject} schema:headline ?h }}"
    )
    reasons = []
    for kind, prop, label in (
        ("topic", "hik:indicatesTopic", "skos:prefLabel"),
        ("country", "hik:indicatesCountry", "schema:name"),
    ):
        rows = _select(
            store,
            f"""SELECT ?target ?label ?rule ?matched WHERE {{
                  {subject} hik:evidence ?x .
                  ?x {prop} ?target ; hik:rule ?rule ; hik:matchedText ?matched .
                  OPTIONAL {{ ?target {label} ?label FILTER(LANG(?label) = "en") }}
                }} ORDER BY ?target ?rule ?matched""",
        )
        grouped: dict[tuple[str, str], tuple[list[str], list[str]]] = {}
        for target, name, rule, matched in rows:
            rules, texts = grouped.setdefault((target, name), ([], []))
            if rule not in rules:
                rules.append(rule)
            if matched not in texts:
                texts.append(matched)
        for (target, name), (rules, texts) in grouped.items():
            reasons.append(Reason(kind, target.rsplit("/", 1)[1], name, tuple(rules), tuple(texts)))
    return Explanation(article, headline, language, tuple(reasons))


def format_explanation(explanation: Explanation) -> str:
    """Return *explanation* as the plain text `hikgraph explain` prints."""
    lines = [explanation.article, f"  headline ({explanation.language}): {explanation.headline}"]
    if not explanation.reasons:
        lines.append("  no topic and no country: no rule matched this headline")
    for reason in explanation.reasons:
        matched = ", ".join(repr(text) for text in reason.matched)
        lines.append(f"  {reason.kind} {reason.target} ({reason.label}): matched {matched}")
        lines.append(f"      by {', '.join(reason.rules)}")
    return "\n".join(lines)


def _is_article(store: Store, iri: str) -> bool:
    try:
        subject = NamedNode(iri)  # validates: untrusted text never reaches the query raw
    except ValueError:
        return False
    return bool(store.query(f"{_PREFIXES} ASK {{ {subject} a schema:CreativeWork }}"))


def _select(store: Store, query: str) -> list[list[str]]:
    return select_values(store, _PREFIXES + query)
