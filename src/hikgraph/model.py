"""Resolved records → RDF triples: namespaces, IRI minting and the vocabulary contract.

:func:`triples` is a generator of :class:`pyoxigraph.Triple`, one entry at a time, so
the same code can stream a large directory into N-Triples or a store without holding
an rdflib object per triple. The vocabulary follows ``DESIGN.md``; no blank nodes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from pyoxigraph import Literal, NamedNode, RdfFormat, Triple, parse

from hikgraph.directory import CitingReport, CoverageReport, Directory
from hikgraph.enrich import EnrichedDirectory, EnrichedEntry
from hikgraph.registry import Country, Outlet
from hikgraph.slugs import slugify

if TYPE_CHECKING:
    from hikgraph.classify import Evidence

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


def triples(
    enriched: EnrichedDirectory,
    countries: dict[str, Country],
    topic_scheme: Iterable[Triple] = (),
    sources: Iterable[tuple[Directory, str]] = (),
) -> Iterator[Triple]:
    """Yield the triples of the graph, one resource after another.

    *countries* gives names and Wikidata ids of the countries referenced;
    *topic_scheme* is copied in whole; *sources* pairs each source directory with the
    SHA-256 of its bytes. Raises KeyError for a country code not in *countries*.
    """
    directory = enriched.directory
    directory_node = node(directory_iri(directory))
    ipvm = node(outlet_iri(enriched.ipvm.slug))
    used_countries: set[str] = set()

    for source, digest in sources:
        yield from _source(source, digest)

    yield from _directory(enriched, directory_node, ipvm)
    for entry in enriched.entries:
        yield from _entry(entry, directory_node)
        used_countries.update(tag.code for tag in entry.classification.countries)
    for outlet in enriched.outlets:
        yield from _outlet(outlet, enriched.spellings.get(outlet.slug, ()))
        if outlet.country:
            used_countries.add(outlet.country)
    for coverage in enriched.coverage:
        yield from _coverage_report(coverage, ipvm, directory_node)
    for citing in enriched.citing:
        yield from _citing_report(citing, ipvm, directory_node)
    for code in sorted(used_countries):
        yield from _country(countries[code])
    yield from topic_scheme


def _source(directory: Directory, digest: str) -> Iterator[Triple]:
    subject = node(source_iri(directory.source))
    yield Triple(subject, A, node(PROV + "Entity"))
    yield Triple(subject, A, node(S + "DigitalDocument"))
    yield Triple(subject, node(S + "name"), _string(Path(directory.source).name))
    yield Triple(subject, node(S + "encodingFormat"), _string("text/plain; charset=utf-8"))
    yield Triple(subject, node(S + "sha256"), _string(digest))
    yield Triple(subject, node(S + "about"), node(directory_iri(directory)))
    yield Triple(subject, node(S + "dateModified"), _date_time(directory.metadata.published))


def _directory(
    enriched: EnrichedDirectory, subject: NamedNode, ipvm: NamedNode
) -> Iterator[Triple]:
    directory = enriched.directory
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
    months = sorted({e.entry.year_month for e in enriched.entries})
    if months:
        yield Triple(subject, node(S + "temporalCoverage"), _string(f"{months[0]}/{months[-1]}"))
    yield Triple(subject, node(PROV + "wasDerivedFrom"), node(source_iri(directory.source)))
    for entry in enriched.entries:
        yield Triple(subject, node(S + "hasPart"), node(article_iri(entry.slug)))
    for report in enriched.coverage:
        yield Triple(subject, node(CITO + "cites"), node(report_iri(report.title)))


def _entry(enriched: EnrichedEntry, directory: NamedNode) -> Iterator[Triple]:
    entry = enriched.entry
    iri = article_iri(enriched.slug)
    subject = node(iri)
    classification = enriched.classification
    yield Triple(subject, A, node(S + "CreativeWork"))
    if enriched.outlet is not None:
        yield Triple(subject, A, node(S + "NewsArticle"))
        yield Triple(subject, node(S + "publisher"), node(outlet_iri(enriched.outlet.slug)))
    yield Triple(
        subject, node(S + "headline"), Literal(entry.headline, language=classification.language)
    )
    yield Triple(subject, node(S + "datePublished"), _typed(entry.year_month, "gYearMonth"))
    yield Triple(subject, node(S + "isPartOf"), directory)
    yield from _provenance(subject, entry.source, entry.line)
    if entry.note:
        yield Triple(subject, node(SKOS + "editorialNote"), Literal(entry.note, language="en"))
    for tag in classification.topics:
        topic = node(topic_iri(tag.topic))
        yield Triple(subject, node(S + "about"), topic)
        yield from _assignment(
            subject,
            f"{iri}#topic-{tag.topic}",
            HIK + "TopicAssignment",
            HIK + "assignedTopic",
            topic,
            tag.evidence,
        )
    for country_tag in classification.countries:
        country = node(country_iri(country_tag.code))
        yield Triple(subject, node(S + "spatialCoverage"), country)
        yield from _assignment(
            subject,
            f"{iri}#country-{country_tag.code}",
            HIK + "CountryMention",
            HIK + "assignedCountry",
            country,
            country_tag.evidence,
        )


def _assignment(
    article: NamedNode,
    iri: str,
    kind: str,
    target_property: str,
    target: NamedNode,
    evidence: Iterable[Evidence],
) -> Iterator[Triple]:
    subject = node(iri)
    yield Triple(article, node(HIK + "assignment"), subject)
    yield Triple(subject, A, node(kind))
    yield Triple(subject, node(HIK + "assignedTo"), article)
    yield Triple(subject, node(target_property), target)
    explanation = []
    for item in evidence:
        rule, matched = item.rule, item.matched
        yield Triple(subject, node(HIK + "rule"), _string(rule))
        yield Triple(subject, node(HIK + "matchedText"), _string(matched))
        explanation.append(f"{matched!r} by rule {rule}")
    if explanation:
        yield Triple(
            subject, node(HIK + "explanation"), Literal("; ".join(explanation), language="en")
        )


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
