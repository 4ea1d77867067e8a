"""Classifying the headlines of a large directory: chunk by chunk, in worker
processes, remembering every answer on disk.

A classification depends only on the headline and on the classifier's own inputs
(its code, rules, model and the libraries it calls), so :func:`classifier_digest`
names those inputs and :class:`ClassificationCache` keeps each headline's answer
under that name. A rebuild after a new month is added classifies the new month's
headlines only; a change to a rule or to the model starts a new cache.
"""

from __future__ import annotations

import gc
import hashlib
import json
import multiprocessing
import sqlite3
import unicodedata
from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import suppress
from importlib.metadata import PackageNotFoundError, version
from multiprocessing.pool import AsyncResult
from pathlib import Path
from typing import TYPE_CHECKING

from hikgraph.paths import cache_dir, data_dir, ontology_dir

if TYPE_CHECKING:
    from multiprocessing.pool import Pool

    from hikgraph.classify import Classification

# Below this many headlines to classify in one chunk, starting worker processes
# costs more than it saves; once they run, a chunk with this many goes to them.
PARALLEL_MIN = 4000
PARALLEL_MIN_RUNNING = 200
# Chunks in flight in the workers while the caller writes the previous ones.
_AHEAD = 2
_FORMAT = "1"  # bump when the stored form of a classification changes


def classifier_digest() -> str:
    """Return a SHA-256 naming everything a classification depends on: the
    classifier's modules, its data files and the versions of the libraries it uses.

    Raises OSError when one of the files cannot be read.
    """
    package = Path(__file__).resolve().parent
    digest = hashlib.sha256(f"format={_FORMAT}\0".encode())
    files = [
        *sorted(package.glob("classify*.py")),
        package / "topic_model.py",
        ontology_dir() / "topics.ttl",
        data_dir() / "country-terms.csv",
        data_dir() / "language-words.csv",
        data_dir() / "topic-model.json",
    ]
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    for library in ("snowballstemmer", "PyStemmer"):
        with suppress(PackageNotFoundError):
            digest.update(f"{library}={version(library)}\0".encode())
    digest.update(f"unicode={unicodedata.unidata_version}".encode())
    return digest.hexdigest()


def encode(classification: Classification) -> str:
    """Return *classification* as compact JSON (the form kept in the cache)."""
    return json.dumps(
        [
            classification.language,
            [[t.topic, [[e.rule, e.matched] for e in t.evidence]] for t in classification.topics],
            [[c.code, [[e.rule, e.matched] for e in c.evidence]] for c in classification.countries],
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )


def decode(text: str) -> Classification:
    """Return the classification *text* holds (see :func:`encode`).

    Raises ValueError when *text* is not one.
    """
    from hikgraph.classify import Classification, CountryTag, Evidence, TopicTag

    try:
        language, topics, countries = json.loads(text)
        return Classification(
            language=language,
            topics=tuple(
                TopicTag(topic, tuple(Evidence(r, m) for r, m in items)) for topic, items in topics
            ),
            countries=tuple(
                CountryTag(code, tuple(Evidence(r, m) for r, m in items))
                for code, items in countries
            ),
        )
    except (TypeError, ValueError) as error:
        raise ValueError(f"not a stored classification: {error}") from None


class ClassificationCache:
    """Classifications kept in an SQLite file per classifier digest under the cache
    folder (``HIKGRAPH_CACHE_DIR``); files of other digests are removed on open."""

    def __init__(self, folder: Path | None = None, digest: str | None = None) -> None:
        folder = folder or cache_dir() / "classifications"
        folder.mkdir(parents=True, exist_ok=True)
        name = f"{(digest or classifier_digest())[:24]}.sqlite"
        for stale in folder.glob("*.sqlite"):
            if stale.name != name:
                with suppress(OSError):
                    stale.unlink()
        self.path = folder / name
        self._db = sqlite3.connect(self.path, timeout=60)
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS classification "
            "(headline TEXT PRIMARY KEY, result TEXT NOT NULL) WITHOUT ROWID"
        )
        self._db.commit()

    def get_many(self, headlines: Iterable[str]) -> dict[str, str]:
        """Return the stored classification (JSON) of each of *headlines* known."""
        found: dict[str, str] = {}
        pending = list(dict.fromkeys(headlines))
        for start in range(0, len(pending), 500):
            batch = pending[start : start + 500]
            marks = ",".join("?" * len(batch))
            found.update(
                self._db.execute(
                    f"SELECT headline, result FROM classification WHERE headline IN ({marks})",
                    batch,
                ).fetchall()
            )
        return found

    def put_many(self, items: Iterable[tuple[str, str]]) -> None:
        """Store (headline, classification JSON) pairs."""
        with self._db:
            self._db.executemany("INSERT OR REPLACE INTO classification VALUES (?, ?)", items)

    def close(self) -> None:
        """Close the file."""
        self._db.close()


def _classify_part(headlines: list[str]) -> list[str]:
    # Runs in a worker: the classifier was loaded by the parent before the fork.
    from hikgraph.classify import default_classifier

    classifier = default_classifier()
    return [encode(classifier.classify(headline)) for headline in headlines]


class ClassificationStream:
    """Classifies chunks of headlines in order, with the cache and, for large
    chunks, worker processes that run ahead of the caller.

    Use as a context manager; :meth:`classify` yields one list of classifications per
    chunk of headlines. :attr:`classified` counts the distinct headlines classified
    now, :attr:`reused` the entries whose headline's classification was in the cache.
    """

    def __init__(
        self, cache: ClassificationCache | None, workers: int, *, start_workers: bool = False
    ) -> None:
        from hikgraph.classify import default_classifier

        self._classifier = default_classifier()
        self._cache = cache
        self._workers = max(1, workers)
        self._pool: Pool | None = None
        self.classified = 0
        self.reused = 0
        if start_workers and self._workers > 1:
            # Forked now, before the caller reads a large directory, the workers share
            # only the classifier with it: forked later, each would carry (and, as
            # its garbage collector touches them, copy) every record read so far.
            self._start_pool()

    def _start_pool(self) -> Pool:
        if self._pool is None:
            self._pool = multiprocessing.get_context("fork").Pool(self._workers)
        return self._pool

    def __enter__(self) -> ClassificationStream:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
        if self._cache is not None:
            self._cache.close()

    def classify(self, chunks: Iterable[list[str]]) -> Iterator[list[Classification]]:
        """Yield, for each chunk of *chunks*, the classification of each headline."""
        pending: deque[tuple[list[str], dict[str, str], list[AsyncResult[list[str]]], list[str]]]
        pending = deque()
        for chunk in chunks:
            known = self._cache.get_many(chunk) if self._cache is not None else {}
            missing = [h for h in dict.fromkeys(chunk) if h not in known]
            self.reused += sum(1 for h in chunk if h in known)
            futures = self._submit(missing)
            pending.append((chunk, known, futures, missing))
            while len(pending) > _AHEAD or (pending and not pending[-1][2]):
                yield self._finish(*pending.popleft())
        while pending:
            yield self._finish(*pending.popleft())

    def _submit(self, missing: list[str]) -> list[AsyncResult[list[str]]]:
        least = PARALLEL_MIN if self._pool is None else PARALLEL_MIN_RUNNING
        if len(missing) < least or self._workers < 2:
            return []
        if self._pool is None:
            gc.freeze()  # see __init__: at least keep the collector off the shared pages
            self._start_pool()
            gc.unfreeze()
        assert self._pool is not None
        size = -(-len(missing) // self._workers)
        return [
            self._pool.apply_async(_classify_part, (missing[i : i + size],))
            for i in range(0, len(missing), size)
        ]

    def _finish(
        self,
        chunk: list[str],
        known: dict[str, str],
        futures: list[AsyncResult[list[str]]],
        missing: list[str],
    ) -> list[Classification]:
        if futures:
            results = [text for future in futures for text in future.get()]
            decoded = {h: decode(text) for h, text in zip(missing, results, strict=True)}
        else:
            decoded = {h: self._classifier.classify(h) for h in missing}
            results = [encode(decoded[h]) for h in missing] if self._cache is not None else []
        self.classified += len(missing)
        if self._cache is not None and missing:
            self._cache.put_many(zip(missing, results, strict=True))
        for headline, text in known.items():
            decoded[headline] = decode(text)
        return [decoded[headline] for headline in chunk]
