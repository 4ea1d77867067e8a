"""Classifying the headlines of a large directory chunk by chunk, remembering every
answer on disk, inside the build's chunk jobs (run in worker processes when large).

A classification depends only on the headline and on the classifier's own inputs
(its code, rules, model and the libraries it calls), so :func:`classifier_digest`
names those inputs and :class:`ClassificationCache` keeps each headline's answer
under that name. A rebuild after a new month is added classifies the new month's
headlines only; a change to a rule or to the model starts a new cache.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import sqlite3
import threading
import time
import unicodedata
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import suppress
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from hikgraph.directory import collection_paused
from hikgraph.paths import cache_dir, data_dir, ontology_dir

if TYPE_CHECKING:
    from hikgraph.classify import Classification
    from hikgraph.classify_ahead import Scout

P = TypeVar("P")
R = TypeVar("R")

# Below this many entries, starting worker processes costs more than it saves.
PARALLEL_MIN = 4000
# Chunks queued for the workers beyond one each, so none waits while the caller
# writes the previous results.
_AHEAD = 2
_FORMAT = "1"  # bump when the stored form of a classification changes
#: The cache file's table layout, in its name: a file of another layout is removed.
_LAYOUT = "2"


#: The modules whose code decides a classification: the classifier's and those of
#: hikgraph's it imports (a test holds the list to what importing hikgraph.classify
#: loads), but for paths.py, which only finds the files. This module (the cache, the
#: stream) and the scout's are not among them, so a change to them keeps the cache
#: and the classifier's ready copy; _FORMAT names the stored form of a classification.
CLASSIFIER_MODULES = (
    "classify.py",
    "classify_gate.py",
    "classify_rules.py",
    "topic_model.py",
    "word_vectors.py",
)


def classifier_digest() -> str:
    """Return a SHA-256 naming everything a classification depends on: the
    classifier's modules (:data:`CLASSIFIER_MODULES`), its data files and the
    versions of the libraries it uses.

    Raises OSError when one of the files cannot be read.
    """
    package = Path(__file__).resolve().parent
    digest = hashlib.sha256(f"format={_FORMAT}\0".encode())
    files = [
        *(package / name for name in CLASSIFIER_MODULES),
        ontology_dir() / "topics.ttl",
        data_dir() / "country-terms.csv",
        data_dir() / "language-words.csv",
        data_dir() / "topic-model.json",
        # The topic model's word vectors (the teacher that distilled them is named inside).
        data_dir() / "word-vectors.json",
        data_dir() / "word-vectors.npy",
    ]
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    for library in ("snowballstemmer", "PyStemmer", "py3langid", "numpy"):
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
    folder (``HIKGRAPH_CACHE_DIR``); files of other digests are removed on open.

    Several processes may use one file at once (each with its own
    :meth:`reopen`-ed connection): readers do not wait for the writer.
    """

    def __init__(self, folder: Path | None = None, digest: str | None = None) -> None:
        folder = folder or cache_dir() / "classifications"
        folder.mkdir(parents=True, exist_ok=True)
        name = f"{(digest or classifier_digest())[:24]}-{_LAYOUT}.sqlite"
        for stale in folder.glob("*.sqlite*"):  # with their -wal and -shm files
            if not stale.name.startswith(name):
                with suppress(OSError):
                    stale.unlink()
        self._open(folder / name)

    @classmethod
    def reopen(cls, path: Path) -> ClassificationCache:
        """Return a new connection to the cache file at *path* (e.g. in a worker
        process: a connection must not be used on both sides of a fork)."""
        cache = cls.__new__(cls)
        cache._open(path)
        return cache

    def _open(self, path: Path) -> None:
        self.path = path
        self._db = sqlite3.connect(path, timeout=60)
        # A rebuildable cache (deleting it is always safe): write-ahead logging lets
        # the workers read while one writes, and no sync per commit spares each
        # chunk an fsync, which, while the build writes gigabytes of dumps, waits for
        # their dirty pages too (seconds per build).
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=OFF")
        # A table with row ids and an index of the headlines, not one keyed by them
        # (WITHOUT ROWID): its rows (~230 bytes) are too long for that, and storing
        # new headlines, in no order, moved them around its pages. 40,000 rows took
        # 0.15-0.17 s to store against 0.39 s; looking them up, the same 0.02 s.
        with self._db:
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS classification "
                "(headline TEXT PRIMARY KEY, result TEXT NOT NULL)"
            )

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


#: Classifications a process keeps decoded (or made) for the headlines it has seen:
#: a large directory repeats headlines from chunk to chunk (a million synthetic
#: entries have ~120k distinct headlines). Cleared when full, and kept for one
#: classifier and cache only. A headline found here is neither looked up nor stored
#: again: it came from the cache, or this process classified it for the stream to store.
_MEMO_LIMIT = 200_000
_memo: dict[str, Classification] = {}
_memo_of: list[object] = []  # the classifier and cache file the memo belongs to


@dataclass(frozen=True)
class ChunkCounts:
    """How the headlines of one chunk were classified."""

    classified: int  # distinct headlines classified now (not in the cache)
    reused: int  # headlines whose classification came from the cache
    seconds: float  # spent on the cache and classifying
    # (headline, classification JSON) made now, for the caller to store in the cache
    unstored: tuple[tuple[str, str], ...] = ()


def classify_chunk(
    headlines: list[str], cache: ClassificationCache | None
) -> tuple[list[Classification], ChunkCounts]:
    """Return the classification of each of *headlines*, from *cache* or classified
    now, and how many were which. What was classified now is not written to *cache*
    here but returned in the counts' ``unstored``: the stream stores it, as the cache
    file's one writer.

    Runs in a worker process or in the caller's; either way the answers are the same
    (a stored classification decodes to the one the classifier gives).
    """
    # Classifying makes many small objects and no cycles: the collector pausing
    # spares it walking the ones piling up (about a tenth of the time).
    with collection_paused():
        return _classify_chunk(headlines, cache)


def _classify_chunk(
    headlines: list[str], cache: ClassificationCache | None
) -> tuple[list[Classification], ChunkCounts]:
    from hikgraph.classify import default_classifier

    started = time.perf_counter()
    classifier = default_classifier()
    path = cache.path if cache is not None else None
    mine = len(_memo_of) == 2 and _memo_of[0] is classifier and _memo_of[1] == path
    if len(_memo) > _MEMO_LIMIT or not mine:
        _memo.clear()
        _memo_of[:] = [classifier, path]
    unseen = [h for h in dict.fromkeys(headlines) if h not in _memo]
    # Made ahead in this build: decoded here, and counted as made by the scout.
    ahead = {h: text for h in unseen if (text := _ahead.get(h)) is not None}
    known = cache.get_many([h for h in unseen if h not in ahead]) if cache is not None else {}
    made: dict[str, str] = {}
    for headline in unseen:
        text = ahead.get(headline) or known.get(headline)
        if text is None:
            classification = classifier.classify(headline)
            made[headline] = encode(classification)
        else:
            classification = decode(text)
        _memo[headline] = classification
    reused = (
        sum(1 for h in headlines if h not in made and h not in ahead) if cache is not None else 0
    )
    elapsed = time.perf_counter() - started
    unstored = () if cache is None else tuple(made.items())
    return [_memo[h] for h in headlines], ChunkCounts(len(made), reused, elapsed, unstored)


#: Classifications made ahead by the scout (:mod:`hikgraph.classify_ahead`) for this
#: stream: headline → JSON, set before the workers fork, so they share it. None of its
#: headlines was in the cache when the scout looked.
_ahead: dict[str, str] = {}


#: This process's connection to each cache file, opened on first use (a worker
#: forked by the build opens its own).
_connections: dict[tuple[int, Path], ClassificationCache] = {}


def _connection(path: Path) -> ClassificationCache:
    key = (os.getpid(), path)
    if key not in _connections:
        _connections[key] = ClassificationCache.reopen(path)
    return _connections[key]


def _run_chunk(
    work: Callable[[P, list[Classification]], R],
    payload: P,
    headlines: list[str],
    cache_path: Path | None,
) -> tuple[R, ChunkCounts]:
    # One task of the workers: the cache is read here, and what was classified now is
    # stored by the caller, its one writer: workers writing one SQLite file in turn
    # wait for its lock in sleeps of up to 100 ms (a second a worker at 100k entries).
    cache = _connection(cache_path) if cache_path is not None else None
    classifications, counts = classify_chunk(headlines, cache)
    return work(payload, classifications), counts


#: How much lower the workers' scheduling priority is than the caller's (nice values).
WORKER_NICENESS = 10


def _yield_to_caller() -> None:
    # The caller's process writes the dumps and loads the store, which every chunk
    # must pass through: it goes first and the workers use the CPU it leaves, or a
    # large build ends with seconds of loading after the last chunk is made.
    with suppress(OSError):
        os.nice(WORKER_NICENESS)


class ClassificationStream:
    """Runs a job over chunks of entries, in order, each with the classifications of
    its headlines: from the cache, or classified by the job's process and then cached.

    The jobs run in worker processes (forked, so they share the loaded classifier)
    when there are enough entries (:meth:`start`), otherwise in the caller's process;
    a job's result is the same either way. Use as a context manager. :attr:`classified`
    counts the distinct headlines classified now (per chunk), :attr:`reused` the
    entries whose headline's classification was in the cache.
    """

    def __init__(self, cache: ClassificationCache | None, workers: int) -> None:
        self._cache = cache
        self._workers = max(1, workers)
        self._pool: ProcessPoolExecutor | None = None
        self._processes = 1  # the processes that ran (or run) the jobs
        self._preloading: threading.Thread | None = None
        self._scout: Scout | None = None
        self._unstored_ahead: dict[str, str] = {}  # the scout's answers, for the cache
        self.classified = 0
        self.reused = 0
        self.seconds = 0.0  # spent in this process on the cache and on classifying

    @property
    def processes(self) -> int:
        """Return how many worker processes ran the jobs (1: the caller's own)."""
        return self._processes

    def classify_ahead(self, texts: Sequence[Path]) -> None:
        """Start a scout process (:mod:`hikgraph.classify_ahead`) that classifies the
        headlines of the directory *texts* while the caller reads them, for a caller
        that expects enough entries to fork workers; :meth:`start` stops it and hands
        its answers to the jobs. Call it before :meth:`preload` (a fork copies only
        the thread that forks)."""
        if self._workers > 1 and self._scout is None:
            from hikgraph.classify_ahead import Scout

            cache_path = self._cache.path if self._cache is not None else None
            self._scout = Scout(texts, cache_path, WORKER_NICENESS)

    def preload(self) -> None:
        """Start loading the classifier and the language identifier's model in a
        thread, for a caller that expects enough entries to fork workers and reads them
        meanwhile: ~0.3 s from the cache folder's copies, or ~1.1 s the first time,
        partly decompressing, which leaves the GIL to the caller. :meth:`start` waits
        for it."""
        if self._workers > 1 and self._preloading is None:
            self._preloading = threading.Thread(
                target=_load_models, name="classifier-models", daemon=True
            )
            self._preloading.start()

    def start(self, entries: int) -> None:
        """Stop the scout (:meth:`classify_ahead`) and take its answers for the jobs,
        then start the worker processes if *entries* are enough to pay for them. Call
        it before the caller starts threads of its own (a fork copies only one), and
        with the caller's records frozen (:func:`gc.freeze`), so that no collection
        in a worker touches, and so copies, the pages it shares with the caller."""
        from hikgraph.classify import default_classifier

        if self._preloading is not None:
            self._preloading.join()  # no thread of ours runs across the fork
            self._preloading = None
        default_classifier()  # loaded once, before any fork
        made = self._stop_scout()
        _ahead.clear()
        _ahead.update(made)  # before the fork: the workers share it
        self.classified += len(made)
        self._unstored_ahead = made
        if entries >= PARALLEL_MIN:
            self._start_pool()

    def _stop_scout(self) -> dict[str, str]:
        scout, self._scout = self._scout, None
        return scout.stop() if scout is not None else {}

    def _start_pool(self) -> None:
        if self._pool is None and self._workers > 1:
            from hikgraph.classify import load_language_identifier

            load_language_identifier()  # shared by the workers, not loaded by each
            self._processes = self._workers
            self._pool = ProcessPoolExecutor(
                self._workers,
                mp_context=multiprocessing.get_context("fork"),
                initializer=_yield_to_caller,
            )
            # A fork-based executor forks all its workers at the first submit: now,
            # before the caller reads more or starts threads.
            self._pool.submit(int).result()

    def __enter__(self) -> ClassificationStream:
        return self

    def close(self) -> None:
        """Stop the worker processes, once no more jobs will come, so that their memory
        goes back (the context's exit does it too); jobs run in the caller's process
        after this."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        if self._scout is not None:
            self._scout.close()
            self._scout = None

    def __exit__(self, *exc: object) -> None:
        self.close()
        _ahead.clear()
        if self._cache is not None:
            self._cache.close()

    def map(
        self,
        work: Callable[[P, list[Classification]], R],
        chunks: Iterable[tuple[list[str], P]],
    ) -> Iterator[R]:
        """Return an iterator of ``work(payload, classifications)`` for each (headlines,
        payload) of *chunks*, in order; *work* must be a module-level function (it is
        sent to the workers by name). With worker processes, the first jobs are handed
        to them before this returns, so they work while the caller does something
        else before it asks for the first result. Iterating raises what *work* raises;
        :class:`BuildWorkerError` when a worker process died.
        """
        chunks = iter(chunks)
        pending: deque[Future[tuple[R, ChunkCounts]]] = deque()
        if self._pool is not None:
            for headlines, payload in chunks:
                pending.append(self._submit(work, payload, headlines))
                if len(pending) > self._workers + _AHEAD:
                    break
        # The scout's answers go into the cache now, while the first jobs run.
        if self._cache is not None and self._unstored_ahead:
            self._cache.put_many(self._unstored_ahead.items())
        self._unstored_ahead = {}
        return self._results(work, chunks, pending)

    def _submit(
        self, work: Callable[[P, list[Classification]], R], payload: P, headlines: list[str]
    ) -> Future[tuple[R, ChunkCounts]]:
        assert self._pool is not None
        cache_path = self._cache.path if self._cache is not None else None
        try:
            return self._pool.submit(_run_chunk, work, payload, headlines, cache_path)
        except BrokenProcessPool:
            raise BuildWorkerError(_DIED) from None

    def _results(
        self,
        work: Callable[[P, list[Classification]], R],
        chunks: Iterator[tuple[list[str], P]],
        pending: deque[Future[tuple[R, ChunkCounts]]],
    ) -> Iterator[R]:
        for headlines, payload in chunks:
            if self._pool is None:
                classifications, counts = classify_chunk(headlines, self._cache)
                self.seconds += counts.seconds
                yield self._count((work(payload, classifications), counts))
                continue
            while len(pending) > self._workers + _AHEAD:
                yield self._count(self._result(pending.popleft()))
            pending.append(self._submit(work, payload, headlines))
        while pending:
            yield self._count(self._result(pending.popleft()))

    def _result(self, future: Future[tuple[R, ChunkCounts]]) -> tuple[R, ChunkCounts]:
        try:
            return future.result()
        except BrokenProcessPool:
            raise BuildWorkerError(_DIED) from None

    def _count(self, done: tuple[R, ChunkCounts]) -> R:
        result, counts = done
        if self._cache is not None and counts.unstored:
            self._cache.put_many(counts.unstored)
        self.classified += counts.classified
        self.reused += counts.reused
        return result


def _load_models() -> None:
    from hikgraph.classify import default_classifier, load_language_identifier

    default_classifier()
    load_language_identifier()


_DIED = "a worker process of the build died (out of memory?); nothing written"


class BuildWorkerError(Exception):
    """A worker process ended without finishing its job (killed, out of memory)."""
