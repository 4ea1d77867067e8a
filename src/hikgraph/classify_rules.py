"""Loading and matching the rules of the topic and country classifier.

The rules are data, not code: the topic vocabulary lives in ``ontology/topics.ttl``
(``skos:hiddenLabel`` phrases and ``hik:recognitionRule`` patterns), the country terms in
``data/country-terms.csv`` and the language words in ``data/language-words.csv``. This
module reads those files into :class:`Rule` objects and literal-phrase tables and finds
them in a headline; :mod:`hikgraph.classify` puts the pieces together.

Matching works on a normalised copy of the headline of the same length (curly quotes
made straight, hyphens and dashes made spaces), so every match maps back to the exact
words of the headline. Literal phrases of all topics (or all countries) are looked up
together and matched leftmost-longest on word boundaries, so a longer phrase hides the
shorter ones inside it ("trade ban" hides "ban"); a *neutral* phrase
(topics) or a *not* term (countries) hides words without tagging anything.

Word boundaries belong to the scripts that separate words with spaces. Chinese,
Japanese (Han, Hiragana, Katakana) and Thai do not, so a term's end written in them
needs no boundary: 禁令 is found inside 美国商务部发布禁令, and Latin letters next to
those scripts end a word (AI in AIカメラ). Korean separates words but attaches particles
to them (미국은, 미국의), so a term ending in Hangul matches at the start of a word, as
a prefix. Latin, Cyrillic, Greek and Arabic terms keep whole-word matching.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HIK = "https://w3id.org/hikgraph/ontology#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
TOPIC_BASE = "https://w3id.org/hikgraph/id/topic/"
RULE_BASE = "https://w3id.org/hikgraph/ontology/topics#"

COUNTRY_KINDS = ("name", "demonym", "metonym", "place", "people", "rule", "not")

NORMALISE = str.maketrans(
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
_WORD_RUN = re.compile(r"\w+")
_FIRST_WORD = re.compile(r"\w+")
_NEXT_WORD = re.compile(r" (\w+)")
_ODD_SPACE = re.compile(r"\s\s|[^\S ]")  # two spaces in a row, or a space other than " "
# Scripts written without spaces between words: Hiragana, Katakana (with the phonetic
# extensions and half-width forms), Han (with extension A and compatibility ideographs),
# Thai. Hangul separates words and is handled apart (a term ending in it is a prefix).
_UNSPACED = (
    "\u0e00-\u0e7f"  # Thai
    "\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f"  # Hiragana, Katakana
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # Han
)
_HANGUL = "\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3"
_UNSPACED_CHAR = re.compile(f"[{_UNSPACED}]")
_UNSPACED_OR_HANGUL = re.compile(f"[{_UNSPACED}{_HANGUL}]")
# Word runs cut where a script without spaces meets another ("ai" and "カメラ" in "aiカメラ").
_SCRIPT_RUN = re.compile(f"[{_UNSPACED}]+|[^\\W{_UNSPACED}]+")


@dataclass(frozen=True)
class TopicConcept:
    """A concept of the topic scheme as other code needs it."""

    id: str
    iri: str
    pref_label: str
    definition: str


@dataclass(frozen=True)
class Rule:
    """One pattern rule (or, with an empty target, a shield that hides words)."""

    target: str  # topic id or country code
    rule: str  # evidence id
    regex: re.Pattern[str]
    # Most rules run on the lower-cased text without re.IGNORECASE (three times faster);
    # a rule with a case-sensitive part "(?-i:…)" runs on the text as written.
    case_sensitive: bool


def normalise(headline: str) -> tuple[str, str, str]:
    """Return the headline in NFC, its normalised text and that text lower-cased.

    The three have the same length, so a span found in the normalised or lower-cased
    text points at the exact words of the returned headline.
    """
    if not unicodedata.is_normalized("NFC", headline):
        headline = unicodedata.normalize("NFC", headline)
    text = headline.translate(NORMALISE)
    lowered = text.lower()
    if len(lowered) != len(text):  # a few letters grow when lower-cased (İ → i̇)
        lowered = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
    return headline, text, lowered


class RuleSet:
    """The literal terms, pattern rules and shields of one kind of target (topics or
    countries), matched together; immutable once built.

    A :class:`hikgraph.classify_gate.Gate` shared by the rule sets of a classifier tells
    which pattern rules can match a headline at all, so only those run.
    """

    def __init__(
        self,
        terms: dict[str, tuple[tuple[str, str], ...]],
        rules: tuple[Rule, ...],
        shields: tuple[Rule, ...],
        gate_offset: int,
    ) -> None:
        self.terms = terms
        self.phrases = Phrases(terms)
        self.rules = rules
        self.shields = shields
        # Positions of the shields, then the rules, in the shared gate's sequence.
        self._shield_at = {gate_offset + i: shield for i, shield in enumerate(shields)}
        after = gate_offset + len(shields)
        self._rule_at = {after + i: rule for i, rule in enumerate(rules)}

    def patterns(self) -> tuple[Rule, ...]:
        """Return the shields, then the rules: the order of the gate positions."""
        return (*self.shields, *self.rules)

    def match(
        self,
        headline: str,
        text: str,
        lowered: str,
        words: list[tuple[str, int, int]],
        opened: frozenset[int] | set[int],
    ) -> list[tuple[str, tuple[tuple[str, str], ...]]]:
        """Return each target (topic id or country code) found, sorted, with its sorted
        (rule id, matched words) pairs.

        The texts come from :func:`normalise`; *words* are the word runs of *lowered*
        (:func:`word_runs`); *opened* the gate positions of the pattern rules that may
        match (``Gate.open``): the others cannot, and are not run.
        """
        # Only the opened rules run; the order they run in does not matter, since what
        # they find is collected in sets and sorted.
        hidden = []
        shield_at = self._shield_at
        rule_at = self._rule_at
        for g in opened:
            shield = shield_at.get(g)
            if shield is not None:
                hidden += [
                    m.span()
                    for m in shield.regex.finditer(text if shield.case_sensitive else lowered)
                ]
        found: dict[str, set[tuple[str, str]]] = {}
        terms = self.terms
        for start, end, key in self.phrases.find_words(lowered, words):
            targets = terms[key]
            if not targets:
                hidden.append((start, end))
                continue
            if hidden and _inside(start, end, hidden):
                continue
            for target, rule in targets:
                found.setdefault(target, set()).add((rule, headline[start:end]))
        for g in opened:
            item = rule_at.get(g)
            if item is None:
                continue
            for match in item.regex.finditer(text if item.case_sensitive else lowered):
                start, end = match.span()
                if start == end or (hidden and _inside(start, end, hidden)):
                    continue
                found.setdefault(item.target, set()).add((item.rule, headline[start:end]))
        return [(target, tuple(sorted(found[target]))) for target in sorted(found)]


def word_runs(lowered: str) -> list[tuple[str, int, int]]:
    """Return the word runs (``\\w+``) of a lower-cased headline with their spans."""
    return [(m.group(), m.start(), m.end()) for m in _WORD_RUN.finditer(lowered)]


# --- loading the topic scheme --------------------------------------------------------


def load_topics(
    path: Path,
) -> tuple[
    tuple[TopicConcept, ...],
    dict[str, tuple[tuple[str, str], ...]],
    tuple[Rule, ...],
    tuple[Rule, ...],
]:
    """Return the concepts of the scheme in *path*, its literal terms (phrase → (topic,
    evidence id) pairs; neutral phrases map to none), its pattern rules and its shields.

    Raises ValueError naming the file and line of a malformed scheme; OSError when the
    file cannot be read.
    """
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
    rules: list[Rule] = []
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
            rules.append(Rule(topic, f"{topic}/rule/{name}", regex, case_sensitive))
    if not concepts:
        raise ValueError(f"{path}: no skos:Concept found")
    shields: list[Rule] = []
    for scheme in typed[SKOS + "ConceptScheme"]:
        for label in values(scheme, HIK + "neutralLabel"):
            terms.setdefault(_key(label.value), [])
        for literal in values(scheme, HIK + "neutralPattern"):
            regex, case_sensitive = _compile(
                literal.value, fragments, lambda m, s=scheme: fail(s, m)
            )
            shields.append(Rule("", "", regex, case_sensitive))
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


def load_country_terms(
    path: Path,
) -> tuple[dict[str, tuple[tuple[str, str], ...]], tuple[Rule, ...], tuple[Rule, ...]]:
    """Return the literal terms (term → (code, evidence id) pairs), pattern rules and
    shields ("not" patterns) of a country-terms CSV. Raises ValueError naming the file
    and line of a malformed row."""
    terms: dict[str, list[tuple[str, str]]] = {}
    rules: list[Rule] = []
    shields: list[Rule] = []
    for line, row in csv_rows(path, ("code", "kind", "term", "pattern", "note")):

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
            (shields if kind == "not" else rules).append(Rule(code, rule, regex, case_sensitive))
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


def load_language_words(path: Path) -> dict[str, dict[str, float]]:
    """Return word → {language: weight} from a language-words CSV. Raises ValueError
    naming the file and line of a malformed row."""
    languages: dict[str, set[str]] = {}
    for line, row in csv_rows(path, ("language", "word")):
        if not re.fullmatch(r"[a-z]{2,3}", row["language"]) or not row["word"]:
            raise ValueError(f"{path}:{line}: needs a language subtag and a word")
        languages.setdefault(row["word"].lower(), set()).add(row["language"])
    # A word shared by n languages is worth 1/n to each: "de" says little, "della" a lot.
    return {
        word: {language: 1.0 / len(langs) for language in sorted(langs)}
        for word, langs in languages.items()
    }


def csv_rows(path: Path, columns: tuple[str, ...]) -> Iterable[tuple[int, dict[str, str]]]:
    """Yield (line number, row) for each non-empty row of a CSV with exactly *columns*.
    Raises ValueError naming the file and line of a wrong header or row."""
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
    return " ".join(phrase.translate(NORMALISE).lower().split())


def _inside(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    return any(s <= start and end <= e for s, e in spans)


class Phrases:
    """Literal phrases found leftmost-longest on word boundaries, by first-word lookup.

    Compiling thousands of phrases into one regular expression costs tens of
    milliseconds at every start; a dictionary keyed by the first word costs one.
    """

    def __init__(self, keys: Iterable[str]) -> None:
        index: dict[str, list[str]] = {}
        by_char: dict[str, list[str]] = {}
        for key in keys:
            first = _FIRST_WORD.match(key)
            if first is None:
                raise ValueError(f"phrase {key!r} does not start with a letter or digit")
            if _UNSPACED_OR_HANGUL.search(key):
                # A term with letters of a script without spaces (or with Hangul, whose
                # words take particles) is looked up by its first character instead.
                by_char.setdefault(key[0], []).append(key)
            else:
                index.setdefault(first.group(), []).append(key)
        # Per first character, its terms longest first, each with whether its start and
        # its end must be word boundaries and, for a term with spaces, a pattern.
        self._by_char = {
            char: tuple(
                (
                    key,
                    not _UNSPACED_CHAR.match(key[0]),
                    not _UNSPACED_OR_HANGUL.match(key[-1]),
                    re.compile(r"\s+".join(map(re.escape, key.split(" ")))) if " " in key else None,
                )
                for key in sorted(keys, key=len, reverse=True)
            )
            for char, keys in by_char.items()
        }
        # Per first word, its phrases longest first, each as (what follows the first
        # word, phrase): the first word is already known to match where it is looked up.
        self._index = {
            word: tuple((key[len(word) :], key) for key in sorted(keys, key=len, reverse=True))
            for word, keys in index.items()
        }
        # For first words whose longer phrases all go on with " " and a word, the same
        # entries split by that next word (each list still longest first, then the
        # one-word phrase, if any): in plain text only those can match.
        self._by_next: dict[str, tuple[dict[str, tuple[tuple[str, str], ...]], tuple]] = {}
        for word, entries in self._index.items():
            longer = [(rest, key) for rest, key in entries if rest]
            if not longer or not all(_NEXT_WORD.match(rest) for rest, _ in longer):
                continue
            split: dict[str, list[tuple[str, str]]] = {}
            for rest, key in longer:
                split.setdefault(_NEXT_WORD.match(rest).group(1), []).append((rest, key))  # type: ignore[union-attr]
            alone = tuple((rest, key) for rest, key in entries if not rest)
            self._by_next[word] = ({w: (*e, *alone) for w, e in split.items()}, alone)

    def find(self, lowered: str) -> Iterable[tuple[int, int]]:
        """Yield the (start, end) spans of phrases in the lower-cased text, left to right."""
        for start, end, _ in self.find_words(lowered, word_runs(lowered)):
            yield start, end

    def find_words(
        self, lowered: str, words: list[tuple[str, int, int]]
    ) -> list[tuple[int, int, str]]:
        """Return (start, end, phrase) of the phrases in the lower-cased text, left to
        right, given its word runs (:func:`word_runs`)."""
        if self._by_char and _UNSPACED_OR_HANGUL.search(lowered):
            return self._find_mixed(lowered, words)
        return self._find_spaced(lowered, words, False)

    def _find_spaced(
        self, lowered: str, words: list[tuple[str, int, int]], mixed: bool
    ) -> list[tuple[int, int, str]]:
        """Return the phrases of the word-run index (see :meth:`find_words`); *mixed*:
        the text has letters of a script without spaces, which end a word."""
        found = []
        resume = 0
        index = self._index
        # With single plain spaces only (nearly always), a phrase's spaces match exactly
        # one space each, so str.startswith decides what _match_at would.
        plain = _ODD_SPACE.search(lowered) is None
        length = len(lowered)
        by_next = self._by_next if plain else {}
        last = len(words) - 1
        for position, (word, start, end) in enumerate(words):
            if start < resume:
                continue
            entries = index.get(word)
            if entries is None:
                continue
            split = by_next.get(word)
            if split is not None:
                # A longer phrase needs the next word run right after one space.
                if position < last and words[position + 1][1] == end + 1:
                    entries = split[0].get(words[position + 1][0], split[1])
                else:
                    entries = split[1]
            for rest, key in entries:
                # A word run is maximal, so a one-word phrase equal to it ends on a
                # word boundary; a longer phrase matches on from the run's end.
                if not rest:
                    stop = end
                elif plain:
                    stop = end + len(rest)
                    if not lowered.startswith(rest, end) or (
                        stop < length
                        and (lowered[stop].isalnum() or lowered[stop] == "_")
                        and not (mixed and _UNSPACED_CHAR.match(lowered[stop]))
                    ):
                        stop = 0
                else:
                    stop = _match_at(lowered, end, rest)
                if stop:
                    found.append((start, stop, key))
                    resume = stop
                    break
        return found

    def _find_mixed(
        self, lowered: str, words: list[tuple[str, int, int]]
    ) -> list[tuple[int, int, str]]:
        """Return the phrases of a text with letters of a script without spaces or of
        Hangul: the word-run index on runs cut where such a script meets another, and
        the terms written in those scripts, leftmost-longest over both."""
        if _UNSPACED_CHAR.search(lowered):
            words = [
                (m.group(), start + m.start(), start + m.end())
                for word, start, _ in words
                for m in _SCRIPT_RUN.finditer(word)
            ]
        found = self._find_spaced(lowered, words, True)
        by_char = self._by_char
        length = len(lowered)
        resume = 0
        for start, char in enumerate(lowered):
            if start < resume:
                continue
            entries = by_char.get(char)
            if entries is None:
                continue
            if start and _is_spaced_word_char(lowered[start - 1]):
                entries = tuple(entry for entry in entries if not entry[1])
            for key, _, bounded_end, pattern in entries:
                if pattern is None:
                    stop = start + len(key) if lowered.startswith(key, start) else 0
                else:
                    match = pattern.match(lowered, start)
                    stop = match.end() if match else 0
                if stop and not (
                    bounded_end and stop < length and _is_spaced_word_char(lowered[stop])
                ):
                    found.append((start, stop, key))
                    resume = stop
                    break
        # Leftmost-longest over both lists: at each start the longer phrase wins, and a
        # phrase overlapping one already taken is dropped.
        found.sort(key=lambda item: (item[0], -item[1]))
        kept: list[tuple[int, int, str]] = []
        for item in found:
            if not kept or item[0] >= kept[-1][1]:
                kept.append(item)
        return kept


def _is_spaced_word_char(char: str) -> bool:
    """Whether *char* is a word character of a script that separates words."""
    return (char.isalnum() or char == "_") and not _UNSPACED_CHAR.match(char)


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
    if position < length and _is_spaced_word_char(text[position]):
        return 0
    return position


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
