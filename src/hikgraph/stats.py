"""Counts over the built graph, read back from the N-Triples export with SPARQL.

The figures come from the graph, not from the parser's records, so they are what a
user querying the published dump would see.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pyoxigraph import QuerySolutions, RdfFormat, Store

if TYPE_CHECKING:
    from hikgraph.evaluation import EvaluationReport, Score

_PREFIXES = """
PREFIX schema: <http://schema.org/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX hik: <https://w3id.org/hikgraph/ontology#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
PREFIX cito: <http://purl.org/spar/cito/>
"""


@dataclass(frozen=True)
class GraphStats:
    """The headline figures of a built graph."""

    triples: int
    entries: int
    entries_without_outlet: int
    months: int
    first_month: str | None
    last_month: str | None
    outlets: int
    unreviewed_outlets: list[str]
    coverage_reports: int
    citing_reports: int
    countries: int
    entries_per_topic: dict[str, int]
    untagged_entries: list[str]

    def as_dict(self) -> dict[str, object]:
        """Return the figures as plain JSON-ready values."""
        return asdict(self)


def load_store(path: Path) -> Store:
    """Return an in-memory Oxigraph store holding the N-Triples file at *path*.

    Raises ValueError naming the file when it is missing or does not parse.
    """
    if not path.is_file():
        raise ValueError(f"{path}: no such file (run `hikgraph build` first)")
    store = Store()
    try:
        store.bulk_load(path=str(path), format=RdfFormat.N_TRIPLES)
    except SyntaxError as error:
        raise ValueError(f"{path}: {error}") from None
    return store


def select_values(store: Store, query: str) -> list[list[str]]:
    """Return the solutions of the SELECT *query* on *store* as rows of lexical
    values ("" where a variable is unbound)."""
    solutions = store.query(query)
    assert isinstance(solutions, QuerySolutions)
    return [[term.value if term is not None else "" for term in row] for row in solutions]


def graph_stats(store: Store) -> GraphStats:
    """Return the :class:`GraphStats` of the graph in *store*."""

    def rows(query: str) -> list[list[str]]:
        return select_values(store, _PREFIXES + query)

    def count(variable: str, pattern: str) -> int:
        query = f"SELECT (COUNT(DISTINCT {variable}) AS ?n) WHERE {{ {pattern} }}"
        return int(rows(query)[0][0])

    entry = "?e a schema:CreativeWork ; schema:datePublished ?m ."
    first, last = rows(f"SELECT (MIN(STR(?m)) AS ?a) (MAX(STR(?m)) AS ?b) WHERE {{ {entry} }}")[0]
    per_topic = rows(
        """SELECT ?id (COUNT(?e) AS ?n) WHERE {
             ?t a skos:Concept . BIND(REPLACE(STR(?t), "^.*/", "") AS ?id)
             OPTIONAL { ?e a schema:CreativeWork ; schema:about ?t }
           } GROUP BY ?id ORDER BY ?id"""
    )
    unreviewed = rows(
        'SELECT ?name WHERE { ?o hik:reviewed "false"^^xsd:boolean ; schema:name ?name } '
        "ORDER BY ?name"
    )
    untagged = rows(
        "SELECT ?h WHERE { ?e a schema:CreativeWork ; schema:headline ?h ; hik:sourceLine ?l "
        "FILTER NOT EXISTS { ?e schema:about ?t } } ORDER BY ?l"
    )
    return GraphStats(
        triples=len(store),
        entries=count("?e", entry),
        entries_without_outlet=count(
            "?e", "?e a schema:CreativeWork FILTER NOT EXISTS { ?e schema:publisher ?o }"
        ),
        months=count("?m", entry),
        first_month=first or None,
        last_month=last or None,
        outlets=count("?o", "?e a schema:CreativeWork ; schema:publisher ?o"),
        unreviewed_outlets=[name for (name,) in unreviewed],
        coverage_reports=count("?r", "?d schema:hasPart ?x ; cito:cites ?r"),
        citing_reports=count("?r", "?r cito:cites ?d . ?d schema:hasPart ?x"),
        countries=count("?c", "?c a schema:Country"),
        entries_per_topic={topic: int(n) for topic, n in per_topic},
        untagged_entries=[headline for (headline,) in untagged],
    )


def format_stats(stats: GraphStats) -> str:
    """Return *stats* as the plain-text report `hikgraph stats` prints."""
    lines = [
        f"triples                 {stats.triples}",
        f"entries                 {stats.entries}"
        f" ({stats.entries_without_outlet} without an outlet)",
        f"months                  {stats.months} ({stats.first_month} … {stats.last_month})",
        f"outlets                 {stats.outlets}",
        f"unreviewed outlet names {len(stats.unreviewed_outlets)}"
        + (": " + ", ".join(stats.unreviewed_outlets) if stats.unreviewed_outlets else ""),
        f"IPVM coverage reports   {stats.coverage_reports}",
        f"reports citing it       {stats.citing_reports}",
        f"countries               {stats.countries}",
        "entries per topic:",
        *(f"  {topic:<20} {count}" for topic, count in stats.entries_per_topic.items()),
        f"untagged entries        {len(stats.untagged_entries)}",
        *(f"  {headline}" for headline in stats.untagged_entries),
    ]
    return "\n".join(lines)


def classifier_quality(labels_dir: Path, *, sealed: bool = False) -> list[EvaluationReport]:
    """Return the classifier's scores against every label file in *labels_dir*, one
    report per split of each file (``seed.csv`` tune/holdout, ``unseen.csv`` batches,
    ``train-2026.csv``); the sealed test sets (``sealed-*.csv``) only if *sealed*,
    except the spent ones trained on since (:data:`hikgraph.evaluation.SPENT_SEALED`),
    always.

    Raises ValueError naming the file when a label file is malformed.
    """
    from hikgraph.classify import default_classifier
    from hikgraph.evaluation import evaluate, label_files, read_labels

    classifier = default_classifier()
    reports = []
    for path in label_files(labels_dir, include_sealed=sealed):
        for split in sorted({labelled.split for labelled in read_labels(path)}):
            reports.append(evaluate(classifier, path, split or None))
    return reports


def quality_as_dict(report: EvaluationReport) -> dict[str, object]:
    """Return the headline figures of *report* as JSON-ready values."""

    def score(s: Score) -> dict[str, float | int]:
        return {
            "precision": round(s.precision, 4),
            "recall": round(s.recall, 4),
            "f1": round(s.f1, 4),
            "support": s.support,
        }

    from hikgraph.evaluation import split_role

    return {
        "labels": report.source,
        "split": report.split,
        "role": split_role(report.source, report.split),
        "headlines": report.headlines,
        "topics_micro": score(report.topics_micro),
        "topics": {s.label: score(s) for s in report.topics},
        "countries_micro": score(report.countries_micro),
        "language_accuracy": round(report.language_accuracy, 4),
    }
