"""Classifying a large directory's headlines ahead, while the build still reads it.

Before the build's workers can fork, its process reads and plans the directory texts
on one core (~1 s at 100,000 entries, ~10 s at a million), and any other core waits.
A scout, forked first, uses one of them: it takes the headlines straight from the
texts (:func:`hikgraph.directory.entry_headlines`, last first, while the workers will
start from the first), classifies those the cache does not hold, and hands its
answers over when told to stop, just before the workers fork
(:meth:`hikgraph.classify_stream.ClassificationStream.start`). A classification
depends on the headline alone, so the answers are the ones a worker would make.

The scout only saves time: if it fails or dies, the workers classify what it did not.
"""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import suppress
from itertools import islice
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from hikgraph.directory import collection_paused, entry_headlines

#: Headlines classified between two looks for the stop message (~3 ms).
BATCH = 32
#: How long :meth:`Scout.stop` waits for the scout's answers before it gives up on
#: them (it answers within a batch).
STOP_SECONDS = 10.0


class Scout:
    """A process that classifies the headlines of *texts* until :meth:`stop`.

    Use as a context manager; the scout is stopped (its answers dropped) on exit.
    Start it before the caller starts threads of its own (a fork copies only the one
    that forks). It loads the classifier itself, so it may start before the caller
    has loaded it (the build loads its own meanwhile, in a thread).
    """

    def __init__(self, texts: Sequence[Path], cache_path: Path | None, niceness: int) -> None:
        context = multiprocessing.get_context("fork")
        self._connection, theirs = context.Pipe()
        # A daemon: it ends with the process that forked it.
        self._process = context.Process(
            target=_scout,
            args=(theirs, [Path(text) for text in texts], cache_path, niceness, os.getpid()),
            name="classify-ahead",
            daemon=True,
        )
        self._process.start()
        theirs.close()

    @property
    def pid(self) -> int:
        """Return the scout's process id."""
        assert self._process.pid is not None  # started in __init__
        return self._process.pid

    @property
    def alive(self) -> bool:
        """Return whether the scout's process still runs."""
        return self._process.is_alive()

    def wait(self, timeout: float) -> bool:
        """Wait up to *timeout* seconds for the scout to have classified every headline
        (or to have died); return whether it is done. Its answers wait for
        :meth:`stop`."""
        with suppress(OSError, ValueError):
            return bool(self._connection.poll(timeout))
        return True

    def stop(self) -> dict[str, str]:
        """Stop the scout and return what it classified: headline → the classification
        as :func:`hikgraph.classify_stream.encode` writes it. Empty when it failed."""
        answers: dict[str, str] = {}
        with suppress(OSError, EOFError, ValueError):
            with suppress(BrokenPipeError):  # it may have finished and be sending
                self._connection.send(None)
            if self._connection.poll(STOP_SECONDS):
                received = self._connection.recv()
                if isinstance(received, dict):
                    answers = received
        self.close()
        return answers

    def close(self) -> None:
        """End the scout at once, dropping its answers (idempotent)."""
        self._connection.close()
        if self._process.is_alive():
            self._process.kill()
        self._process.join()

    def __enter__(self) -> Scout:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _scout(
    connection: Connection,
    texts: list[Path],
    cache_path: Path | None,
    niceness: int,
    parent: int,
) -> None:
    # Runs in the scout's process: classify headlines in batches, looking for the stop
    # message (or the end of the process that forked it) between batches; then send
    # the answers and end.
    with suppress(OSError):
        os.nice(niceness)  # the caller's reading comes first
    made: dict[str, str] = {}
    # The workers classify what the scout could not; the build says what failed.
    with suppress(OSError, sqlite3.Error, ValueError):
        _classify_until_stopped(connection, texts, cache_path, parent, made)
    _send(connection, made)


def _classify_until_stopped(
    connection: Connection,
    texts: list[Path],
    cache_path: Path | None,
    parent: int,
    made: dict[str, str],
) -> None:
    from hikgraph.classify import default_classifier
    from hikgraph.classify_stream import ClassificationCache, encode

    # Classifying makes many small objects and no cycles (as in classify_chunk).
    with collection_paused():
        classifier = default_classifier()
        cache = ClassificationCache.reopen(cache_path) if cache_path is not None else None
        headlines = _headlines(texts)
        while not connection.poll() and os.getppid() == parent:
            batch = list(islice(headlines, BATCH))
            if not batch:
                break
            known = cache.get_many(batch) if cache is not None else {}
            for headline in batch:
                if headline not in known:
                    made[headline] = encode(classifier.classify(headline))
        if cache is not None:
            cache.close()


def _headlines(texts: list[Path]) -> Iterator[str]:
    # The last text's last headline first: the workers start from the other end.
    for path in reversed(texts):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue  # the build's own reading says what is wrong with it
        yield from entry_headlines(text)


def _send(connection: Connection, answers: dict[str, Any]) -> None:
    with suppress(OSError, ValueError):
        connection.send(answers)
        connection.close()
