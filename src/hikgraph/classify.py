"""Topics, countries and language of a headline, each with the evidence that produced it.

The rules are data, not code: the topic vocabulary lives in ``ontology/topics.ttl``
(``skos:hiddenLabel`` phrases and ``hik:recognitionRule`` patterns), the country terms in
``data/country-terms.csv`` and the language words in ``data/language-words.csv``. What
the rules should find is decided by ``docs/labelling-guide.md``.

Matching works on a normalised copy of the headline of the same length (curly quotes
made straight, hyphens and dashes made spaces), so every match maps back to the exact
words of the headline. Literal phrases of all topics (or all countries) are looked up
together and matched leftmost-longest on word boundaries, so a longer phrase hides the
shorter ones inside it ("trade ban" hides "ban"); a *neutral* phrase
(topics) or a *not* term (countries) hides words without tagging anything.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from hikgraph.paths import data_dir, ontology_dir

HIK = "https://w3id.org/hikgraph/ontology#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
TOPIC_BASE = "https://w3id.org/hikgraph/id/topic/"
RULE_BASE = "https://w3id.org/hikgraph/ontology/topics#"

COUNTRY_KINDS = ("name", "demonym", "metonym", "place", "people", "rule", "not")
DEFAULT_LANGUAGE = "en"
# A non-English language must collect this much weight, and more than English, to win:
# one shared function word must not turn an English headline into Dutch.
_LANGUAGE_THRESHOLD = 1.5

_NORMALISE = str.maketrans(
    {
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
        "`": "'", "\u00b4": "'", "\u201c": '"', "\u201d": '"', "\u201e": '"',
        "\u2033": '"', "\u00ab": '"', "\u00bb": '"', "-": " ", "\u2010": " ",
        "\u2011": " ", "\u2012": " ", "\u2013": " ", "\u2014": " ", "\u2015": " ",
        "\u2212": " ", "\u00a0": " ", "/": " ",
    }
)  # fmt: skip
_GAP = r"\s+(?:\S+\s+){0,6}?"
_FRAGMENT_REF = re.compile(r"\{([a-z][a-z0-9-]*)\}")
_WORDS = re.compile(r"[^\W\d_]+")
_WORD_RUN = re.compile(r"\w+")
_FIRST_WORD = re.compile(r"\w+")


@dataclass(frozen=True, order=True)
class Evidence:
    """One rule that fired on a headline and the words it matched."""

    rule: str  # stable id, e.g. "sanctions/term/blacklist" or "CN/rule/chinese-authority"
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


@dataclass(frozen=True)
class TopicConcept:
    """A concept of the topic scheme as other code needs it."""

    id: str
    iri: str
    pref_label: str
    definition: str


@dataclass(frozen=True)
class _Rule:
    target: str  # topic id or country code
    rule: str  # evidence id
    regex: re.Pattern[str]
    # Most rules run on the lower-cased text without re.IGNORECASE (three times faster);
    # a rule with a case-sensitive part "(?-i:…)" runs on the text as written.
    case_sensitive: bool


class Classifier:
    """Tags headlines with topics, countries and a language; immutable once loaded."""

    def __init__(
        self,
        topics: tuple[TopicConcept, ...],
        topic_terms: dict[str, tuple[tuple[str, str], ...]],
        topic_rules: tuple[_Rule, ...],
        topic_shields: tuple[_Rule, ...],
        country_terms: dict[str, tuple[tuple[str, str], ...]],
        country_rules: tuple[_Rule, ...],
        country_shields: tuple[_Rule, ...],
        language_words: dict[str, dict[str, float]],
    ) -> None:
        self.topics = topics
        self._topic_terms = topic_terms
        self._topic_phrases = _Phrases(topic_terms)
        self._topic_rules = topic_rules
        self._topic_shields = topic_shields
        self._country_terms = country_terms
        self._country_phrases = _Phrases(country_terms)
        self._country_rules = country_rules
        self._country_shields = country_shields
        self._language_words = language_words

    @classmethod
    def load(
        cls,
        topics_ttl: Path,
        country_terms_csv: Path,
        language_words_csv: Path | None = None,
    ) -> Classifier:
        """Return a classifier built from the three rule files.

        *language_words_csv* defaults to ``language-words.csv`` beside
        *country_terms_csv*. Raises ValueError naming the file (and line, where there is
        one) when a file is malformed: bad Turtle or CSV, a missing label, definition or
        pattern, an unknown kind, a code that is not two capitals, a pattern that does
        not compile. Raises OSError when a file cannot be read.
        """
        topics, topic_terms, topic_rules, topic_shields = _load_topics(Path(topics_ttl))
        country_terms, country_rules, shields = _load_country_terms(Path(country_terms_csv))
        if language_words_csv is None:
            language_words_csv = Path(country_terms_csv).with_name("language-words.csv")
        language_words = _load_language_words(Path(language_words_csv))
        return cls(
            topics,
            topic_terms,
            topic_rules,
            topic_shields,
            country_terms,
            country_rules,
            shields,
            language_words,
        )

    def topic_ids(self) -> tuple[str, ...]:
        """Return the ids of the topic concepts, sorted."""
        return tuple(sorted(concept.id for concept in self.topics))

    def classify(self, headline: str) -> Classification:
        """Return the language, topics and countries of *headline* (pure, deterministic).

        Every tag carries at least one :class:`Evidence`; a headline nothing matches
        gets no topics and no countries.
        """
        if not unicodedata.is_normalized("NFC", headline):
            headline = unicodedata.normalize("NFC", headline)
        text = headline.translate(_NORMALISE)
        lowered = text.lower()
        if len(lowered) != len(text):  # a few letters grow when lower-cased (İ → i̇)
            lowered = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
        topics = self._tag(
            headline,
            text,
            lowered,
            self._topic_phrases,
            self._topic_terms,
            self._topic_rules,
            self._topic_shields,
        )
        countries = self._tag(
            headline,
            text,
            lowered,
            self._country_phrases,
            self._country_terms,
            self._country_rules,
            self._country_shields,
        )
        return Classification(
            language=self._language(lowered),
            topics=tuple(TopicTag(t, ev) for t, ev in topics),
            countries=tuple(CountryTag(c, ev) for c, ev in countries),
        )

    @staticmethod
    def _tag(
        headline: str,
        text: str,
        lowered: str,
        phrases: _Phrases,
        terms: dict[str, tuple[tuple[str, str], ...]],
        rules: tuple[_Rule, ...],
        shields: tuple[_Rule, ...],
    ) -> list[tuple[str, tuple[Evidence, ...]]]:
        hidden = [m.span() for s in shields for m in s.regex.finditer(_pick(s, text, lowered))]
        found: dict[str, set[Evidence]] = {}
        for start, end in phrases.find(lowered):
            targets = terms.get(" ".join(lowered[start:end].split()), ())
            if not targets:
                hidden.append((start, end))
                continue
            if _inside(start, end, hidden):
                continue
            for target, rule in targets:
                found.setdefault(target, set()).add(Evidence(rule, headline[start:end]))
        for item in rules:
            for match in item.regex.finditer(_pick(item, text, lowered)):
                start, end = match.span()
                if start == end or _inside(start, end, hidden):
                    continue
                found.setdefault(item.target, set()).add(Evidence(item.rule, headline[start:end]))
        return [(target, tuple(sorted(found[target]))) for target in sorted(found)]

    def _language(self, lowered: str) -> str:
        scores: dict[str, float] = {}
        for word in _WORDS.findall(lowered):
            for language, weight in self._language_words.get(word, {}).items():
                scores[language] = scores.get(language, 0.0) + weight
        english = scores.pop(DEFAULT_LANGUAGE, 0.0)
        if not scores:
            return DEFAULT_LANGUAGE
        best = min(scores, key=lambda language: (-scores[language], language))
        if scores[best] >= _LANGUAGE_THRESHOLD and scores[best] > english:
            return best
        return DEFAULT_LANGUAGE


@lru_cache(maxsize=1)
def default_classifier() -> Classifier:
    """Return the classifier of the shipped rules (loaded once per process).

    Reads ``topics.ttl`` from :func:`hikgraph.paths.ontology_dir` and
    ``country-terms.csv`` and ``language-words.csv`` from :func:`hikgraph.paths.data_dir`.
    Raises ValueError when a rule file is malformed.
    """
    return Classifier.load(
        ontology_dir() / "topics.ttl",
        data_dir() / "country-terms.csv",
        data_dir() / "language-words.csv",
    )


def topic_concepts(topics_ttl: Path | None = None) -> tuple[TopicConcept, ...]:
    """Return the concepts of the topic scheme (id, IRI, label, definition), sorted by id.

    Reads *topics_ttl* (default: the shipped ``ontology/topics.ttl``). Raises ValueError
    when the file is malformed.
    """
    if topics_ttl is None:
        return default_classifier().topics
    return _load_topics(Path(topics_ttl))[0]


def topic_ids(topics_ttl: Path | None = None) -> tuple[str, ...]:
    """Return the topic ids of the scheme, sorted. Raises ValueError when malformed."""
    return tuple(concept.id for concept in topic_concepts(topics_ttl))


# --- loading the topic scheme --------------------------------------------------------


def _load_topics(
    path: Path,
) -> tuple[
    tuple[TopicConcept, ...],
    dict[str, tuple[tuple[str, str], ...]],
    tuple[_Rule, ...],
    tuple[_Rule, ...],
]:
    import pyoxigraph  # imported here: only loading needs it, and it is quick to import

    source = path.read_text(encoding="utf-8")
    try:
        quads = list(pyoxigraph.parse(source, pyoxigraph.RdfFormat.TURTLE))
    except SyntaxError as error:
        raise ValueError(f"{path}:{error.lineno or '?'}: not valid Turtle: {error}") from None

    by_subject: dict[str, dict[str, list[Any]]] = {}
    for quad in quads:
        if isinstance(quad.subject, pyoxigraph.NamedNode):
            props = by_subject.setdefault(quad.subject.value, {})
            props.setdefault(quad.predicate.value, []).append(quad.object)

    def fail(subject: str, message: str) -> ValueError:
        return ValueError(f"{path}:{_line_of(source, subject)}: {subject}: {message}")

    def values(subject: str, predicate: str) -> list[Any]:
        return by_subject.get(subject, {}).get(predicate, [])

    def one_english(subject: str, predicate: str, what: str) -> str:
        texts = [v.value for v in values(subject, predicate) if getattr(v, "language", "") == "en"]
        if len(texts) != 1:
            raise fail(subject, f"needs exactly one English {what}")
        return str(texts[0])

    def pattern_of(subject: str) -> str:
        patterns = [v.value for v in values(subject, HIK + "matchPattern")]
        if len(patterns) != 1:
            raise fail(subject, "needs exactly one hik:matchPattern")
        return str(patterns[0])

    kinds = (SKOS + "Concept", HIK + "RecognitionRule", HIK + "PatternFragment")
    typed: dict[str, list[str]] = {kind: [] for kind in (*kinds, SKOS + "ConceptScheme")}
    for subject in sorted(by_subject):
        for node in by_subject[subject].get(RDF_TYPE, []):
            if node.value in typed:
                typed[node.value].append(subject)
    fragments: dict[str, str] = {}
    for iri in typed[HIK + "PatternFragment"]:
        name = iri.removeprefix(RULE_BASE)
        if name == iri or not re.fullmatch(r"[a-z][a-z0-9-]*", name):
            raise fail(iri, f"a pattern fragment must be named {RULE_BASE}<lowercase-name>")
        fragments[name] = pattern_of(iri)

    concepts: list[TopicConcept] = []
    terms: dict[str, list[tuple[str, str]]] = {}
    rules: list[_Rule] = []
    for iri in typed[SKOS + "Concept"]:
        topic = iri.removeprefix(TOPIC_BASE)
        if topic == iri or not re.fullmatch(r"[a-z]+(-[a-z]+)*", topic):
            raise fail(iri, f"a topic must be named {TOPIC_BASE}<lowercase-id>")
        concepts.append(
            TopicConcept(
                topic,
                iri,
                one_english(iri, SKOS + "prefLabel", "skos:prefLabel"),
                one_english(iri, SKOS + "definition", "skos:definition"),
            )
        )
        for label in values(iri, SKOS + "hiddenLabel"):
            key = _key(label.value)
            if not key:
                raise fail(iri, "has an empty skos:hiddenLabel")
            entry = (topic, f"{topic}/term/{key.replace(' ', '-')}")
            if entry not in terms.setdefault(key, []):
                terms[key].append(entry)
        for rule_node in values(iri, HIK + "recognitionRule"):
            rule_iri = rule_node.value
            name = rule_iri.removeprefix(f"{RULE_BASE}{topic}.")
            if name == rule_iri or rule_iri not in typed[HIK + "RecognitionRule"]:
                raise fail(
                    rule_iri, f"must be a hik:RecognitionRule named {RULE_BASE}{topic}.<name>"
                )
            regex, case_sensitive = _compile(
                pattern_of(rule_iri), fragments, lambda m, r=rule_iri: fail(r, m)
            )
            rules.append(_Rule(topic, f"{topic}/rule/{name}", regex, case_sensitive))
    if not concepts:
        raise ValueError(f"{path}: no skos:Concept found")
    shields: list[_Rule] = []
    for scheme in typed[SKOS + "ConceptScheme"]:
        for label in values(scheme, HIK + "neutralLabel"):
            terms.setdefault(_key(label.value), [])
        for literal in values(scheme, HIK + "neutralPattern"):
            regex, case_sensitive = _compile(
                literal.value, fragments, lambda m, s=scheme: fail(s, m)
            )
            shields.append(_Rule("", "", regex, case_sensitive))
    frozen = {key: tuple(sorted(entries)) for key, entries in terms.items()}
    return tuple(sorted(concepts, key=lambda c: c.id)), frozen, tuple(rules), tuple(shields)


def _line_of(source: str, iri: str) -> int | str:
    """Return the line where *iri* is first written as a subject (full or prefixed)."""
    local = re.escape(iri.rsplit("/", 1)[-1].rsplit("#", 1)[-1])
    subject = re.compile(rf"^(<{re.escape(iri)}>|[\w-]*:{local})(\s|$)")
    for number, line in enumerate(source.splitlines(), 1):
        if subject.match(line):
            return number
    return "?"


# --- loading the country terms and language words -------------------------------------


def _load_country_terms(
    path: Path,
) -> tuple[dict[str, tuple[tuple[str, str], ...]], tuple[_Rule, ...], tuple[_Rule, ...]]:
    terms: dict[str, list[tuple[str, str]]] = {}
    rules: list[_Rule] = []
    shields: list[_Rule] = []
    for line, row in _csv_rows(path, ("code", "kind", "term", "pattern", "note")):

        def fail(message: str, line: int = line) -> ValueError:
            return ValueError(f"{path}:{line}: {message}")

        code, kind, term, pattern = row["code"], row["kind"], row["term"], row["pattern"]
        if not re.fullmatch(r"[A-Z]{2}", code):
            raise fail(f"code {code!r} is not an ISO 3166-1 alpha-2 code")
        if kind not in COUNTRY_KINDS:
            raise fail(f"kind {kind!r} is not one of {', '.join(COUNTRY_KINDS)}")
        key = _key(term)
        if not key:
            raise fail("term is empty")
        rule = f"{code}/{kind}/{key.replace(' ', '-')}"
        if pattern:
            regex, case_sensitive = _compile(pattern, {}, fail)
            (shields if kind == "not" else rules).append(_Rule(code, rule, regex, case_sensitive))
        elif kind == "rule":
            raise fail("a rule needs a pattern")
        elif kind == "not":
            terms.setdefault(key, [])
        else:
            entry = (code, rule)
            if entry not in terms.setdefault(key, []):
                terms[key].append(entry)
    frozen = {key: tuple(sorted(entries)) for key, entries in terms.items()}
    return frozen, tuple(rules), tuple(shields)


def _load_language_words(path: Path) -> dict[str, dict[str, float]]:
    languages: dict[str, set[str]] = {}
    for line, row in _csv_rows(path, ("language", "word")):
        if not re.fullmatch(r"[a-z]{2,3}", row["language"]) or not row["word"]:
            raise ValueError(f"{path}:{line}: needs a language subtag and a word")
        languages.setdefault(row["word"].lower(), set()).add(row["language"])
    # A word shared by n languages is worth 1/n to each: "de" says little, "della" a lot.
    return {
        word: {language: 1.0 / len(langs) for language in sorted(langs)}
        for word, langs in languages.items()
    }


def _csv_rows(path: Path, columns: tuple[str, ...]) -> Iterable[tuple[int, dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        try:
            header = next(reader)
        except StopIteration:
            raise ValueError(
                f"{path}:1: empty file, expected columns {','.join(columns)}"
            ) from None
        except csv.Error as error:
            raise ValueError(f"{path}:1: {error}") from None
        if tuple(header) != columns:
            raise ValueError(
                f"{path}:1: expected columns {','.join(columns)}, found {','.join(header)}"
            )
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                raise ValueError(f"{path}:{reader.line_num}: {error}") from None
            if not cells:
                continue
            if len(cells) != len(columns):
                raise ValueError(
                    f"{path}:{reader.line_num}: expected {len(columns)} columns, found {len(cells)}"
                )
            yield reader.line_num, dict(zip(columns, (c.strip() for c in cells), strict=True))


# --- matching machinery -------------------------------------------------------------------


def _key(phrase: str) -> str:
    """Return the lookup key of a phrase: normalised like a headline, lower case."""
    return " ".join(phrase.translate(_NORMALISE).lower().split())


def _inside(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    return any(s <= start and end <= e for s, e in spans)


class _Phrases:
    """Literal phrases found leftmost-longest on word boundaries, by first-word lookup.

    Compiling thousands of phrases into one regular expression costs tens of
    milliseconds at every start; a dictionary keyed by the first word costs one.
    """

    def __init__(self, keys: Iterable[str]) -> None:
        index: dict[str, list[str]] = {}
        for key in keys:
            first = _FIRST_WORD.match(key)
            if first is None:
                raise ValueError(f"phrase {key!r} does not start with a letter or digit")
            index.setdefault(first.group(), []).append(key)
        self._index = {word: sorted(keys, key=len, reverse=True) for word, keys in index.items()}

    def find(self, lowered: str) -> Iterable[tuple[int, int]]:
        """Yield the (start, end) spans of phrases in the lower-cased text, left to right."""
        resume = 0
        for word in _WORD_RUN.finditer(lowered):
            start = word.start()
            if start < resume:
                continue
            for key in self._index.get(word.group(), ()):
                end = _match_at(lowered, start, key)
                if end:
                    yield start, end
                    resume = end
                    break


def _match_at(text: str, start: int, key: str) -> int:
    """Return where *key* ends if it matches *text* at *start* (a key space matches any
    run of spaces) and ends on a word boundary, else 0."""
    position = start
    length = len(text)
    for char in key:
        if char == " ":
            if position >= length or not text[position].isspace():
                return 0
            while position < length and text[position].isspace():
                position += 1
        elif position < length and text[position] == char:
            position += 1
        else:
            return 0
    if position < length and (text[position].isalnum() or text[position] == "_"):
        return 0
    return position


def _pick(rule: _Rule, text: str, lowered: str) -> str:
    return text if rule.case_sensitive else lowered


def _compile(pattern: str, fragments: dict[str, str], fail: Any) -> tuple[re.Pattern[str], bool]:
    """Compile a rule pattern of the documented syntax, or raise what *fail* returns.

    Return the regex and whether it must see the text as written: a pattern without a
    case-sensitive part "(?-i:…)" is lower-cased and matched against lower-cased text.
    """

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in fragments:
            raise fail(f"pattern refers to unknown fragment {{{name}}}")
        return fragments[name]

    expanded = _FRAGMENT_REF.sub(substitute, pattern)
    out: list[str] = []
    case_sensitive = "(?-i:" in expanded
    in_class = escaped = False
    index = 0
    while index < len(expanded):
        char = expanded[index]
        if escaped:  # \S is not \s: never lower-case what follows a backslash
            out.append(char)
            escaped = False
        elif char == "\\":
            out.append(char)
            escaped = True
        elif in_class:
            out.append(char if case_sensitive else char.lower())
            in_class = char != "]"
        elif char == "[":
            out.append(char)
            in_class = True
        elif expanded.startswith(" ~ ", index):
            out.append(_GAP)
            index += 2
        elif char == " ":
            out.append(r"\s+")
        else:
            out.append(char if case_sensitive else char.lower())
        index += 1
    body = r"(?<!\w)(?:" + "".join(out) + r")(?!\w)"
    try:
        if case_sensitive:
            return re.compile(body, re.IGNORECASE), True
        return re.compile(body), False
    except re.error as error:
        raise fail(f"pattern does not compile: {error}") from None
