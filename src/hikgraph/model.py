"""Resolved records → RDF triples: namespaces, IRI minting and the vocabulary contract.

:func:`head_triples` and :func:`country_triples` make :class:`pyoxigraph.Triple`
lists, and :func:`entry_terms` one entry's triples as terms, so a large directory
streams into N-Triples or a store without an rdflib object per triple. The
vocabulary follows ``DESIGN.md``; no blank nodes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from pyoxigraph import Literal, NamedNode, RdfFormat, Triple, parse

from hikgraph.directory import CitingReport, CoverageReport, Directory
from hikgraph.enrich import EnrichedEntry, Plan
from hikgraph.registry import Country, Outlet
from hikgraph.slugs import slugify

if TYPE_CHECKING:
    from hikgraph.classify import Classification

BASE = "https://w3id.org/hikgraph/"
ID = BASE + "id/"
HIK = BASE + "ontology#"
DATASET = BASE + "dataset"

SCHEMA = "http://schema.org/"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
OWL = "http://www.w3.org/2002/07/owl#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
PROV = "http://www.w3.org/ns/prov#"
CITO = "http://purl.org/spar/cito/"
DCTERMS = "http://purl.org/dc/terms/"
DCAT = "http://www.w3.org/ns/dcat#"
VOID = "http://rdfs.org/ns/void#"
WIKIDATA = "http://www.wikidata.org/entity/"

PREFIXES = {
    "hik": HIK,
    "schema": SCHEMA,
    "rdf": RDF,
    "rdfs": RDFS,
    "xsd": XSD,
    "owl": OWL,
    "skos": SKOS,
    "prov": PROV,
    "cito": CITO,
    "dcterms": DCTERMS,
    "dcat": DCAT,
    "void": VOID,
    "wd": WIKIDATA,
    "article": ID + "article/",
    "outlet": ID + "outlet/",
    "country": ID + "country/",
    "topic": ID + "topic/",
    "report": ID + "report/",
    "directory": ID + "directory/",
    "evidence": ID + "evidence/",
    "source": ID + "source/",
}

# Outlet kinds of the registry → the schema.org class and our finer class.
KIND_CLASSES: dict[str, tuple[str, str]] = {
    "newspaper": (SCHEMA + "NewsMediaOrganization", HIK + "Newspaper"),
    "broadcaster": (SCHEMA + "NewsMediaOrganization", HIK + "Broadcaster"),
    "public-broadcaster": (SCHEMA + "NewsMediaOrganization", HIK + "PublicBroadcaster"),
    "news-agency": (SCHEMA + "NewsMediaOrganization", HIK + "NewsAgency"),
    "magazine": (SCHEMA + "NewsMediaOrganization", HIK + "Magazine"),
    "online-publication": (SCHEMA + "NewsMediaOrganization", HIK + "OnlinePublication"),
    "trade-publication": (SCHEMA + "NewsMediaOrganization", HIK + "TradePublication"),
    "blog": (SCHEMA + "NewsMediaOrganization", HIK + "Blog"),
    "think-tank": (SCHEMA + "ResearchOrganization", HIK + "ThinkTank"),
    "ngo": (SCHEMA + "NGO", HIK + "AdvocacyOrganization"),
}

_NODES: dict[str, NamedNode] = {}


def node(iri: str) -> NamedNode:
    """Return the NamedNode for *iri*, shared so a hot loop does not re-validate it."""
    cached = _NODES.get(iri)
    if cached is None:
        cached = _NODES[iri] = NamedNode(iri)
    return cached


A = node(RDF + "type")
S = SCHEMA


def article_iri(slug: str) -> str:
    """Return the IRI of the entry with *slug*."""
    return f"{ID}article/{slug}"


def outlet_iri(slug: str) -> str:
    """Return the IRI of the outlet with *slug*."""
    return f"{ID}outlet/{slug}"


def country_iri(code: str) -> str:
    """Return the IRI of the country with ISO 3166-1 alpha-2 *code*."""
    return f"{ID}country/{code}"


def topic_iri(topic: str) -> str:
    """Return the IRI of the topic concept with id *topic*."""
    return f"{ID}topic/{topic}"


def report_iri(title: str) -> str:
    """Return the IRI of the IPVM report titled *title*."""
    return f"{ID}report/{slugify(title)}"


def directory_iri(directory: Directory) -> str:
    """Return the IRI of the directory; it is named by its title, not its edition."""
    return f"{ID}directory/{slugify(directory.metadata.title)}"


@cache
def source_iri(source: str) -> str:
    """Return the IRI of the source text at path *source* (one per edition)."""
    return f"{ID}source/{slugify(Path(source).stem)}"


def _string(value: str) -> Literal:
    return Literal(value)


def _typed(value: str, datatype: str) -> Literal:
    return Literal(value, datatype=node(XSD + datatype))


def _integer(value: int) -> Literal:
    return _typed(str(value), "integer")


def _date_time(value: datetime) -> Literal:
    return _typed(value.isoformat(), "dateTime")


def _date(value: date) -> Literal:
    return _typed(value.isoformat(), "date")


def load_topic_scheme(path: Path) -> list[Triple]:
    """Return the triples of the topic scheme (``ontology/topics.ttl``).

    Raises ValueError naming the file when it is not valid Turtle.
    """
    try:
        with path.open("rb") as handle:
            return [
                Triple(q.subject, q.predicate, q.object) for q in parse(handle, RdfFormat.TURTLE)
            ]
    except SyntaxError as error:
        raise ValueError(f"{path}: {error}") from None


def head_triples(
    plan: Plan, topic_scheme: Iterable[Triple] = (), sources: Iterable[tuple[Directory, str]] = ()
) -> list[Triple]:
    """Return the triples of everything but the entries and countries, sorted: the
    sources, the directory, the outlets, IPVM's reports and the topic scheme."""
    from hikgraph.export import sort_triples

    directory_node = node(directory_iri(plan.directory))
    ipvm = node(outlet_iri(plan.ipvm.slug))
    out: list[Triple] = []
    for source, digest in sources:
        out.extend(_source(source, digest))
    out.extend(_directory(plan, directory_node, ipvm))
    for outlet in plan.outlets:
        out.extend(_outlet(outlet, plan.spellings.get(outlet.slug, ())))
    for coverage in plan.coverage:
        out.extend(_coverage_report(coverage, ipvm, directory_node))
    for citing in plan.citing:
        out.extend(_citing_report(citing, ipvm, directory_node))
    out.extend(topic_scheme)
    return sort_triples(out)


def used_countries(plan: Plan, mentioned: Iterable[str]) -> set[str]:
    """Return the country codes the graph describes: those *mentioned* by headlines
    and those the outlets are located in."""
    return {*mentioned, *(o.country for o in plan.outlets if o.country)}


def country_triples(countries: dict[str, Country], codes: Iterable[str]) -> list[Triple]:
    """Return the triples of the countries with *codes*, sorted.

    Raises KeyError for a code not in *countries*.
    """
    from hikgraph.export import sort_triples

    return sort_triples(t for code in sorted(codes) for t in _country(countries[code]))


def _source(directory: Directory, digest: str) -> Iterator[Triple]:
    subject = node(source_iri(directory.source))
    yield Triple(subject, A, node(PROV + "Entity"))
    yield Triple(subject, A, node(S + "DigitalDocument"))
    yield Triple(subject, node(S + "name"), _string(Path(directory.source).name))
    yield Triple(subject, node(S + "encodingFormat"), _string("text/plain; charset=utf-8"))
    yield Triple(subject, node(S + "sha256"), _string(digest))
    yield Triple(subject, node(S + "about"), node(directory_iri(directory)))
    yield Triple(subject, node(S + "dateModified"), _date_time(directory.metadata.published))


def _directory(plan: Plan, subject: NamedNode, ipvm: NamedNode) -> Iterator[Triple]:
    directory = plan.directory
    meta = directory.metadata
    yield Triple(subject, A, node(S + "Report"))
    yield Triple(subject, node(S + "name"), Literal(meta.title, language="en"))
    yield Triple(subject, node(S + "author"), ipvm)
    yield Triple(subject, node(S + "publisher"), ipvm)
    yield Triple(subject, node(S + "creditText"), Literal(meta.author, language="en"))
    yield Triple(subject, node(S + "datePublished"), _date_time(meta.published))
    yield Triple(subject, node(S + "inLanguage"), _string("en"))
    if meta.intro:
        yield Triple(subject, node(S + "description"), Literal(meta.intro, language="en"))
    if meta.first_published_note:
        yield Triple(
            subject, node(SKOS + "editorialNote"), Literal(meta.first_published_note, language="en")
        )
    if meta.first_published:
        yield Triple(subject, node(HIK + "firstPublished"), _string(meta.first_published))
    if meta.comment_count is not None:
        yield Triple(subject, node(S + "commentCount"), _integer(meta.comment_count))
    months = plan.months
    if months:
        yield Triple(subject, node(S + "temporalCoverage"), _string(f"{months[0]}/{months[-1]}"))
    yield Triple(subject, node(PROV + "wasDerivedFrom"), node(source_iri(directory.source)))
    for report in plan.coverage:
        yield Triple(subject, node(CITO + "cites"), node(report_iri(report.title)))


# The terms of an entry's triples, made once: entry_terms runs a million times in a
# large build, and building these nodes per call was most of its cost.
_CREATIVE_WORK = node(S + "CreativeWork")
_NEWS_ARTICLE = node(S + "NewsArticle")
_PUBLISHER = node(S + "publisher")
_HEADLINE = node(S + "headline")
_DATE_PUBLISHED = node(S + "datePublished")
_IS_PART_OF = node(S + "isPartOf")
_HAS_PART = node(S + "hasPart")
_EDITORIAL_NOTE = node(SKOS + "editorialNote")
_ABOUT = node(S + "about")
_SPATIAL_COVERAGE = node(S + "spatialCoverage")
_DERIVED_FROM = node(PROV + "wasDerivedFrom")
_SOURCE_LINE = node(HIK + "sourceLine")
_EVIDENCE = node(HIK + "evidence")
_RULE = node(HIK + "rule")
_MATCHED_TEXT = node(HIK + "matchedText")
_EXPLANATION = node(HIK + "explanation")
# kind of evidence → its class, the property naming what it indicates, and that IRI.
_EVIDENCE_KINDS = {
    "topic": (node(HIK + "TopicEvidence"), node(HIK + "indicatesTopic"), topic_iri),
    "country": (node(HIK + "CountryEvidence"), node(HIK + "indicatesCountry"), country_iri),
}
_G_YEAR_MONTH = node(XSD + "gYearMonth")
_POSITIVE_INTEGER = node(XSD + "positiveInteger")


class EvidenceKey(NamedTuple):
    """What names one evidence resource: a rule of the classifier, the exact words it
    matched, and the topic or country (*kind* ``"topic"`` or ``"country"``, *target*
    its id or ISO code) they indicate. Every headline with those words shares it."""

    kind: str
    target: str
    rule: str
    matched: str


@cache
def evidence_iri(key: EvidenceKey) -> str:
    """Return the IRI of the evidence resource *key*: readable from its rule and
    words, and made unique by eight hex digits of the SHA-256 of all four parts
    (slugs fold case and punctuation: "U.S." and "US" are two resources)."""
    digest = hashlib.sha256("\0".join(key).encode()).hexdigest()[:8]
    try:
        words = slugify(key.matched, 40)
    except ValueError:  # no ASCII letters or digits, e.g. a headline in Chinese
        words = "text"
    return f"{ID}evidence/{slugify(key.rule, 60)}-{words}-{digest}"


def entry_evidence(classification: Classification) -> list[EvidenceKey]:
    """Return the evidence behind every topic and country of *classification*, in
    its order (topics first), each once."""
    keys = [
        EvidenceKey("topic", tag.topic, item.rule, item.matched)
        for tag in classification.topics
        for item in tag.evidence
    ]
    keys += [
        EvidenceKey("country", tag.code, item.rule, item.matched)
        for tag in classification.countries
        for item in tag.evidence
    ]
    return list(dict.fromkeys(keys))


#: The subject, predicate and object of one triple, before they become a
#: :class:`pyoxigraph.Triple`. A large build counts and samples an entry's triples in
#: this form: reading a Triple's terms back makes new Python objects (~0.5 µs each).
Terms = tuple[NamedNode, NamedNode, NamedNode | Literal]


def classification_links(
    classification: Classification, evidence: list[EvidenceKey] | None = None
) -> list[tuple[NamedNode, NamedNode]]:
    """Return the (predicate, object) pairs *classification* gives an entry: its topics
    (``schema:about``), countries (``schema:spatialCoverage``) and the ``hik:evidence``
    behind them, in its order. Entries with one headline share them. *evidence* is
    :func:`entry_evidence` of *classification*, when the caller has it."""
    if evidence is None:
        evidence = entry_evidence(classification)
    links = [_topic_link(tag.topic) for tag in classification.topics]
    links += [_country_link(tag.code) for tag in classification.countries]
    links += [_evidence_link(key) for key in evidence]
    return links


# Each (predicate, object) pair is one shared tuple, however many classifications
# give it: a build's workers keep the links of every classification they meet
# (hikgraph.graph_chunks), ~110,000 each at a million entries.
@cache
def _topic_link(topic: str) -> tuple[NamedNode, NamedNode]:
    return (_ABOUT, node(topic_iri(topic)))


@cache
def _country_link(code: str) -> tuple[NamedNode, NamedNode]:
    return (_SPATIAL_COVERAGE, node(country_iri(code)))


@cache
def _evidence_link(key: EvidenceKey) -> tuple[NamedNode, NamedNode]:
    return (_EVIDENCE, node(evidence_iri(key)))


def entry_terms(
    enriched: EnrichedEntry,
    directory: NamedNode,
    links: list[tuple[NamedNode, NamedNode]] | None = None,
) -> list[Terms]:
    """Return the triples of one entry as :data:`Terms`: the article, its topics and
    countries with a ``hik:evidence`` link to what found each, and the directory's
    ``schema:hasPart`` link to it. *links* are :func:`classification_links` of the
    entry's classification (made here when not given). The evidence resources
    themselves are described once for the whole graph by :func:`evidence_triples`.

    The order depends only on the entry, so a stream of entries is deterministic.
    """
    entry = enriched.entry
    subject = NamedNode(article_iri(enriched.slug))
    classification = enriched.classification
    out: list[Terms] = [(subject, A, _CREATIVE_WORK)]
    if enriched.outlet is not None:
        out.append((subject, A, _NEWS_ARTICLE))
        out.append((subject, _PUBLISHER, node(outlet_iri(enriched.outlet.slug))))
    out.append((subject, _HEADLINE, Literal(entry.headline, language=classification.language)))
    out.append((subject, _DATE_PUBLISHED, Literal(entry.year_month, datatype=_G_YEAR_MONTH)))
    out.append((subject, _IS_PART_OF, directory))
    out.append((subject, _DERIVED_FROM, node(source_iri(entry.source))))
    out.append((subject, _SOURCE_LINE, Literal(str(entry.line), datatype=_POSITIVE_INTEGER)))
    if entry.note:
        out.append((subject, _EDITORIAL_NOTE, Literal(entry.note, language="en")))
    if links is None:
        links = classification_links(classification)
    out += [(subject, predicate, value) for predicate, value in links]
    out.append((directory, _HAS_PART, subject))
    return out


def evidence_triples(keys: Iterable[EvidenceKey]) -> list[Triple]:
    """Return the triples describing the evidence resources *keys* (each once, sorted
    by IRI): what they indicate, the rule, the words it matched and a sentence saying
    so for people."""
    out = []
    for iri, key in sorted({evidence_iri(key): key for key in keys}.items()):
        cls, indicates, target_iri = _EVIDENCE_KINDS[key.kind]
        subject = NamedNode(iri)
        out += [
            Triple(subject, A, cls),
            Triple(subject, indicates, node(target_iri(key.target))),
            Triple(subject, _RULE, Literal(key.rule)),
            Triple(subject, _MATCHED_TEXT, Literal(key.matched)),
            Triple(
                subject, _EXPLANATION, Literal(f"{key.matched!r} by rule {key.rule}", language="en")
            ),
        ]
    return out


def _outlet(outlet: Outlet, spellings: Iterable[str]) -> Iterator[Triple]:
    subject = node(outlet_iri(outlet.slug))
    if outlet.kind is not None:
        schema_class, hik_class = KIND_CLASSES[outlet.kind]
        yield Triple(subject, A, node(schema_class))
        yield Triple(subject, A, node(hik_class))
    else:
        yield Triple(subject, A, node(S + "Organization"))
    yield Triple(subject, node(S + "name"), _string(outlet.name))
    for alias in sorted({*outlet.aliases, *spellings} - {outlet.name, ""}):
        yield Triple(subject, node(S + "alternateName"), _string(alias))
    for spelling in sorted(set(spellings) - {""}):
        yield Triple(subject, node(HIK + "spellingInSource"), _string(spelling))
    if outlet.country:
        yield Triple(subject, node(S + "location"), node(country_iri(outlet.country)))
    if outlet.language:
        yield Triple(subject, node(S + "inLanguage"), _string(outlet.language))
    if outlet.homepage:
        yield Triple(subject, node(S + "url"), node(outlet.homepage))
    if outlet.wikidata:
        yield Triple(subject, node(S + "sameAs"), node(WIKIDATA + outlet.wikidata))
    yield Triple(
        subject, node(HIK + "reviewed"), _typed("true" if outlet.reviewed else "false", "boolean")
    )


def _provenance(subject: NamedNode, source: str, line: int) -> Iterator[Triple]:
    yield Triple(subject, node(PROV + "wasDerivedFrom"), node(source_iri(source)))
    yield Triple(subject, node(HIK + "sourceLine"), _typed(str(line), "positiveInteger"))


def _coverage_report(
    report: CoverageReport, ipvm: NamedNode, directory: NamedNode
) -> Iterator[Triple]:
    subject = node(report_iri(report.title))
    yield Triple(subject, A, node(S + "Report"))
    yield Triple(subject, node(S + "name"), Literal(report.title, language="en"))
    yield Triple(subject, node(S + "publisher"), ipvm)
    yield Triple(subject, node(CITO + "isCitedBy"), directory)
    yield from _provenance(subject, report.source, report.line)


def _citing_report(report: CitingReport, ipvm: NamedNode, directory: NamedNode) -> Iterator[Triple]:
    subject = node(report_iri(report.title))
    yield Triple(subject, A, node(S + "Report"))
    yield Triple(subject, node(S + "name"), Literal(report.title, language="en"))
    yield Triple(subject, node(S + "publisher"), ipvm)
    yield Triple(subject, node(S + "datePublished"), _date(report.published))
    if report.snippet:
        yield Triple(subject, node(S + "abstract"), Literal(report.snippet, language="en"))
    yield Triple(subject, node(CITO + "cites"), directory)
    yield from _provenance(subject, report.source, report.line)


def _country(country: Country) -> Iterator[Triple]:
    subject = node(country_iri(country.code))
    yield Triple(subject, A, node(S + "Country"))
    yield Triple(subject, node(S + "name"), Literal(country.name, language="en"))
    yield Triple(subject, node(S + "identifier"), _string(country.code))
    if country.wikidata:
        yield Triple(subject, node(S + "sameAs"), node(WIKIDATA + country.wikidata))
