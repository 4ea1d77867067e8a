"""Score a classifier against human labels (``data/labels/*.csv``).

A label file has the columns ``headline``, ``topics``, ``countries`` and ``language``
(space-separated topic ids and ISO codes, possibly empty) and optionally ``split``
(``tune``/``holdout`` in the seed labels, ``batch1``…``batch3`` in the unseen ones,
``train2026``/``train2026b``/``train2026c``/``train2026d`` in train-2026.csv,
train-2026b.csv, train-2026c.csv and train-2026d.csv, ``batch4``…``batch16`` in the spent
sealed sets);
other columns (``line``, ``note``) are ignored. Topics and countries are scored as
multi-label sets: per label precision, recall and F1, and micro-averaged F1 over all
(headline, label) pairs. How the labels were made is in ``docs/labelling-guide.md``.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from hikgraph.classify import Classification

REQUIRED_COLUMNS = ("headline", "topics", "countries", "language")
# A sealed test set is scored exactly once, at the end, by whoever sealed it; nothing
# that walks the labels folder (training, tuning, `hikgraph stats --topics`) may read it.
SEALED_PREFIX = "sealed-"
# Sealed sets already scored (once) and since trained on (batch4 and batch5 in round 6,
# batch6 in round 7, batch7 in round 8, batch8 in round 9, batch9 and batch10 in round
# 11, batch11 and batch12 in round 12, batch13 to batch16 in round 13), each with its
# split and the commit and score of its one scoring: named one by one, never by the
# prefix, so that a new sealed set is still left out of every listing.
_SPENT = (
    ("sealed-batch4.csv", "batch4", "6cfa8b7: topics 0.890"),
    ("sealed-batch5.csv", "batch5", "f1278d7: topics 0.819, countries 0.957"),
    ("sealed-batch6.csv", "batch6", "54a1c25: topics 0.880, countries 0.947"),
    ("sealed-batch7.csv", "batch7", "70041ba: topics 0.888, countries 0.948"),
    ("sealed-batch8.csv", "batch8", "0e81383: topics 0.887, countries 0.963"),
    ("sealed-batch9.csv", "batch9", "fbb8e84: topics 0.891, countries 0.965"),
    ("sealed-batch10.csv", "batch10", "8b8cfd9: topics 0.895, countries 0.952"),
    ("sealed-batch11.csv", "batch11", "d944fb2: topics 0.895, countries 0.954"),
    ("sealed-batch12.csv", "batch12", "d944fb2: topics 0.845, countries 0.921"),
    ("sealed-batch13.csv", "batch13", "e73fc7c: topics 0.921, countries 0.960"),
    ("sealed-batch14.csv", "batch14", "e73fc7c: topics 0.916, countries 0.945"),
    ("sealed-batch15.csv", "batch15", "7e2c71a: topics 0.871, countries 0.939"),
    ("sealed-batch16.csv", "batch16", "7e2c71a: topics 0.890, countries 0.958"),
)
SPENT_SEALED = tuple(name for name, _, _ in _SPENT)
# Sealed sets scored once and not trained on (yet): the same record.
_SCORED = (
    ("sealed-batch17.csv", "batch17", "39f1dbb (topics 0.914, countries 0.959, language 0.995)"),
    ("sealed-batch18.csv", "batch18", "39f1dbb (topics 0.921, countries 0.944, language 0.990)"),
)


# What each labelled split is to the classifier now (docs/labelling-guide.md, section 5):
# every split in data/labels/ has trained the topic model, so none of them is an honest
# estimate any more; the honest figures are the grouped cross-validation recorded in
# data/topic-model.json and, once, the sealed test set.
SPLIT_ROLES = {
    ("seed.csv", "tune"): "training: rules tuned on it, model trained on it",
    ("seed.csv", "holdout"): "training: rules looked at it, model trained on it",
    ("unseen.csv", "batch1"): "training: rules looked at it, model trained on it",
    ("unseen.csv", "batch2"): "training: model trained on it (rules scored it once)",
    ("unseen.csv", "batch3"): "training: model trained on it "
    "(the last round's sealed test: topics 0.720 when scored once)",
    ("train-2026.csv", "train2026"): "training: model trained on it",
    ("train-2026b.csv", "train2026b"): "training: model trained on it",
    ("train-2026c.csv", "train2026c"): "training: model trained on it",
    ("train-2026d.csv", "train2026d"): "training: model trained on it",
    **{
        (name, split): f"training: model trained on it (a spent sealed set, scored once at {at})"
        for name, split, at in _SPENT
    },
    **{
        (name, split): f"a spent sealed set, not trained on: scored once at {at}"
        for name, split, at in _SCORED
    },
}
SEALED_ROLE = "sealed test set: the honest estimate, to be scored once"


def split_role(labels_csv: Path | str, split: str | None) -> str:
    """Return what a labelled split is to the classifier: training data (and how it was
    used) or the sealed test set; "not used in training" for any other split."""
    name = Path(labels_csv).name
    known = SPLIT_ROLES.get((name, split or ""))
    if known is not None:
        return known
    if name.startswith(SEALED_PREFIX):
        return SEALED_ROLE
    return "not used in training"


def label_files(labels_dir: Path, *, include_sealed: bool = False) -> list[Path]:
    """Return the label CSVs of *labels_dir*, sorted by name, without the sealed test
    sets (``sealed-*.csv``) unless *include_sealed* is true; the spent ones that are
    training data now (:data:`SPENT_SEALED`) are always listed. Raises nothing; a
    missing folder gives an empty list."""
    return sorted(
        path
        for path in Path(labels_dir).glob("*.csv")
        if include_sealed or not path.name.startswith(SEALED_PREFIX) or path.name in SPENT_SEALED
    )


class _Classifies(Protocol):
    def classify(self, headline: str) -> Classification: ...


@dataclass(frozen=True)
class LabelledHeadline:
    """One human-labelled headline."""

    headline: str
    topics: frozenset[str]
    countries: frozenset[str]
    language: str
    split: str
    line: int  # line of the label file (for finding the row again)


@dataclass(frozen=True)
class Score:
    """Counts and scores of one label (or of all labels, micro-averaged)."""

    label: str
    true_positives: int
    false_positives: int
    false_negatives: int

    @property
    def support(self) -> int:
        """Return how many headlines carry the label in the human labels."""
        return self.true_positives + self.false_negatives

    @property
    def precision(self) -> float:
        """Return TP / (TP + FP); 1.0 when nothing was predicted."""
        predicted = self.true_positives + self.false_positives
        return self.true_positives / predicted if predicted else 1.0

    @property
    def recall(self) -> float:
        """Return TP / (TP + FN); 1.0 when there was nothing to find."""
        return self.true_positives / self.support if self.support else 1.0

    @property
    def f1(self) -> float:
        """Return the harmonic mean of precision and recall (1.0 when both sides are empty)."""
        denominator = 2 * self.true_positives + self.false_positives + self.false_negatives
        return 2 * self.true_positives / denominator if denominator else 1.0


@dataclass(frozen=True)
class Mistake:
    """A headline where the classifier and the human labels disagree."""

    headline: str
    line: int
    missing_topics: tuple[str, ...]
    extra_topics: tuple[str, ...]
    missing_countries: tuple[str, ...]
    extra_countries: tuple[str, ...]
    expected_language: str
    language: str


@dataclass(frozen=True)
class EvaluationReport:
    """The scores of one classifier on one label file (or one split of it)."""

    source: str
    split: str | None
    headlines: int
    topics: tuple[Score, ...]  # one per topic id, sorted
    topics_micro: Score
    countries: tuple[Score, ...]  # one per code seen in labels or predictions, sorted
    countries_micro: Score
    language_correct: int
    mistakes: tuple[Mistake, ...]

    @property
    def language_accuracy(self) -> float:
        """Return the share of headlines whose language tag is right (1.0 when empty)."""
        return self.language_correct / self.headlines if self.headlines else 1.0


def read_labels(labels_csv: Path, split: str | None = None) -> tuple[LabelledHeadline, ...]:
    """Return the labelled headlines of *labels_csv*, only those of *split* if given.

    Raises ValueError naming the file and line for a missing column or an empty
    headline, and when *split* is given but no row has it.
    """
    path = Path(labels_csv)
    rows: list[LabelledHeadline] = []
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{path}:1: missing column(s) {', '.join(missing)}")
        for row in reader:
            if not (row.get("headline") or "").strip():
                raise ValueError(f"{path}:{reader.line_num}: empty headline")
            row_split = (row.get("split") or "").strip()
            if split is not None and row_split != split:
                continue
            rows.append(
                LabelledHeadline(
                    headline=row["headline"],
                    topics=frozenset((row["topics"] or "").split()),
                    countries=frozenset((row["countries"] or "").split()),
                    language=(row["language"] or "").strip(),
                    split=row_split,
                    line=reader.line_num,
                )
            )
    if split is not None and not rows:
        raise ValueError(f"{path}: no row has split {split!r}")
    return tuple(rows)


def evaluate(
    classifier: _Classifies, labels_csv: Path, split: str | None = None
) -> EvaluationReport:
    """Return the scores of *classifier* on the headlines of *labels_csv* (one *split*).

    Topic scores cover every topic id seen in the labels or the predictions; country
    scores likewise. Raises ValueError as :func:`read_labels` does.
    """
    labelled = read_labels(labels_csv, split)
    counts: dict[str, dict[str, list[int]]] = {"topics": {}, "countries": {}}
    mistakes: list[Mistake] = []
    language_correct = 0
    for item in labelled:
        result = classifier.classify(item.headline)
        predicted = {
            "topics": frozenset(tag.topic for tag in result.topics),
            "countries": frozenset(tag.code for tag in result.countries),
        }
        expected = {"topics": item.topics, "countries": item.countries}
        for field in ("topics", "countries"):
            for label in expected[field] | predicted[field]:
                tp_fp_fn = counts[field].setdefault(label, [0, 0, 0])
                if label in expected[field] and label in predicted[field]:
                    tp_fp_fn[0] += 1
                elif label in predicted[field]:
                    tp_fp_fn[1] += 1
                else:
                    tp_fp_fn[2] += 1
        language_correct += result.language == item.language
        if predicted != expected or result.language != item.language:
            mistakes.append(
                Mistake(
                    headline=item.headline,
                    line=item.line,
                    missing_topics=tuple(sorted(item.topics - predicted["topics"])),
                    extra_topics=tuple(sorted(predicted["topics"] - item.topics)),
                    missing_countries=tuple(sorted(item.countries - predicted["countries"])),
                    extra_countries=tuple(sorted(predicted["countries"] - item.countries)),
                    expected_language=item.language,
                    language=result.language,
                )
            )

    def scores(field: str) -> tuple[tuple[Score, ...], Score]:
        per_label = tuple(Score(label, *counts[field][label]) for label in sorted(counts[field]))
        micro = Score(
            "micro",
            sum(s.true_positives for s in per_label),
            sum(s.false_positives for s in per_label),
            sum(s.false_negatives for s in per_label),
        )
        return per_label, micro

    topic_scores, topics_micro = scores("topics")
    country_scores, countries_micro = scores("countries")
    return EvaluationReport(
        source=str(labels_csv),
        split=split,
        headlines=len(labelled),
        topics=topic_scores,
        topics_micro=topics_micro,
        countries=country_scores,
        countries_micro=countries_micro,
        language_correct=language_correct,
        mistakes=tuple(mistakes),
    )


def format_report(report: EvaluationReport, mistakes: bool = False) -> str:
    """Return *report* as a plain-text table (and its mistakes, if asked)."""
    name = Path(report.source).name + (f" [{report.split}]" if report.split else "")
    lines = [
        f"{name}: {report.headlines} headlines ({split_role(report.source, report.split)})",
        f"{'topic':<20} {'P':>6} {'R':>6} {'F1':>6} {'TP':>4} {'FP':>4} {'FN':>4}",
    ]
    for score in (*report.topics, report.topics_micro):
        lines.append(_row(score))
    country = report.countries_micro
    lines += [
        _row(Score("countries micro", *_counts(country))),
        f"{'language accuracy':<20} {report.language_accuracy:>6.3f} "
        f"({report.language_correct}/{report.headlines})",
    ]
    if mistakes:
        for m in report.mistakes:
            parts = []
            for sign, values in (
                ("-", m.missing_topics),
                ("+", m.extra_topics),
                ("-", m.missing_countries),
                ("+", m.extra_countries),
            ):
                parts += [sign + v for v in values]
            if m.language != m.expected_language:
                parts.append(f"lang {m.language}≠{m.expected_language}")
            lines.append(f"  line {m.line}: {' '.join(parts)}  | {m.headline}")
    return "\n".join(lines)


def _counts(score: Score) -> tuple[int, int, int]:
    return score.true_positives, score.false_positives, score.false_negatives


def _row(score: Score) -> str:
    return (
        f"{score.label:<20} {score.precision:>6.3f} {score.recall:>6.3f} {score.f1:>6.3f} "
        f"{score.true_positives:>4} {score.false_positives:>4} {score.false_negatives:>4}"
    )
