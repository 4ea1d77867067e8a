"""The topic model: loading its file (and clear errors), scoring, evidence, determinism,
and that it only ever adds topics to the rules' ones."""

from __future__ import annotations

import csv
import json
import random
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from hikgraph.classify import Classifier
from hikgraph.classify_rules import normalise
from hikgraph.evaluation import SPENT_SEALED
from hikgraph.topic_model import FORMAT, TopicModel, features, stemmer_function

from conftest import LABELS, MODEL, ROOT, TERMS, TOPICS, WORDS


def _tiny(**changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "format": FORMAT,
        "stemmer": "english",
        "ngrams": 2,
        "threshold": 0.5,
        "evidence": 2,
        "topics": {
            "sanctions": {"intercept": -2.0, "weights": {"blacklist": 1.5, "trade war": 2.5}},
            "lobbying": {"intercept": -3.0, "weights": {"lobbyist": 4.0, "the": 0.5}},
        },
    }
    document.update(changes)
    return document


def _write(tmp_path: Path, document: Any, name: str = "model.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(document, indent=1), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    return Classifier.load(TOPICS, TERMS, WORDS, MODEL)


def _headlines() -> list[str]:
    headlines = []
    for name in ("seed.csv", "unseen.csv", "train-2026.csv", "train-2026b.csv"):
        with (LABELS / name).open(encoding="utf-8") as handle:
            headlines += [row["headline"] for row in csv.DictReader(handle)]
    return headlines


# --- features and scoring --------------------------------------------------------------


def test_features_are_stems_and_adjacent_pairs_with_spans() -> None:
    headline, _, lowered = normalise("U.S. trade-war hits Hikvision's exports")
    found = features(lowered, stemmer_function("english"), 2)
    names = [f.name for f in found]
    # One-letter pieces ("U", "S", "'s") and digits make no feature.
    assert names[:4] == ["trade", "war", "hit", "hikvis"]
    assert "trade war" in names and "war hit" in names
    pair = next(f for f in found if f.name == "trade war")
    assert headline[pair.start : pair.end] == "trade-war"


def test_prefix_features_follow_each_longer_word() -> None:
    # The first letters of a longer word carry a topic across inflections and languages
    # ("sanzioni", "sanctions", "sanktionen" share "san*" only at prefix 3).
    _, _, lowered = normalise("Sanzioni contro Hikvision: US trade-war")
    found = features(lowered, stemmer_function("english"), 2, prefix=4)
    names = [f.name for f in found]
    assert names[:4] == ["sanzioni", "sanz*", "contro", "cont*"]
    assert "us" in names and "us*" not in names  # a word, but not longer than 4 letters
    assert "trad*" in names and "war*" not in names
    assert ("trade war", 30, 39) in [(f.name, f.start, f.end) for f in found]
    assert features(lowered, stemmer_function("english"), 2) == [
        f for f in found if not f.name.endswith("*")
    ]


def test_format_1_files_load_without_prefixes_and_bad_prefixes_are_errors(
    tmp_path: Path,
) -> None:
    old = TopicModel.load(_write(tmp_path, _tiny(format="hikgraph-topic-model/1")))
    assert old.prefix is None
    with_prefix = TopicModel.load(_write(tmp_path, _tiny(prefix=4), "p.json"))
    assert with_prefix.prefix == 4
    for bad in (1, 11, "4", True):
        with pytest.raises(ValueError, match=r"prefix: must be null or a number of letters"):
            TopicModel.load(_write(tmp_path, _tiny(prefix=bad), "bad.json"))


def test_a_prefix_weight_tags_a_word_the_model_never_saw(tmp_path: Path) -> None:
    weights = {"sanc*": 3.0}
    document = _tiny(prefix=4, topics={"sanctions": {"intercept": -1.0, "weights": weights}})
    model = TopicModel.load(_write(tmp_path, document))
    _, _, lowered = normalise("Hikvision sanctionnée")
    (tag,) = model.tags(lowered)
    assert (tag.topic, [(f.name, f.start, f.end) for f in tag.features]) == (
        "sanctions",
        [("sanc*", 10, 21)],
    )


def test_scoring_sums_weights_once_per_feature(tmp_path: Path) -> None:
    model = TopicModel.load(_write(tmp_path, _tiny()))
    _, _, lowered = normalise("Blacklist, blacklisted: the trade war")
    probabilities = model.probabilities(lowered)
    # blacklist (stem of both words, counted once) + trade war + trade/war unknown
    assert probabilities["sanctions"] == pytest.approx(1 / (1 + 2.718281828 ** -(-2.0 + 1.5 + 2.5)))
    tags = model.tags(lowered)
    assert [t.topic for t in tags] == ["sanctions"]
    assert [f.name for f in tags[0].features] == ["trade war", "blacklist"]  # strongest first
    assert model.tags(lowered, skip={"sanctions"}) == []


def test_a_tag_needs_a_feature_that_pushes_it_up(tmp_path: Path) -> None:
    # An intercept above the threshold alone must not tag anything: no evidence.
    model = TopicModel.load(
        _write(tmp_path, _tiny(topics={"lobbying": {"intercept": 3.0, "weights": {"x": -1.0}}}))
    )
    _, _, lowered = normalise("Nothing here")
    assert model.probabilities(lowered)["lobbying"] > 0.9
    assert model.tags(lowered) == []


# --- the model file ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param({"format": "other/1"}, r"model\.json: format: expected", id="format"),
        pytest.param({"stemmer": "klingon"}, r"model\.json: stemmer: must be", id="stemmer"),
        pytest.param({"threshold": 1.5}, r"model\.json: threshold: must be", id="threshold"),
        pytest.param({"threshold": True}, r"model\.json: threshold: must be", id="bool"),
        pytest.param({"ngrams": 0}, r"model\.json: ngrams: must be", id="ngrams"),
        pytest.param({"evidence": 0}, r"model\.json: evidence: must be", id="evidence"),
        pytest.param({"topics": {}}, r"model\.json: topics: must map", id="no-topics"),
        pytest.param(
            {"topics": {"Sanctions": {"intercept": 0, "weights": {}}}},
            r"model\.json: topics\.Sanctions: must be a lowercase topic id",
            id="topic-id",
        ),
        pytest.param(
            {"topics": {"sanctions": {"weights": {}}}},
            r"model\.json: topics\.sanctions\.intercept: must be a number",
            id="intercept",
        ),
        pytest.param(
            {"topics": {"sanctions": {"intercept": 0, "weights": {"ban": "high"}}}},
            r"model\.json: topics\.sanctions\.weights\.ban: must be",
            id="weight",
        ),
        pytest.param(
            {"topics": {"sanctions": {"intercept": 0, "weights": {"trade  war": 1}}}},
            r"model\.json: topics\.sanctions\.weights\.trade  war: must be",
            id="feature-spaces",
        ),
    ],
)
def test_malformed_model_files_raise_value_error_naming_file_and_key(
    tmp_path: Path, change: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        TopicModel.load(_write(tmp_path, _tiny(**change)))


def test_model_file_that_is_not_json_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    path.write_text('{\n "format": "hikgraph-topic-model/1",\n oops\n}\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"model\.json:3: not valid JSON"):
        TopicModel.load(path)


def test_model_topics_must_be_in_the_scheme(tmp_path: Path) -> None:
    document = _tiny(topics={"weather": {"intercept": 0, "weights": {"rain": 1}}})
    with pytest.raises(ValueError, match=r"model\.json: topics: not in the scheme: weather"):
        Classifier.load(TOPICS, TERMS, WORDS, _write(tmp_path, document))


def test_shipped_model_covers_the_scheme_and_is_sorted(classifier: Classifier) -> None:
    document = json.loads(MODEL.read_text(encoding="utf-8"))
    assert sorted(document["topics"]) == list(classifier.topic_ids())
    assert classifier.topic_model is not None
    assert 0.0 < classifier.topic_model.threshold < 1.0
    for body in document["topics"].values():
        weights = list(body["weights"].items())
        assert weights == sorted(weights, key=lambda item: (-item[1], item[0]))
        assert all(abs(w) >= document["training"]["pruned_below"] for _, w in weights)
    # Trained on the named label files only: of the sealed sets, only the spent ones
    # (scored once, then made training data), never a sealed set still to be scored.
    assert document["training"]["data"] == (
        "data/labels/seed.csv, data/labels/unseen.csv, data/labels/train-2026.csv, "
        "data/labels/train-2026b.csv, data/labels/train-2026c.csv, data/labels/train-2026d.csv, "
        "data/labels/sealed-batch4.csv, data/labels/sealed-batch5.csv, "
        "data/labels/sealed-batch6.csv, data/labels/sealed-batch7.csv, "
        "data/labels/sealed-batch8.csv, data/labels/sealed-batch9.csv, "
        "data/labels/sealed-batch10.csv, data/labels/sealed-batch11.csv, "
        "data/labels/sealed-batch12.csv, data/labels/sealed-batch13.csv, "
        "data/labels/sealed-batch14.csv, data/labels/sealed-batch15.csv, "
        "data/labels/sealed-batch16.csv (all rows)"
    )
    named = set(re.findall(r"sealed-[\w-]+\.csv", json.dumps(document["training"])))
    assert named == set(SPENT_SEALED)
    assert named == {
        "sealed-batch4.csv",
        "sealed-batch5.csv",
        "sealed-batch6.csv",
        "sealed-batch7.csv",
        "sealed-batch8.csv",
        "sealed-batch9.csv",
        "sealed-batch10.csv",
        "sealed-batch11.csv",
        "sealed-batch12.csv",
        "sealed-batch13.csv",
        "sealed-batch14.csv",
        "sealed-batch15.csv",
        "sealed-batch16.csv",
    }


# --- the model inside the classifier -----------------------------------------------------


def test_model_only_adds_topics_and_every_model_tag_has_evidence(classifier: Classifier) -> None:
    rules_only = classifier.without_model()
    added = 0
    for headline in _headlines():
        with_model = classifier.classify(headline)
        without = rules_only.classify(headline)
        rule_tags = {t.topic: t for t in without.topics}
        for tag in with_model.topics:
            if tag.topic in rule_tags:
                assert tag == rule_tags[tag.topic]  # the rules' evidence is kept as it was
                continue
            added += 1
            assert tag.evidence and list(tag.evidence) == sorted(tag.evidence)
            for item in tag.evidence:
                assert item.rule.startswith(f"{tag.topic}/model/"), item
                assert item.matched and item.matched in headline
        assert set(rule_tags) <= {t.topic for t in with_model.topics}
        assert with_model.countries == without.countries
        assert with_model.language == without.language
    assert added > 0


def test_model_evidence_names_the_ngram_and_the_exact_words(tmp_path: Path) -> None:
    # Made-up words no rule lists, so the tag can only come from the model.
    weights = {"zorblax gizmo": 3.0, "gizmo": 0.5, "zorblax": -0.2}
    document = _tiny(topics={"lobbying": {"intercept": -1.0, "weights": weights}})
    classifier = Classifier.load(TOPICS, TERMS, WORDS, _write(tmp_path, document))
    result = classifier.classify("Hikvision’s Zorblax-Gizmos Arrive")
    assert [(t.topic, [(e.rule, e.matched) for e in t.evidence]) for t in result.topics] == [
        (
            "lobbying",
            [
                ("lobbying/model/gizmo", "Gizmos"),
                ("lobbying/model/zorblax-gizmo", "Zorblax-Gizmos"),
            ],
        )
    ]


def test_classification_with_the_model_is_deterministic(classifier: Classifier) -> None:
    headlines = _headlines()
    first = [classifier.classify(h) for h in headlines]
    shuffled = list(range(len(headlines)))
    random.Random(3).shuffle(shuffled)
    again = Classifier.load(TOPICS, TERMS, WORDS, MODEL)
    assert {i: again.classify(headlines[i]) for i in shuffled} == dict(enumerate(first))


def test_retraining_gives_the_same_weights() -> None:
    pytest.importorskip("sklearn")
    script = ROOT / "tools" / "train_topic_model.py"
    done = subprocess.run(
        [sys.executable, str(script), "--check"], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_fast_stemmer_gives_the_pure_python_stems() -> None:
    # snowballstemmer uses the C PyStemmer when it is installed; the model was trained on
    # the stems of one of them, so both must agree on every word of the labels.
    from snowballstemmer.english_stemmer import EnglishStemmer

    pure = EnglishStemmer().stemWord
    used = stemmer_function("english")
    words = set()
    for headline in _headlines():
        _, _, lowered = normalise(headline)
        words |= {f.name for f in features(lowered, lambda word: word, 1)}
    assert words and all(used(word) == pure(word) for word in words)


def test_unknown_stemmer_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="unknown stemmer 'klingon'"):
        stemmer_function("klingon")
