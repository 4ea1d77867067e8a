"""The faster matcher classifies exactly as the code before it did.

tests/data/classify-reference/reference.jsonl was written by the classifier of commit
c609a30 (before any speed work), run from a separate worktree (see the README there);
the rule files and topic model of that commit sit beside it. Loading those files with
the current code must give the same language, topics, countries and evidence, item for
item, for every headline.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from hikgraph.classify import Classifier

REFERENCE = Path(__file__).resolve().parent / "data" / "classify-reference"


def _load_reference() -> list[dict[str, object]]:
    lines = (REFERENCE / "reference.jsonl").read_text(encoding="utf-8").splitlines()
    header = json.loads(lines[0])
    assert header["produced_by_commit"].startswith("c609a30")
    return [json.loads(line) for line in lines[1:]]


@pytest.fixture(scope="module")
def reference_classifier() -> Classifier:
    return Classifier.load(
        REFERENCE / "topics.ttl",
        REFERENCE / "country-terms.csv",
        REFERENCE / "language-words.csv",
        REFERENCE / "topic-model.json",
    )


def _as_record(classifier: Classifier, headline: str) -> dict[str, object]:
    result = classifier.classify(headline)
    return {
        "headline": headline,
        "language": result.language,
        "topics": [[t.topic, [[e.rule, e.matched] for e in t.evidence]] for t in result.topics],
        "countries": [
            [c.code, [[e.rule, e.matched] for e in c.evidence]] for c in result.countries
        ],
    }


def _reference_answer(want: dict[str, object]) -> dict[str, object]:
    """*want* as today's classifier gives it: the reference code called every headline
    its word lists could not place English; since f275388 the language identifier names
    the language of a headline with next to no English word. Every other field must be
    exactly the reference's."""
    if want["language"] != "en":
        return want
    from hikgraph.classify import identify_language

    headline = str(want["headline"])
    identified = identify_language(headline)
    if identified == "en" or not _has_no_english_word(headline):
        return want
    return {**want, "language": identified}


def _has_no_english_word(headline: str) -> bool:
    import csv

    words = {
        row["word"]
        for row in csv.DictReader((REFERENCE / "language-words.csv").open(encoding="utf-8"))
        if row["language"] == "en"
    }
    return not any(word in words for word in re.findall(r"[^\W\d_]+", headline.lower()))


def test_every_reference_headline_is_classified_as_before(
    reference_classifier: Classifier,
) -> None:
    expected = _load_reference()
    assert len(expected) >= 1200
    differ = [
        (want, got)
        for want in expected
        if (got := _as_record(reference_classifier, str(want["headline"])))
        != _reference_answer(want)
    ]
    assert not differ, differ[:3]


def test_the_same_answers_in_any_order_and_from_the_cache(
    reference_classifier: Classifier,
) -> None:
    # The gate and the per-word memory must not make an answer depend on what was
    # classified before: a fresh classifier, the reference read backwards.
    expected = _load_reference()[::-1]
    fresh = Classifier.load(
        REFERENCE / "topics.ttl",
        REFERENCE / "country-terms.csv",
        REFERENCE / "language-words.csv",
        REFERENCE / "topic-model.json",
    )
    for want in expected:
        assert _as_record(fresh, str(want["headline"])) == _reference_answer(want)
    fresh.clear_cache()
    for want in expected[:50]:
        assert _as_record(fresh, str(want["headline"])) == _reference_answer(want)


def test_rules_only_copy_does_not_share_the_models_answers(
    reference_classifier: Classifier,
) -> None:
    # A headline the topic model tags: the rules-only copy must not return the cached
    # answer of the classifier with the model.
    with_model = [
        w
        for w in _load_reference()
        if any("/model/" in e[0] for t in w["topics"] for e in t[1])  # type: ignore[union-attr]
    ]
    assert with_model
    headline = str(with_model[0]["headline"])
    full = reference_classifier.classify(headline)
    rules = reference_classifier.without_model().classify(headline)
    assert len(rules.topics) < len(full.topics)
    assert reference_classifier.classify(headline) == full


# Patterns and texts chosen to trip a gate that guessed: case-sensitive parts, the
# letters re.IGNORECASE matches across scripts (İ ı ſ K), accents, apostrophes, gaps.
GATE_PATTERNS = [
    "(?-i:US)",
    "(?-i:AI|A[.]I[.]|KI)",
    "China (is|was) ~ (spying|watching)",
    "(?-i:Sen[.]) ~ (Rubio|Cotton)",
    "(sold|sells) ~ to ~ (police|schools?)",
    "(ministères|écoles|Behörden) ~ (caméras|Kameras)",
    "(?-i:Xi)(?= |'s|$)",
    "Isis|kiss|(?-i:KISS)",
    "china's ([a-z]+ ){0,2}?(plan|policy)",
    "(in|nella) (Cina|Chine|China)(?!'s)",
]
GATE_TEXTS = [
    "US bans Hikvision",
    "us bans hikvision",
    "A.I. cameras and AI and KI-Kameras",
    "China is quietly spying on them",
    "CHINA WAS WATCHING",
    "Sen. Marco Rubio presses",
    "Hikvision sold cameras to the local police",
    "Des caméras dans les écoles et ministères",
    "Kameras in Behörden",
    "Xi's plan",
    "İSİS and ıSıS and ſiſ and KISS and Kiss",  # dotted/dotless I, long s, Kelvin sign
    "China's vast plan",
    "telecamere nella Cina di oggi",
    "nothing to see here",
]


@pytest.mark.parametrize("pattern", GATE_PATTERNS)
def test_the_gate_never_skips_a_rule_that_matches(pattern: str) -> None:
    from hikgraph.classify_gate import Gate, required_groups
    from hikgraph.classify_rules import _compile, normalise

    regex, case_sensitive = _compile(pattern, {}, ValueError)
    gate = Gate([required_groups(regex, exact=not case_sensitive)])
    closed = 0
    for raw in GATE_TEXTS:
        for variant in (raw, raw.upper(), raw.lower(), raw.title()):
            _, text, lowered = normalise(variant)
            matches = regex.search(text if case_sensitive else lowered) is not None
            opened = 0 in gate.open(r for r in re.findall(r"\w+", lowered))
            assert opened or not matches, (pattern, variant)
            closed += not opened
    # The gate does its job too: it skips the rule on texts that lack its words. Two
    # patterns have a branch without a usable piece ("A.I."; "Isis" when i and s may
    # stand for İ ı ſ), so those rules always run.
    assert closed or pattern in {"(?-i:AI|A[.]I[.]|KI)", "Isis|kiss|(?-i:KISS)"}
