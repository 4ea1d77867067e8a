"""Scoring, the label files themselves, and the accuracy the classifier reaches on them.

Figures and their history (which splits were looked at before a rule change, which
ones the topic model was trained on) are in docs/labelling-guide.md, section 5. Every
split in data/labels/ now trains the topic model, so the figures asserted here are
in-sample floors; the honest estimate is the grouped cross-validation that
tools/train_topic_model.py records in data/topic-model.json (and the sealed test set,
which no test reads).
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from hikgraph.classify import Classification, Classifier, CountryTag, Evidence, TopicTag
from hikgraph.directory import read_directory
from hikgraph.evaluation import (
    EvaluationReport,
    evaluate,
    format_report,
    label_files,
    read_labels,
    split_role,
)

from conftest import LABELS, MODEL, ROOT, SOURCE

SEED = LABELS / "seed.csv"
UNSEEN = LABELS / "unseen.csv"
TRAIN = LABELS / "train-2026.csv"


class _Fixed:
    """A stand-in classifier that answers from a table."""

    def __init__(self, answers: dict[str, tuple[str, str, str]]) -> None:
        self.answers = answers

    def classify(self, headline: str) -> Classification:
        topics, countries, language = self.answers[headline]
        evidence = (Evidence("test/term/x", headline[:1]),)
        return Classification(
            language,
            tuple(TopicTag(t, evidence) for t in topics.split()),
            tuple(CountryTag(c, evidence) for c in countries.split()),
        )


def _write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    return Classifier.load(
        ROOT / "ontology" / "topics.ttl",
        ROOT / "data" / "country-terms.csv",
        ROOT / "data" / "language-words.csv",
    )


@pytest.fixture(scope="module")
def reports(classifier: Classifier) -> dict[str, EvaluationReport]:
    return {
        "tune": evaluate(classifier, SEED, "tune"),
        "holdout": evaluate(classifier, SEED, "holdout"),
        "batch1": evaluate(classifier, UNSEEN, "batch1"),
        "batch2": evaluate(classifier, UNSEEN, "batch2"),
        "batch3": evaluate(classifier, UNSEEN, "batch3"),
        "train2026": evaluate(classifier, TRAIN, "train2026"),
    }


@pytest.fixture(scope="module")
def rules_reports(classifier: Classifier) -> dict[str, EvaluationReport]:
    rules = classifier.without_model()
    return {
        "batch3": evaluate(rules, UNSEEN, "batch3"),
        "train2026": evaluate(rules, TRAIN, "train2026"),
    }


# --- scoring ----------------------------------------------------------------------------


def test_scores_count_pairs_and_micro_average(tmp_path: Path) -> None:
    labels = _write(
        tmp_path / "labels.csv",
        [
            ["headline", "topics", "countries", "language", "split"],
            ["a", "sanctions investment", "US", "en", "x"],
            ["b", "sanctions", "", "it", "x"],
            ["c", "", "GB", "en", "y"],
        ],
    )
    fake = _Fixed(
        {
            "a": ("sanctions", "US CN", "en"),
            "b": ("sanctions lobbying", "", "en"),
            "c": ("", "GB", "en"),
        }
    )
    report = evaluate(fake, labels)
    by_topic = {s.label: s for s in report.topics}
    assert (by_topic["sanctions"].true_positives, by_topic["sanctions"].false_positives) == (2, 0)
    assert by_topic["investment"].recall == 0.0
    assert by_topic["lobbying"].precision == 0.0
    micro = report.topics_micro
    assert (micro.true_positives, micro.false_positives, micro.false_negatives) == (2, 1, 1)
    assert micro.f1 == pytest.approx(2 / 3)
    assert report.countries_micro.precision == pytest.approx(2 / 3)
    assert report.language_accuracy == pytest.approx(2 / 3)
    assert [m.headline for m in report.mistakes] == ["a", "b"]
    assert evaluate(fake, labels, "y").headlines == 1


def test_empty_label_and_prediction_score_as_perfect(tmp_path: Path) -> None:
    labels = _write(
        tmp_path / "labels.csv",
        [["headline", "topics", "countries", "language"], ["a", "", "", "en"]],
    )
    report = evaluate(_Fixed({"a": ("", "", "en")}), labels)
    assert report.topics_micro.f1 == 1.0 and report.countries_micro.f1 == 1.0
    assert report.mistakes == ()


def test_format_report_is_a_plain_text_table(reports: dict[str, EvaluationReport]) -> None:
    text = format_report(reports["holdout"], mistakes=True)
    assert text.splitlines()[0] == (
        "seed.csv [holdout]: 61 headlines (training: rules looked at it, model trained on it)"
    )
    assert any(line.startswith("micro ") for line in text.splitlines())
    assert "countries micro" in text and "language accuracy" in text


def test_bad_label_files_raise_value_error(tmp_path: Path) -> None:
    missing = _write(tmp_path / "a.csv", [["headline", "topics", "language"], ["x", "", "en"]])
    with pytest.raises(ValueError, match=r"a\.csv:1: missing column\(s\) countries"):
        read_labels(missing)
    empty = _write(
        tmp_path / "b.csv", [["headline", "topics", "countries", "language"], ["", "", "", "en"]]
    )
    with pytest.raises(ValueError, match=r"b\.csv:2: empty headline"):
        read_labels(empty)
    with pytest.raises(ValueError, match="no row has split 'nope'"):
        read_labels(SEED, "nope")


def test_label_files_leave_out_sealed_test_sets(tmp_path: Path) -> None:
    # A sealed test set is scored once, at the end: walking the labels folder (stats
    # --topics, training) must never reach it unless asked by name.
    header = [["headline", "topics", "countries", "language"]]
    for name in ("seed.csv", "sealed-batch99.csv", "train-2026.csv", "notes.txt"):
        _write(tmp_path / name, header)
    assert [p.name for p in label_files(tmp_path)] == ["seed.csv", "train-2026.csv"]
    assert [p.name for p in label_files(tmp_path, include_sealed=True)] == [
        "sealed-batch99.csv",
        "seed.csv",
        "train-2026.csv",
    ]
    # A spent sealed set, named one by one, is training data now and always listed.
    _write(tmp_path / "sealed-batch5.csv", header)
    assert [p.name for p in label_files(tmp_path)] == [
        "sealed-batch5.csv",
        "seed.csv",
        "train-2026.csv",
    ]


def test_stats_quality_never_reads_a_sealed_file(tmp_path: Path) -> None:
    from hikgraph.stats import classifier_quality

    header = ["headline", "topics", "countries", "language", "split"]
    _write(tmp_path / "a.csv", [header, ["Hikvision shares fall", "investment", "", "en", "x"]])
    # Malformed on purpose: reading it would raise ValueError.
    _write(tmp_path / "sealed-batch99.csv", [["nothing", "here"], ["", ""]])
    reports = classifier_quality(tmp_path)
    assert [(Path(r.source).name, r.split) for r in reports] == [("a.csv", "x")]
    assert split_role(reports[0].source, "x") == "not used in training"
    # Asked for, the sealed sets are read (and a malformed one is an error, not skipped).
    with pytest.raises(ValueError, match=r"sealed-batch99\.csv"):
        classifier_quality(tmp_path, sealed=True)
    _write(
        tmp_path / "sealed-batch99.csv",
        [header, ["Hikvision profit falls", "investment", "", "en", "batch99"]],
    )
    sealed = classifier_quality(tmp_path, sealed=True)
    assert [Path(r.source).name for r in sealed] == ["a.csv", "sealed-batch99.csv"]
    assert split_role(sealed[1].source, "batch99").startswith("sealed test set")


def test_stats_topics_marks_every_split_and_reads_no_sealed_file() -> None:
    import json

    from click.testing import CliRunner

    from hikgraph.cli import main

    result = CliRunner().invoke(main, ["stats", "--topics", "--format", "json"])
    assert result.exit_code == 0, result.output
    quality = json.loads(result.output)["classifier_quality"]
    found = {(Path(q["labels"]).name, q["split"]): q["role"] for q in quality}
    assert found[("train-2026.csv", "train2026")] == "training: model trained on it"
    assert found[("train-2026b.csv", "train2026b")] == "training: model trained on it"
    assert found[("train-2026c.csv", "train2026c")] == "training: model trained on it"
    assert found[("train-2026d.csv", "train2026d")] == "training: model trained on it"
    assert found[("unseen.csv", "batch3")].startswith("training: model trained on it")
    assert found[("seed.csv", "tune")].startswith("training: rules tuned on it")
    # The spent sealed sets are training data (rounds 6 to 13); no other sealed file is
    # read (batch17 and batch18, scored once at 39f1dbb, are not trained on).
    spent = (
        ("sealed-batch4.csv", "batch4"),
        ("sealed-batch5.csv", "batch5"),
        ("sealed-batch6.csv", "batch6"),
        ("sealed-batch7.csv", "batch7"),
        ("sealed-batch8.csv", "batch8"),
        ("sealed-batch9.csv", "batch9"),
        ("sealed-batch10.csv", "batch10"),
        ("sealed-batch11.csv", "batch11"),
        ("sealed-batch12.csv", "batch12"),
        ("sealed-batch13.csv", "batch13"),
        ("sealed-batch14.csv", "batch14"),
        ("sealed-batch15.csv", "batch15"),
        ("sealed-batch16.csv", "batch16"),
    )
    for name, split in spent:
        assert found[(name, split)].startswith("training: model trained on it (a spent sealed")
    assert {name for name, _ in found if name.startswith("sealed-")} == {name for name, _ in spent}


# --- the label files ----------------------------------------------------------------------


def test_seed_labels_cover_every_entry_of_the_directory(classifier: Classifier) -> None:
    entries = read_directory(SOURCE).entries
    with SEED.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [(int(r["line"]), r["headline"]) for r in rows] == [
        (e.line, e.headline) for e in entries
    ]
    assert [r["split"] for r in rows] == [
        "holdout" if i % 3 == 2 else "tune" for i in range(len(rows))
    ]


@pytest.mark.parametrize("labels", [SEED, UNSEEN, TRAIN], ids=["seed", "unseen", "train2026"])
def test_labels_use_known_ids_sorted(classifier: Classifier, labels: Path) -> None:
    with (ROOT / "data" / "countries.csv").open(encoding="utf-8") as handle:
        codes = {row["code"] for row in csv.DictReader(handle)}
    for item in read_labels(labels):
        assert item.topics <= set(classifier.topic_ids()), item
        assert item.countries <= codes, item
        assert item.language in {"en", "it", "fr", "de", "nl", "es", "pt"}, item
    with labels.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            for field in ("topics", "countries"):
                assert row[field].split() == sorted(row[field].split()), row


def test_unseen_labels_are_many_and_varied() -> None:
    items = read_labels(UNSEEN)
    assert len(items) >= 80
    assert {i.split for i in items} == {"batch1", "batch2", "batch3"}
    assert len({i.language for i in items}) >= 5
    assert any(not i.topics for i in items) and any(not i.countries for i in items)


def test_training_labels_are_many_varied_and_cover_every_topic(classifier: Classifier) -> None:
    items = read_labels(TRAIN)
    assert len(items) >= 500 and {i.split for i in items} == {"train2026"}
    for topic in classifier.topic_ids():
        assert sum(topic in i.topics for i in items) >= 30, topic
    assert sum(not i.topics for i in items) >= 15
    assert sum(len(i.countries) >= 2 for i in items) >= 15
    languages = [i.language for i in items]
    assert {"it", "fr", "de", "es", "nl", "pt"} <= set(languages)
    assert 0.08 <= sum(lang != "en" for lang in languages) / len(languages) <= 0.2
    with TRAIN.open(encoding="utf-8") as handle:
        notes = [row["note"] for row in csv.DictReader(handle)]
    assert all(note.split(";")[0].strip() for note in notes)  # the event key groups folds


# --- accuracy -------------------------------------------------------------------------------


SPLITS = ["tune", "holdout", "batch1", "batch2", "batch3", "train2026"]


@pytest.mark.parametrize("split", SPLITS)
def test_countries_reach_the_target(reports: dict[str, EvaluationReport], split: str) -> None:
    # Reached honestly at each split's first look: ≥ 0.97 on holdout, batch1 and
    # batch2, 0.946 on batch3, 0.981 on train2026 (before the country terms were
    # extended from its misses). The topic model does not touch countries.
    assert reports[split].countries_micro.f1 >= 0.90


@pytest.mark.parametrize("split", SPLITS)
def test_language_tags(reports: dict[str, EvaluationReport], split: str) -> None:
    assert reports[split].language_accuracy >= 0.95


@pytest.mark.parametrize(
    ("split", "floor"),
    # Measured levels (rules + topic model), held as regression floors. The topic model
    # is trained on every split, so all of these are in-sample (0.99, 1.00, 0.99, 0.98,
    # 0.97, 0.97). At their first look, before training on them, batch3 scored 0.720
    # and train2026 0.764 (docs/labelling-guide.md, section 5).
    [
        ("tune", 0.97),
        ("holdout", 0.98),
        ("batch1", 0.97),
        ("batch2", 0.96),
        ("batch3", 0.95),
        ("train2026", 0.95),
    ],
)
def test_topics_hold_their_measured_level(
    reports: dict[str, EvaluationReport], split: str, floor: float
) -> None:
    assert reports[split].topics_micro.f1 >= floor


@pytest.mark.parametrize("split", ["batch3", "train2026"])
def test_topic_model_only_adds_recall(
    reports: dict[str, EvaluationReport],
    rules_reports: dict[str, EvaluationReport],
    split: str,
) -> None:
    # The model may only add topics: recall cannot fall below the rules' own.
    full, rules = reports[split].topics_micro, rules_reports[split].topics_micro
    assert full.true_positives >= rules.true_positives
    assert full.recall > rules.recall


def test_cross_validation_is_recorded_with_the_model() -> None:
    # The figures the training tool measured, kept with the weights they describe.
    import json

    cv = json.loads(MODEL.read_text(encoding="utf-8"))["training"]["cross_validation"]
    # Chosen on the outside annotators' splits since round 11 (tools/train_topic_model.py).
    assert cv["scored_splits"] == [
        "batch5",
        "batch6",
        "batch7",
        "batch8",
        "batch9",
        "batch10",
        "batch11",
        "batch12",
        "batch13",
        "batch14",
        "batch15",
        "batch16",
        "train2026c",
        "train2026d",
    ]
    assert cv["scored_headlines"] == 3200
    assert cv["rules+model"] > cv["previous_design"]["rules+model"] > cv["rules_alone"]


def test_topics_reach_the_target_in_cross_validation() -> None:
    # Grouped cross-validation, rules ∪ model on held-out folds of the outside annotators'
    # splits (3,200 headlines since round 13). It was an expected failure until round 12
    # (0.899). The figure is a little optimistic: the rule-word fixes of rounds 4, 9, 11
    # and 12 were read off errors on all labels; the sealed sets are the honest estimate
    # (docs/labelling-guide.md, section 5). The nested figure chooses each fold's
    # threshold on the other folds only.
    import json

    cv = json.loads(MODEL.read_text(encoding="utf-8"))["training"]["cross_validation"]
    assert cv["rules+model"] >= 0.90
    assert cv["rules+model_nested_threshold"] >= 0.90


def test_a_spent_sealed_set_is_not_called_an_honest_estimate() -> None:
    from hikgraph.evaluation import SEALED_ROLE, split_role

    assert split_role("data/labels/sealed-batch4.csv", "batch4").startswith(
        "training: model trained on it (a spent sealed set"
    )
    assert split_role("data/labels/sealed-batch99.csv", "batch99") == SEALED_ROLE
    assert split_role("data/labels/other.csv", "x") == "not used in training"
