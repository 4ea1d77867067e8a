"""The learned recall layer of the topic classifier: a linear model over n-grams and word vectors.

The rules of ``ontology/topics.ttl`` find topics by listed words; a headline written
with other words slips past them. This model, trained on the human labels by
``tools/train_topic_model.py`` (logistic regression, one per topic, on stemmed word
unigrams, the first letters of longer words, and stemmed bigrams), only *adds* a topic
the rules missed when its probability reaches the threshold chosen by cross-validation;
it never removes a rule's tag.

The weights live in ``data/topic-model.json``, a reviewable file::

    {"format": "hikgraph-topic-model/3", "stemmer": "english", "ngrams": 2,
     "prefix": 4, "threshold": 0.5, "evidence": 3,
     "topics": {"sanctions": {"intercept": -2.1, "weights": {"sanction": 2.4, …}}, …},
     "training": {…}}

A feature is a stem ("sanction"), the first *prefix* letters of a word longer than that
("sanc*", so "sanzioni" and "sanctions" share "san*" … only when they share the
letters), or two adjacent stems joined by a space ("trade war"). Format 1 files (no
``prefix``) and format 2 files (no ``vectors``) are read too. Scoring sums the weights
of the features present (each counted once) and the intercept, then applies the
logistic function.

Format 3 adds **word vectors** (:mod:`hikgraph.word_vectors`, the table named by
``vectors.file`` beside the model file), for words no training headline used: (1) the
headline's vector, the IDF-weighted sum of its words' vectors made a unit vector, times
``vectors.scale``, is scored against each topic's ``vector`` weights; (2) a word whose
stem has no weight in the model borrows the positive weights of the stems of its
``alias_neighbours`` nearest training or topics.ttl words (cosine ≥
``alias_threshold``), each borrowed stem counted once and not when the headline has it.
``vectors.document_frequency`` gives the IDF and the words an alias may point to.

The evidence of a model tag is what pushed it up most, with the exact words of the
headline it came from: a feature (its name), a word's share of the vector score
(``vec-<word>``) or a borrowed stem (``alias-<word>-<training word>``).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Container
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np

from hikgraph.word_vectors import Pooling, WordVectors

FORMAT = "hikgraph-topic-model/3"
# format 1: no word prefixes; format 2: no word vectors
FORMATS = ("hikgraph-topic-model/1", "hikgraph-topic-model/2", FORMAT)
STEMMERS = ("english",)
# Letters only: digits ("2023", "5%") and one-letter pieces ("'s", "U.S.") carry no
# topic, and leaving them out keeps the feature list short.
_TOKEN = re.compile(r"[^\W\d_]{2,}")


@dataclass(frozen=True)
class Feature:
    """One n-gram of a headline and where its words are in the headline."""

    # a stem, a prefix ("sanc*"), stems joined by one space ("trade war"), or a word's
    # vector ("vec-guard") or borrowed stem ("alias-guard-protect") in a model tag
    name: str
    start: int
    end: int


@dataclass(frozen=True)
class VectorSettings:
    """How the word vectors enter the score (see the module docstring)."""

    scale: float  # the headline vector is multiplied by this, as in training
    alias_threshold: float | None  # None: no aliases
    alias_neighbours: int = 2


@dataclass(frozen=True)
class ModelTag:
    """A topic the model adds, its probability, and the features that carried it."""

    topic: str
    probability: float
    features: tuple[Feature, ...]  # strongest first; never empty


class TopicModel:
    """Per-topic logistic regressions over n-gram features; immutable once loaded."""

    def __init__(
        self,
        topics: dict[str, tuple[float, dict[str, float]]],
        threshold: float,
        ngrams: int = 2,
        stemmer: str | None = "english",
        evidence: int = 3,
        prefix: int | None = None,
        pooling: Pooling | None = None,
        vector_weights: dict[str, list[float]] | None = None,
        vector_settings: VectorSettings | None = None,
    ) -> None:
        self.topics = tuple(sorted(topics))
        self.threshold = threshold
        self.ngrams = ngrams
        self.prefix = prefix
        self.stemmer = stemmer
        self.evidence = evidence
        self._intercepts = {topic: topics[topic][0] for topic in self.topics}
        # Inverted once so that scoring walks the headline's features, not the vocabulary.
        index: dict[str, list[tuple[str, float]]] = {}
        for topic in self.topics:
            for name, weight in topics[topic][1].items():
                index.setdefault(name, []).append((topic, weight))
        self._index = {name: tuple(entries) for name, entries in index.items()}
        # The same weights keyed by topic, for picking the evidence of a tag.
        self._weights = {name: dict(entries) for name, entries in index.items()}
        # And as one row of weights per feature, a 0.0 for each topic it does not weigh,
        # so that the sums are added up column by column in C (see _sums).
        self._rows = {
            name: tuple(weights.get(topic, 0.0) for topic in self.topics)
            for name, weights in self._weights.items()
        }
        self._intercept_row = tuple(self._intercepts[topic] for topic in self.topics)
        self._stem = stemmer_function(stemmer)
        # The logit the threshold stands for: comparing sums avoids exp() per topic.
        self._cut = math.log(threshold / (1.0 - threshold))
        self.pooling = pooling
        self.vector_settings = vector_settings
        self._vector_matrix = None
        if pooling is not None:
            if vector_weights is None or vector_settings is None:
                raise ValueError("word vectors need vector weights and settings")
            scale = vector_settings.scale
            # One column per topic, the scale folded in: (dims × topics).
            self._vector_matrix = np.array(
                [[scale * w for w in vector_weights[topic]] for topic in self.topics],
                dtype=np.float64,
            ).T

    def __getstate__(self) -> dict[str, object]:
        # The stem function is a closure over Snowball's stemmer and its memo: a pickled
        # model (hikgraph.ready_copy) makes it again from the stemmer's name.
        state = dict(self.__dict__)
        del state["_stem"]
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        self._stem = stemmer_function(self.stemmer)

    @classmethod
    def load(cls, path: Path) -> TopicModel:
        """Return the model stored in *path* (see the module docstring for the format).

        Raises ValueError naming the file and the offending key when the file is not
        JSON, has another format tag, an unknown stemmer, a threshold outside (0, 1),
        or a topic without a numeric intercept and weights. Raises OSError when the
        file cannot be read.
        """
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as error:
            raise ValueError(f"{path}:{error.lineno}: not valid JSON: {error.msg}") from None

        def fail(key: str, message: str) -> ValueError:
            return ValueError(f"{path}: {key}: {message}")

        if not isinstance(data, dict) or data.get("format") not in FORMATS:
            raise fail("format", f"expected {FORMAT!r}")
        stemmer = data.get("stemmer")
        if stemmer is not None and stemmer not in STEMMERS:
            raise fail("stemmer", f"must be null or one of {', '.join(STEMMERS)}")
        threshold = _number(data.get("threshold"))
        if threshold is None or not 0.0 < threshold < 1.0:
            raise fail("threshold", "must be a number between 0 and 1")
        ngrams = data.get("ngrams")
        if not isinstance(ngrams, int) or isinstance(ngrams, bool) or not 1 <= ngrams <= 3:
            raise fail("ngrams", "must be 1, 2 or 3")
        prefix = data.get("prefix")
        if prefix is not None and (
            not isinstance(prefix, int) or isinstance(prefix, bool) or not 2 <= prefix <= 10
        ):
            raise fail("prefix", "must be null or a number of letters from 2 to 10")
        evidence = data.get("evidence")
        if not isinstance(evidence, int) or isinstance(evidence, bool) or evidence < 1:
            raise fail("evidence", "must be a positive integer")
        pooling, vector_settings, dims = _load_vectors(path, data, fail)
        raw_topics = data.get("topics")
        if not isinstance(raw_topics, dict) or not raw_topics:
            raise fail("topics", "must map topic ids to intercept and weights")
        topics: dict[str, tuple[float, dict[str, float]]] = {}
        vector_weights: dict[str, list[float]] = {}
        for topic, body in raw_topics.items():
            key = f"topics.{topic}"
            if not re.fullmatch(r"[a-z]+(-[a-z]+)*", topic) or not isinstance(body, dict):
                raise fail(key, "must be a lowercase topic id mapping to an object")
            intercept = _number(body.get("intercept"))
            if intercept is None:
                raise fail(f"{key}.intercept", "must be a number")
            weights = body.get("weights")
            if not isinstance(weights, dict):
                raise fail(f"{key}.weights", "must map features to numbers")
            for name, weight in weights.items():
                if _number(weight) is None or name != " ".join(name.split()) or not name:
                    raise fail(f"{key}.weights.{name}", "must be a non-empty feature → number")
            topics[topic] = (intercept, {k: float(v) for k, v in weights.items()})
            if pooling is not None:
                vector = body.get("vector")
                if (
                    not isinstance(vector, list)
                    or len(vector) != dims
                    or any(_number(w) is None for w in vector)
                ):
                    raise fail(f"{key}.vector", f"must be a list of {dims} numbers")
                vector_weights[topic] = [float(w) for w in vector]
        if pooling is None:
            return cls(topics, threshold, ngrams, stemmer, evidence, prefix)
        return cls(
            topics,
            threshold,
            ngrams,
            stemmer,
            evidence,
            prefix,
            pooling,
            vector_weights,
            vector_settings,
        )

    def features(self, lowered: str) -> list[Feature]:
        """Return the n-gram features of a lower-cased headline (see :func:`features`)."""
        return features(lowered, self._stem, self.ngrams, self.prefix)

    def probabilities(self, lowered: str) -> dict[str, float]:
        """Return the probability of every topic for a lower-cased headline."""
        names = self._names(*self.words(lowered))
        sums = self._sums(names)
        if self.pooling is not None:
            self._add_vectors(sums, lowered, names)
        return {topic: 1.0 / (1.0 + math.exp(-sums[topic])) for topic in self.topics}

    def words(self, lowered: str) -> tuple[list[str], list[str]]:
        """Return the stems of the words of a lower-cased text (or of one word run) and
        the per-word features of them the model knows (each word's stem, then its
        prefix), both in reading order. Bigrams are made from the stems."""
        stem = self._stem
        size = self.prefix
        index = self._index
        stems = []
        known = []
        for word in _TOKEN.findall(lowered):
            name = stem(word)
            stems.append(name)
            if name in index:
                known.append(name)
            if size is not None and len(word) > size:
                name = word[:size] + "*"
                if name in index:
                    known.append(name)
        return stems, known

    def tags(
        self,
        lowered: str,
        skip: Container[str] = frozenset(),
        words: tuple[list[str], list[str]] | None = None,
    ) -> list[ModelTag]:
        """Return the topics (not in *skip*) whose probability reaches the threshold.

        *words* may give :meth:`words` of *lowered* (or the concatenation of it over the
        word runs), if the caller has them. A topic is returned only with at least one
        feature, word vector or borrowed stem that pushed it up, so every tag has words to
        show for it; tags are sorted by topic id.
        """
        names = self._names(*(self.words(lowered) if words is None else words))
        sums = self._sums(names)
        parts = None
        if self.pooling is not None:
            parts = self._add_vectors(sums, lowered, names)
        cut = self._cut
        passing = [t for t in self.topics if sums[t] >= cut and t not in skip]
        if not passing:  # the usual case: no spans needed
            return []
        present = self._present(lowered)
        tags = []
        for topic in passing:
            pushing = sorted(
                [
                    (-weight, name, start, end)
                    for name, start, end in present
                    if (weight := self._weights[name].get(topic, 0.0)) > 0
                ]
                + (self._vector_evidence(topic, lowered, parts) if parts is not None else [])
            )
            if pushing:
                probability = 1.0 / (1.0 + math.exp(-sums[topic]))
                chosen = tuple(Feature(name, a, b) for _, name, a, b in pushing[: self.evidence])
                tags.append(ModelTag(topic, probability, chosen))
        return tags

    def _add_vectors(
        self, sums: dict[str, float], lowered: str, names: list[str]
    ) -> tuple[np.ndarray, float, list[tuple[str, str, str]]]:
        """Add the word vectors' part of the score to *sums* (see the module docstring):
        first the headline vector's, then each borrowed stem's positive weights. Returns
        what the evidence needs: the weighted vector sum, its length and the borrowed
        (word, alias word, stem) triples, in reading order."""
        pooling = self.pooling
        settings = self.vector_settings
        assert pooling is not None and settings is not None and self._vector_matrix is not None
        tokens = _TOKEN.findall(lowered)
        total, length = pooling.pooled(tokens)
        if length > 0.0:
            scores = ((total / length) @ self._vector_matrix).tolist()
            for topic, score in zip(self.topics, scores, strict=True):
                sums[topic] += score
        borrowed: list[tuple[str, str, str]] = []
        if settings.alias_threshold is not None:
            index = self._index
            stem = self._stem
            seen = set(names)
            for word in tokens:
                if stem(word) in index:
                    continue
                for alias in pooling.aliases(
                    word, settings.alias_neighbours, settings.alias_threshold
                ):
                    name = stem(alias)
                    if name in seen:
                        continue
                    seen.add(name)
                    if name in index:
                        borrowed.append((word, alias, name))
                        for topic, weight in index[name]:
                            if weight > 0:
                                sums[topic] += weight
        return total, length, borrowed

    def _vector_evidence(
        self,
        topic: str,
        lowered: str,
        parts: tuple[np.ndarray, float, list[tuple[str, str, str]]],
    ) -> list[tuple[float, str, int, int]]:
        """Return (-share, name, start, end) of each headline word that pushed *topic*
        up through its vector (its share of the vector score) or a borrowed stem."""
        pooling = self.pooling
        assert pooling is not None and self._vector_matrix is not None
        _, length, borrowed = parts
        column = self._vector_matrix[:, self.topics.index(topic)]
        first: dict[str, tuple[int, int]] = {}
        counts: dict[str, int] = {}
        for match in _TOKEN.finditer(lowered):
            word = match.group()
            first.setdefault(word, (match.start(), match.end()))
            counts[word] = counts.get(word, 0) + 1
        out = []
        if length > 0.0:
            placed = []
            rows = []
            for word, (start, end) in first.items():
                weight, row = pooling.facts(word)
                if row is not None:
                    placed.append((word, start, end, counts[word] * weight / length))
                    rows.append(row)
            # Each word's vector against the topic's weights, in one product.
            scores = (pooling.vectors.matrix[rows] @ column).tolist() if rows else []
            for (word, start, end, factor), score in zip(placed, scores, strict=True):
                share = factor * score
                if share > 0:
                    out.append((-share, f"vec-{word}", start, end))
        for word, alias, name in borrowed:
            weight = self._weights[name].get(topic, 0.0)
            if weight > 0:
                start, end = first[word]
                out.append((-weight, f"alias-{word}-{alias}", start, end))
        return out

    def _names(self, stems: list[str], known: list[str]) -> list[str]:
        """Return the names of the features the model knows, each once, in the order of
        :meth:`_present` (which the sums must follow, to add up the same floats):
        the known per-word features, then the known n-grams."""
        index = self._index
        seen = dict.fromkeys(known)  # ordered, once each: features are binary
        if self.ngrams == 2:  # the usual case, without a generator
            for first, second in pairwise(stems):
                name = first + " " + second
                if name in index:
                    seen[name] = None
        else:
            for size in range(2, self.ngrams + 1):
                for i in range(len(stems) - size + 1):
                    name = " ".join(stems[i : i + size])
                    if name in index:
                        seen[name] = None
        return list(seen)

    def _present(self, lowered: str) -> list[tuple[str, int, int]]:
        """Return (name, start, end) of the features the model knows, each once, at its
        first place: the features are binary, as they were in training. The same
        features as :func:`features`, in its order, without making Feature objects."""
        index = self._index
        stem = self._stem
        size = self.prefix
        present: dict[str, tuple[str, int, int]] = {}
        words = []
        for match in _TOKEN.finditer(lowered):
            word, start, end = match.group(), match.start(), match.end()
            name = stem(word)
            words.append((name, start, end))
            if name in index and name not in present:
                present[name] = (name, start, end)
            if size is not None and len(word) > size:
                name = word[:size] + "*"
                if name in index and name not in present:
                    present[name] = (name, start, end)
        for n in range(2, self.ngrams + 1):
            for i in range(len(words) - n + 1):
                if n == 2:  # the usual case, without a generator
                    name = words[i][0] + " " + words[i + 1][0]
                else:
                    name = " ".join(part for part, _, _ in words[i : i + n])
                if name in index and name not in present:
                    present[name] = (name, words[i][1], words[i + n - 1][2])
        return list(present.values())

    def _sums(self, names: list[str]) -> dict[str, float]:
        """Return intercept + the weights of *names*, per topic, added in the order of
        *names* (adding a feature's 0.0 leaves a sum as it was)."""
        if not names:
            return dict(self._intercepts)
        rows = self._rows
        columns = zip(*[rows[name] for name in names], strict=True)
        # sum(column, start) adds left to right in C, as a loop would (Python 3.11).
        return {
            topic: sum(column, start)
            for topic, column, start in zip(self.topics, columns, self._intercept_row, strict=True)
        }


def _number(value: Any) -> float | None:
    """Return *value* as a float if it is a finite JSON number (not a boolean), else None."""
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


def _load_vectors(
    path: Path, data: dict[str, Any], fail: Callable[[str, str], ValueError]
) -> tuple[Pooling | None, VectorSettings | None, int]:
    """Return the pooling, the settings and the dims of a model file's ``vectors``
    block (None, None, 0 without one). Raises ValueError (from *fail*) on a bad block."""
    block = data.get("vectors")
    if block is None:
        return None, None, 0
    if not isinstance(block, dict):
        raise fail("vectors", "must be an object")
    name = block.get("file")
    if not isinstance(name, str) or not name or Path(name).name != name:
        raise fail("vectors.file", "must name a file beside the model file")
    scale = _number(block.get("scale"))
    if scale is None or scale <= 0:
        raise fail("vectors.scale", "must be a positive number")
    threshold = block.get("alias_threshold")
    if threshold is not None and (_number(threshold) is None or not 0 < threshold <= 1):
        raise fail("vectors.alias_threshold", "must be null or a number in (0, 1]")
    neighbours = block.get("alias_neighbours")
    if not isinstance(neighbours, int) or isinstance(neighbours, bool) or neighbours < 1:
        raise fail("vectors.alias_neighbours", "must be a positive integer")
    headlines = block.get("headlines")
    if not isinstance(headlines, int) or isinstance(headlines, bool) or headlines < 1:
        raise fail("vectors.headlines", "must be a positive integer")
    frequency = block.get("document_frequency")
    if not isinstance(frequency, dict) or not all(
        isinstance(c, int) and not isinstance(c, bool) and 0 <= c <= headlines
        for c in frequency.values()
    ):
        raise fail("vectors.document_frequency", "must map words to headline counts")
    table = WordVectors.load(path.with_name(name))
    pooling = Pooling(table, frequency, headlines, alias_words=sorted(frequency))
    settings = VectorSettings(scale, None if threshold is None else float(threshold), neighbours)
    return pooling, settings, table.dims


def features(
    lowered: str, stem: Callable[[str], str], ngrams: int, prefix: int | None = None
) -> list[Feature]:
    """Return the features of a lower-cased headline, in reading order: every word's
    stem followed, for a word longer than *prefix* letters, by its first *prefix*
    letters and "*"; then every run of 2 … *ngrams* adjacent stems.

    *lowered* must have the length of the headline (see
    :func:`hikgraph.classify_rules.normalise`), so that spans point at its words. The
    training script builds its features with this same function.
    """
    words = [(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(lowered)]
    stems = [(stem(word), start, end) for word, start, end in words]
    found = []
    for (word, start, end), (name, _, _) in zip(words, stems, strict=True):
        found.append(Feature(name, start, end))
        if prefix is not None and len(word) > prefix:
            found.append(Feature(word[:prefix] + "*", start, end))
    for size in range(2, ngrams + 1):
        for i in range(len(stems) - size + 1):
            gram = stems[i : i + size]
            name = " ".join(part for part, _, _ in gram)
            found.append(Feature(name, gram[0][1], gram[-1][2]))
    return found


def stemmer_function(name: str | None) -> Callable[[str], str]:
    """Return a memoised word → stem function (identity when *name* is None).

    Raises ValueError for a stemmer name snowballstemmer does not know.
    """
    if name is None:
        return lambda word: word
    import snowballstemmer  # imported here: only a model that stems needs it

    try:
        stem_word = snowballstemmer.stemmer(name).stemWord
    except KeyError:
        raise ValueError(f"unknown stemmer {name!r}") from None
    memo: dict[str, str] = {}

    def stem(word: str) -> str:
        # Pure-Python Snowball costs ~25 µs a word (PyStemmer ~0.3 µs); words repeat.
        cached = memo.get(word)
        if cached is None:
            cached = memo[word] = stem_word(word)
        return cached

    return stem
