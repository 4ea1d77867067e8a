"""A :class:`~hikgraph.store.GraphStore` whose queries run in worker processes that are
killed when they run past the time limit.

A thread cannot stop a query: Oxigraph evaluates in Rust outside the GIL, rdflib
swallows ordinary exceptions, and Python has no way to kill a thread. A process can
be killed, so each query slot is a process that opens its own store (the embedded
store is opened read-only, so any number may share it). On a timeout the process is
killed and a fresh one takes its place; the other slots keep answering.
"""

from __future__ import annotations

import multiprocessing
import queue
import signal
import threading
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from pyoxigraph import Triple

from hikgraph.sparql import EngineError, QueryError, QueryResult, QueryTimeout, check_query
from hikgraph.store import Engine, GraphStore, StoreError

# spawn, not fork: the server has threads, and a forked child of a threaded process
# may inherit a lock held by another thread.
_CONTEXT = multiprocessing.get_context("spawn")
_STARTUP_LIMIT = 120.0


def _serve_jobs(engine: Engine, conn: Connection) -> None:
    """The worker's loop: open the store once, then answer jobs until the pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the server's to handle
    try:
        store: GraphStore | None = engine.open()
        conn.send(("ready", store.label if store else ""))
    except StoreError as error:
        store = None
        conn.send(("failed", str(error)))
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        kind, argument, max_rows = job
        try:
            if store is None:
                raise EngineError("the worker could not open the store")
            if kind == "query":
                answer: Any = store.query(argument, max_rows=max_rows)
            else:
                answer = store.describe(argument)
            conn.send(("ok", answer))
        except QueryError as error:
            conn.send(("error", error))
        except Exception as error:  # anything else is a bug; report it, keep serving
            conn.send(("error", EngineError(f"{type(error).__name__}: {error}")))


class _Worker:
    def __init__(self, engine: Engine) -> None:
        self.conn, child = _CONTEXT.Pipe()
        self.process: BaseProcess = _CONTEXT.Process(
            target=_serve_jobs, args=(engine, child), daemon=True, name="hikgraph-query"
        )
        self.process.start()
        child.close()
        self.ready = False
        self.label = ""

    def wait_ready(self) -> None:
        if self.ready:
            return
        if not self.conn.poll(_STARTUP_LIMIT):
            raise EngineError("a query worker did not start in time")
        status, detail = self.conn.recv()
        if status != "ready":
            raise StoreError(detail)
        self.ready, self.label = True, detail

    def kill(self) -> None:
        self.process.kill()
        self.process.join(5)
        self.conn.close()


class PooledStore:
    """Run queries on *engine* in *workers* processes, each query limited to *timeout*
    seconds. Raises :class:`~hikgraph.store.StoreError` when the store cannot be
    opened (found out at once: every worker is waited for)."""

    def __init__(self, engine: Engine, *, workers: int = 2, timeout: float = 10.0) -> None:
        if workers < 1:
            raise ValueError("at least one worker is needed")
        self.engine = engine
        self.timeout = timeout
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._all: set[_Worker] = set()
        self._lock = threading.Lock()
        self._closed = False
        for _ in range(workers):
            self._add_worker()
        # They start side by side; waiting for all costs about as much as for one, and
        # a store that cannot be opened is reported now rather than at the first query.
        started = [self._idle.get() for _ in range(workers)]
        try:
            for worker in started:
                worker.wait_ready()
        except Exception:
            self.close()
            raise
        for worker in started:
            self._idle.put(worker)
        self.label = f"{started[0].label} ({workers} worker processes, {timeout:g} s limit)"

    def _add_worker(self) -> None:
        worker = _Worker(self.engine)
        with self._lock:
            self._all.add(worker)
        self._idle.put(worker)

    def _run(self, kind: str, argument: Any, max_rows: int | None) -> Any:
        if self._closed:
            raise EngineError("the query pool is closed")
        # Waiting for a free slot is limited too, so a client never waits for ever.
        try:
            worker = self._idle.get(timeout=self.timeout)
        except queue.Empty:
            raise QueryTimeout(
                f"every query slot stayed busy for {self.timeout:g} s; try again"
            ) from None
        try:
            worker.wait_ready()  # a fresh worker's start-up is not the query's time
            worker.conn.send((kind, argument, max_rows))
            if not worker.conn.poll(self.timeout):
                raise TimeoutError
            status, answer = worker.conn.recv()
        except TimeoutError:
            self._replace(worker)
            raise QueryTimeout(
                f"the query ran past the time limit of {self.timeout:g} s and was stopped"
            ) from None
        except (EOFError, OSError, BrokenPipeError):
            self._replace(worker)
            raise EngineError("the query worker died; a new one has been started") from None
        except BaseException:
            self._replace(worker)
            raise
        self._idle.put(worker)
        if status == "error":
            raise answer
        return answer

    def _replace(self, worker: _Worker) -> None:
        worker.kill()
        with self._lock:
            self._all.discard(worker)
        if not self._closed:
            self._add_worker()

    def query(self, text: str, *, max_rows: int | None = None) -> QueryResult:
        """See :meth:`hikgraph.store.GraphStore.query`; also raises
        :class:`~hikgraph.sparql.QueryTimeout` when the limit is reached."""
        check_query(text)  # refuse here, before any worker sees the text
        result: QueryResult = self._run("query", text, max_rows)
        return result

    def describe(self, iri: str) -> list[Triple]:
        """See :meth:`hikgraph.store.GraphStore.describe`."""
        triples: list[Triple] = self._run("describe", iri, None)
        return triples

    def close(self) -> None:
        """Stop every worker process."""
        self._closed = True
        with self._lock:
            workers = list(self._all)
            self._all.clear()
        for worker in workers:
            worker.kill()
