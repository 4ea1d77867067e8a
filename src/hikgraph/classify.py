"""Topics, countries and language of a headline, each with the evidence that produced it.

Two layers find topics. The **rules** are data, not code: the topic vocabulary in
``ontology/topics.ttl``, the country terms in ``data/country-terms.csv`` and the
language words in ``data/language-words.csv``, read and matched by
:mod:`hikgraph.classify_rules`. They are the precise layer, and their evidence is the
listed word or pattern that matched. The **topic model** (:mod:`hikgraph.topic_model`,
weights in ``data/topic-model.json``) is the recall layer: it adds a topic the rules
missed when its learned n-gram weights say so, with those n-grams as evidence, and
never removes a rule's topic. Countries and language come from the rules only. What
either layer should find is decided by ``docs/labelling-guide.md``.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from hikgraph.classify_gate import Gate, required_groups
from hikgraph.classify_rules import (
    COUNTRY_KINDS,
    Rule,
    RuleSet,
    TopicConcept,
    load_country_terms,
    load_language_words,
    load_topics,
    normalise,
    word_runs,
)
from hikgraph.paths import data_dir, ontology_dir
from hikgraph.topic_model import TopicModel

__all__ = [
    "COUNTRY_KINDS",
    "Classification",
    "Classifier",
    "CountryTag",
    "Evidence",
    "TopicConcept",
    "TopicTag",
    "default_classifier",
    "topic_concepts",
    "topic_ids",
]

DEFAULT_LANGUAGE = "en"
# A non-English language must collect this much weight, and more than English, to win:
# one shared function word must not turn an English headline into Dutch.
_LANGUAGE_THRESHOLD = 1.5
_WORDS = re.compile(r"[^\W\d_]+")
# Headlines remembered by Classifier.classify: wire stories repeat across outlets, and
# a Classification is immutable, so a repeat costs one dictionary look-up.
CACHE_SIZE = 65_536
# What one word run contributes: gate pieces, the model's stems and the per-word features
# it knows, and the (language, weight) pairs of its language words.
_RunFacts = tuple[frozenset[int], list[str], list[str], tuple[tuple[str, float], ...]]


@dataclass(frozen=True, order=True)
class Evidence:
    """One rule that fired on a headline and the words it matched."""

    # stable id, e.g. "sanctions/term/blacklist", "CN/rule/chinese-authority", or for the
    # topic model "sanctions/model/trade-war" (a stem, a prefix such as "sanc*", or an
    # n-gram's stems joined by hyphens)
    rule: str
    matched: str  # the exact substring of the headline that matched


@dataclass(frozen=True)
class TopicTag:
    """A topic of the headline with its evidence (at least one item, sorted)."""

    topic: str
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True)
class CountryTag:
    """A country (ISO 3166-1 alpha-2) the headline references, with its evidence."""

    code: str
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True)
class Classification:
    """What the classifier found in one headline."""

    language: str  # BCP-47 tag of the headline, e.g. "en", "it", "fr"
    topics: tuple[TopicTag, ...]  # sorted by topic id
    countries: tuple[CountryTag, ...]  # sorted by code


class Classifier:
    """Tags headlines with topics, countries and a language; immutable once loaded."""

    def __init__(
        self,
        topics: tuple[TopicConcept, ...],
        topic_terms: dict[str, tuple[tuple[str, str], ...]],
        topic_rules: tuple[Rule, ...],
        topic_shields: tuple[Rule, ...],
        country_terms: dict[str, tuple[tuple[str, str], ...]],
        country_rules: tuple[Rule, ...],
        country_shields: tuple[Rule, ...],
        language_words: dict[str, dict[str, float]],
        topic_model: TopicModel | None = None,
    ) -> None:
        self.topics = topics
        self.topic_model = topic_model
        self._topic_rules = RuleSet(topic_terms, topic_rules, topic_shields, 0)
        self._country_rules = RuleSet(
            country_terms, country_rules, country_shields, len(topic_shields) + len(topic_rules)
        )
        self._gate = Gate(
            required_groups(rule.regex, exact=not rule.case_sensitive)
            for rule_set in (self._topic_rules, self._country_rules)
            for rule in rule_set.patterns()
        )
        self._language_words = language_words
        self._cache: dict[str, Classification] = {}
        # What each word run (\w+ of the lower-cased text) contributes, worked out once
        # per run: the gate's pieces, the model's word features, the language weights.
        self._runs: dict[str, _RunFacts] = {}
        self._evidence_memo: dict[tuple[str, str], Evidence] = {}

    @classmethod
    def load(
        cls,
        topics_ttl: Path,
        country_terms_csv: Path,
        language_words_csv: Path | None = None,
        topic_model_json: Path | None = None,
        *,
        use_model: bool = True,
    ) -> Classifier:
        """Return a classifier built from the rule files and the topic model.

        *language_words_csv* defaults to ``language-words.csv`` and *topic_model_json* to
        ``topic-model.json``, both beside *country_terms_csv*; with ``use_model=False``
        no model is read and only the rules tag topics. Raises ValueError naming the
        file (and line or key, where there is one) when a file is malformed: bad Turtle,
        CSV or JSON, a missing label, definition or pattern, an unknown kind, a code that
        is not two capitals, a pattern that does not compile, a model topic not in the
        scheme. Raises OSError when a file cannot be read.
        """
        topics, topic_terms, topic_rules, topic_shields = load_topics(Path(topics_ttl))
        country_terms, country_rules, shields = load_country_terms(Path(country_terms_csv))
        if language_words_csv is None:
            language_words_csv = Path(country_terms_csv).with_name("language-words.csv")
        language_words = load_language_words(Path(language_words_csv))
        model = None
        if use_model:
            if topic_model_json is None:
                topic_model_json = Path(country_terms_csv).with_name("topic-model.json")
            model = TopicModel.load(Path(topic_model_json))
            unknown = set(model.topics) - {concept.id for concept in topics}
            if unknown:
                raise ValueError(
                    f"{topic_model_json}: topics: not in the scheme: {', '.join(sorted(unknown))}"
                )
        return cls(
            topics,
            topic_terms,
            topic_rules,
            topic_shields,
            country_terms,
            country_rules,
            shields,
            language_words,
            model,
        )

    def without_model(self) -> Classifier:
        """Return a copy of this classifier that tags topics by the rules alone."""
        rules_only = copy.copy(self)  # shares the immutable rule tables
        rules_only.topic_model = None
        rules_only._cache = {}  # the copy's answers differ: never share them
        rules_only._runs = {}  # run facts hold the model's word features
        return rules_only

    def clear_cache(self) -> None:
        """Forget the remembered classifications (for benchmarks; results do not change)."""
        self._cache.clear()

    def topic_ids(self) -> tuple[str, ...]:
        """Return the ids of the topic concepts, sorted."""
        return tuple(sorted(concept.id for concept in self.topics))

    def classify(self, headline: str) -> Classification:
        """Return the language, topics and countries of *headline* (pure, deterministic).

        Every tag carries at least one :class:`Evidence`; a headline nothing matches
        gets no topics and no countries. The last :data:`CACHE_SIZE` distinct headlines
        are remembered (the answer is immutable and depends on the headline alone).
        """
        cached = self._cache.get(headline)
        if cached is None:
            if len(self._cache) >= CACHE_SIZE:
                self._cache.clear()
            cached = self._cache[headline] = self._classify(headline)
        return cached

    def _classify(self, headline: str) -> Classification:
        headline, text, lowered = normalise(headline)
        words = word_runs(lowered)
        runs = self._runs
        present: set[int] = set()
        stems: list[str] = []
        known: list[str] = []
        weights: list[tuple[str, float]] = []
        for word, _, _ in words:
            facts = runs.get(word)
            if facts is None:
                facts = self._run_facts(word)
            present |= facts[0]
            stems += facts[1]
            known += facts[2]
            weights += facts[3]
        opened = self._gate.open_present(present)
        evidence = self._evidence
        topics = {
            topic: tuple([evidence(pair) for pair in found])
            for topic, found in self._topic_rules.match(headline, text, lowered, words, opened)
        }
        if self.topic_model is not None:
            for tag in self.topic_model.tags(lowered, skip=topics.keys(), words=(stems, known)):
                pairs = sorted(
                    (
                        f"{tag.topic}/model/{feature.name.replace(' ', '-')}",
                        headline[feature.start : feature.end],
                    )
                    for feature in tag.features
                )
                topics[tag.topic] = tuple([evidence(pair) for pair in pairs])
        countries = self._country_rules.match(headline, text, lowered, words, opened)
        return Classification(
            language=self._language(weights, headline),
            topics=tuple([TopicTag(topic, topics[topic]) for topic in sorted(topics)]),
            countries=tuple(
                [
                    CountryTag(code, tuple([evidence(pair) for pair in found]))
                    for code, found in countries
                ]
            ),
        )

    def _evidence(self, pair: tuple[str, str]) -> Evidence:
        """Return the Evidence of a (rule, matched words) pair, one shared immutable
        object per pair: the same words match the same rule in many headlines."""
        item = self._evidence_memo.get(pair)
        if item is None:
            if len(self._evidence_memo) >= CACHE_SIZE:
                self._evidence_memo.clear()
            item = self._evidence_memo[pair] = Evidence(*pair)
        return item

    def _run_facts(self, run: str) -> _RunFacts:
        """Return (and remember) what one word run contributes: the gate's pieces, the
        model's stems and the per-word features it knows, and the (language, weight)
        pairs of its language words, in order.

        Splitting the headline into word runs first changes nothing: the words the model
        and the language guess read are letters only, so each lies inside one run.
        """
        if len(self._runs) >= CACHE_SIZE:
            self._runs.clear()
        stems, known = self.topic_model.words(run) if self.topic_model is not None else ([], [])
        weights = tuple(
            (language, weight)
            for word in _WORDS.findall(run)
            for language, weight in self._language_words.get(word, {}).items()
        )
        facts = (self._gate.pieces_of(run), stems, known, weights)
        self._runs[run] = facts
        return facts

    def _language(self, weights: list[tuple[str, float]], headline: str) -> str:
        """Return the language the (language, weight) pairs of a headline's words, in
        reading order, point to (English unless another clearly wins). A headline with
        next to no English word that no listed language claims is given to the
        statistical identifier (see :func:`identify_language`)."""
        scores: dict[str, float] = {}
        for language, weight in weights:
            scores[language] = scores.get(language, 0.0) + weight
        english = scores.pop(DEFAULT_LANGUAGE, 0.0)
        if scores:
            best = min(scores, key=lambda language: (-scores[language], language))
            if scores[best] >= _LANGUAGE_THRESHOLD and scores[best] > english:
                return best
        if english < _ENGLISH_FLOOR:
            return identify_language(headline)
        return DEFAULT_LANGUAGE


# The languages of national news media that the identifier may answer. Minority
# languages it confuses with big neighbours on a short headline (Aragonese for Spanish,
# Luxembourgish for German) are left out.
IDENTIFIED_LANGUAGES = (
    *("ar", "bg", "bn", "ca", "cs", "cy", "da", "de", "el", "en", "es", "et", "eu", "fa"),
    *("fi", "fr", "ga", "gl", "he", "hi", "hr", "hu", "hy", "id", "is", "it", "ja", "ka"),
    *("kk", "ko", "lt", "lv", "mk", "ms", "nb", "nl", "nn", "no", "pl", "pt", "ro", "ru"),
    *("sk", "sl", "sq", "sr", "sv", "sw", "ta", "th", "tl", "tr", "uk", "ur", "vi", "zh"),
)
# Below this weight of English words a headline may be in a language the word lists
# do not know (Polish, Swedish, …). The identifier then decides when its best guess
# holds at least half the probability, or when English holds almost none (Danish and
# Norwegian split the probability between them).
_ENGLISH_FLOOR = 0.5
_IDENTIFIED_MIN_PROBABILITY = 0.5
_ENGLISH_MAX_PROBABILITY = 0.05


@lru_cache(maxsize=1)
def _identifier() -> Any:
    # The model ships inside the package (py3langid/data/model.npz.xz): nothing is
    # fetched. Its ready form is kept in the cache folder (language_identifier).
    from hikgraph.language_identifier import load_identifier

    return load_identifier(IDENTIFIED_LANGUAGES)


def load_language_identifier() -> None:
    """Load py3langid's model now rather than on the first headline that needs it
    (~0.1 s from the cache folder's copy, ~0.6 s without): processes forked afterwards
    share it instead of each loading its own."""
    _identifier()


def identify_language(headline: str) -> str:
    """Return the language py3langid (langid.py's model, offline) finds in *headline*
    among :data:`IDENTIFIED_LANGUAGES`, or English when it is not sure."""
    if not _WORDS.search(headline):  # no letters: nothing to tell a language by
        return DEFAULT_LANGUAGE
    ranked = _identifier().rank(headline)  # [(language, probability)], most likely first
    english = next((p for language, p in ranked if language == DEFAULT_LANGUAGE), 0.0)
    language, probability = next(pair for pair in ranked if pair[0] != DEFAULT_LANGUAGE)
    if probability >= _IDENTIFIED_MIN_PROBABILITY or english < _ENGLISH_MAX_PROBABILITY:
        return str(language)
    return DEFAULT_LANGUAGE


@lru_cache(maxsize=1)
def default_classifier() -> Classifier:
    """Return the classifier of the shipped rules and topic model (loaded once per process).

    Reads ``topics.ttl`` from :func:`hikgraph.paths.ontology_dir` and
    ``country-terms.csv``, ``language-words.csv`` and ``topic-model.json`` from
    :func:`hikgraph.paths.data_dir`, or, once it has, the ready copy it kept in the
    cache folder's ``classifier`` (:mod:`hikgraph.ready_copy`; ~0.2 s against ~0.6 s),
    named by :func:`hikgraph.classify_stream.classifier_digest`. Raises ValueError when
    a file is malformed.
    """
    from hikgraph.classify_stream import classifier_digest
    from hikgraph.paths import cache_dir
    from hikgraph.ready_copy import load_or_make

    def load() -> Classifier:
        return Classifier.load(
            ontology_dir() / "topics.ttl",
            data_dir() / "country-terms.csv",
            data_dir() / "language-words.csv",
            data_dir() / "topic-model.json",
        )

    try:
        name = classifier_digest()[:32]
    except OSError:  # a file it reads is missing: loading says which, in its own words
        return load()
    return load_or_make(cache_dir() / "classifier", name, Classifier, load)


def topic_concepts(topics_ttl: Path | None = None) -> tuple[TopicConcept, ...]:
    """Return the concepts of the topic scheme (id, IRI, label, definition), sorted by id.

    Reads *topics_ttl* (default: the shipped ``ontology/topics.ttl``). Raises ValueError
    when the file is malformed.
    """
    if topics_ttl is None:
        return default_classifier().topics
    return load_topics(Path(topics_ttl))[0]


def topic_ids(topics_ttl: Path | None = None) -> tuple[str, ...]:
    """Return the topic ids of the scheme, sorted. Raises ValueError when malformed."""
    return tuple(concept.id for concept in topic_concepts(topics_ttl))
