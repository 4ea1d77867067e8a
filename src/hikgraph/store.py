"""The graph behind one small interface, whichever engine answers.

:class:`GraphStore` is what the CLI, the server and the pages use: ``query(text)``
and ``describe(iri)``. Three engines implement it:

- ``oxigraph`` (the default): an embedded, persistent Oxigraph store kept in the
  cache folder (:func:`hikgraph.paths.cache_dir`), loaded from ``exports/hikgraph.nt``
  and rebuilt whenever that file's SHA-256 changes (:func:`ensure_store`; ``hikgraph
  build`` calls it too);
- ``rdflib``: rdflib's own SPARQL engine over the same N-Triples, kept as the
  independent second opinion for parity tests;
- ``endpoint``: any SPARQL 1.1 endpoint over HTTP (:mod:`hikgraph.endpoint`).

Every ``query`` runs :func:`hikgraph.sparql.check_query` first, so no engine is ever
handed an update, ``SERVICE``, ``FROM`` or ``FROM NAMED``.
"""

from __future__ import annotations

import fcntl
import hashlib
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from pyoxigraph import (
    BlankNode,
    Literal,
    NamedNode,
    QueryBoolean,
    QuerySolutions,
    RdfFormat,
    Store,
    Triple,
)

from hikgraph.sparql import (
    AskResult,
    EngineError,
    GraphResult,
    QueryResult,
    SelectResult,
    Term,
    check_query,
    oxigraph_syntax_error,
)

ENGINES = ("oxigraph", "rdflib", "endpoint")
GRAPH_FILE = "hikgraph.nt"
MARKER_FILE = "hikgraph-store.json"


class StoreError(Exception):
    """The store cannot be opened or built; the message is one line naming the cause."""


class GraphStore(Protocol):
    """A read-only SPARQL 1.1 query engine over the hikgraph graph."""

    label: str
    """Which engine answers, for logs and the service description."""

    def query(self, text: str, *, max_rows: int | None = None) -> QueryResult:
        """Return the result of the SPARQL query *text*.

        At most *max_rows* solutions (or triples) are returned; the result's
        ``truncated`` says whether there were more. Raises the
        :class:`hikgraph.sparql.QueryError` subclasses: syntax errors, refused
        queries (updates, SERVICE, FROM), :class:`~hikgraph.sparql.EngineError`.
        """
        ...

    def describe(self, iri: str) -> list[Triple]:
        """Return what the graph says about *iri*: its own triples, those of its
        ``#fragment`` parts, and the triples that point at it (empty if unknown)."""
        ...


def describe_query(iri: str) -> str:
    """Return the CONSTRUCT query behind :meth:`GraphStore.describe` for *iri*.

    Raises ValueError when *iri* is not a valid IRI (so nothing odd reaches a query).
    """
    node = NamedNode(iri)  # validates: an IRI cannot hold <, >, ", space or backslash
    ref = str(node)
    return (
        "CONSTRUCT { ?s ?p ?o } WHERE {\n"
        f"  {{ {ref} ?p ?o BIND({ref} AS ?s) }}\n"
        f"  UNION {{ {ref} ?link ?s . ?s ?p ?o "
        f'FILTER(isIRI(?s) && STRSTARTS(STR(?s), "{node.value}#")) }}\n'
        f"  UNION {{ ?s ?p {ref} BIND({ref} AS ?o) }}\n"
        "}"
    )


def describe_by_query(store: GraphStore, iri: str) -> list[Triple]:
    """Return :meth:`GraphStore.describe` of *iri* answered by *store*'s own query."""
    result = store.query(describe_query(iri))
    assert isinstance(result, GraphResult)
    return result.triples


def take_rows(items: Iterable[Any], max_rows: int | None) -> tuple[list[Any], bool]:
    """Return the first *max_rows* of *items* (all when None) and whether more were left;
    reads at most one item past the cap, so an engine's lazy results stay lazy."""
    if max_rows is None:
        return list(items), False
    taken = list(itertools.islice(items, max_rows + 1))
    return taken[:max_rows], len(taken) > max_rows


# --- the embedded Oxigraph store ------------------------------------------------------


class OxigraphStore:
    """The embedded Oxigraph engine over a pyoxigraph :class:`~pyoxigraph.Store`."""

    def __init__(self, store: Store, label: str = "embedded Oxigraph store") -> None:
        self._store = store
        self.label = label

    @classmethod
    def open(cls, exports_dir: Path | None = None) -> OxigraphStore:
        """Return the persistent store of *exports_dir* (default ``exports/``), built or
        rebuilt first if the exports changed, opened read-only (so any number of
        processes may read it at once). Raises :class:`StoreError`."""
        path = ensure_store(exports_dir)
        try:
            return cls(Store.read_only(str(path)), f"embedded Oxigraph store at {path}")
        except OSError as error:
            raise StoreError(f"{path}: cannot open the store: {error}") from None

    @classmethod
    def in_memory(cls, ntriples: Path) -> OxigraphStore:
        """Return a store holding the N-Triples file *ntriples* in memory only."""
        store = Store()
        try:
            store.bulk_load(path=str(ntriples), format=RdfFormat.N_TRIPLES)
        except (OSError, SyntaxError) as error:
            raise StoreError(f"{ntriples}: {error}") from None
        return cls(store, f"in-memory Oxigraph store of {ntriples}")

    def query(self, text: str, *, max_rows: int | None = None) -> QueryResult:
        """See :meth:`GraphStore.query`."""
        checked = check_query(text)
        try:
            answer = self._store.query(checked.text)
            if isinstance(answer, QueryBoolean):
                return AskResult(bool(answer))
            if isinstance(answer, QuerySolutions):
                variables = tuple(v.value for v in answer.variables)
                rows, truncated = take_rows((tuple(row) for row in answer), max_rows)
                return SelectResult(variables, rows, truncated)
            triples, truncated = take_rows(answer, max_rows)
            return GraphResult(triples, truncated)
        except SyntaxError as error:
            raise oxigraph_syntax_error(error) from None
        except (OSError, RuntimeError, ValueError) as error:
            raise EngineError(f"Oxigraph failed: {error}") from None

    def describe(self, iri: str) -> list[Triple]:
        """See :meth:`GraphStore.describe`."""
        return describe_by_query(self, iri)

    def __len__(self) -> int:
        return len(self._store)


def store_dir(exports_dir: Path | None = None) -> Path:
    """Return the cache folder of the store built from *exports_dir*.

    ``<cache>/store`` for the checkout's ``exports/``; ``<cache>/store-<hash>`` for any
    other folder, keyed by its absolute path, so building elsewhere (``--out``) never
    replaces the store of the published exports.
    """
    from hikgraph.paths import cache_dir, default_exports_dir

    exports_dir = (exports_dir or default_exports_dir()).resolve()
    if exports_dir == default_exports_dir().resolve():
        return cache_dir() / "store"
    key = hashlib.sha256(str(exports_dir).encode("utf-8")).hexdigest()[:12]
    return cache_dir() / f"store-{key}"


def ensure_store(exports_dir: Path | None = None) -> Path:
    """Return the path of an Oxigraph store holding ``hikgraph.nt`` of *exports_dir*,
    (re)building it when the file's SHA-256 differs from the one recorded beside the
    store. A rebuild happens in a new folder that replaces the old one only when
    complete. (A build loads its store while it writes: :class:`StoreLoader`.) Raises
    :class:`StoreError` when the file is missing or does not parse.
    """
    from hikgraph.paths import default_exports_dir

    graph = (exports_dir or default_exports_dir()) / GRAPH_FILE
    if not graph.is_file():
        raise StoreError(f"{graph}: no such file (run `hikgraph build` first)")
    target = store_dir(exports_dir)
    if _is_current(target, graph):
        return target / "oxigraph"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        (target.parent / f"{target.name}.lock").touch()
    except OSError as error:
        raise StoreError(
            f"{target.parent}: cannot keep the query store there ({error.strerror}); "
            "set HIKGRAPH_CACHE_DIR to a writable folder"
        ) from None
    with _locked(target.parent / f"{target.name}.lock"):
        if _is_current(target, graph):  # another process built it while we waited
            return target / "oxigraph"
        digest = _sha256(graph)
        stat = graph.stat()
        staging = Path(tempfile.mkdtemp(prefix=f"{target.name}.new-", dir=target.parent))
        try:
            # In a process of its own, as the build loads its store: with the faster
            # allocator, and its memory given back when it ends (a server that loads
            # the store on its first query does not keep Oxigraph's ~2 GB). Whole and
            # checked: the file may not be the build's, and a bad line is named by
            # its number in the file.
            process = _start_load(
                staging, graph, loader_environment(), lines=None, piece_lines=0, lenient=False
            )
            triples = _await_load(process, staging, str(graph), None)
            _install(staging, target, graph, digest, stat, triples)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return target / "oxigraph"


def graph_to_load(exports_dir: Path | None = None) -> Path | None:
    """Return the ``hikgraph.nt`` of *exports_dir* when :func:`ensure_store` would have
    to load it (the store does not hold it as it is now); None when the store is
    current or there is no graph (``ensure_store`` then says so)."""
    from hikgraph.paths import default_exports_dir

    graph = (exports_dir or default_exports_dir()) / GRAPH_FILE
    if not graph.is_file() or _is_current(store_dir(exports_dir), graph):
        return None
    return graph


def _install(
    staging: Path, target: Path, final: Path, digest: str, stat: os.stat_result, triples: int
) -> None:
    # Records which N-Triples the new store holds, then puts it in place of the old.
    marker = {
        "graph": str(final.resolve()),
        "sha256": digest,
        "size": stat.st_size,
        "mtime_ns": stat.st_mtime_ns,
        "triples": triples,
    }
    (staging / MARKER_FILE).write_text(json.dumps(marker, indent=2) + "\n")
    old = None
    if target.exists():
        old = target.with_name(f"{target.name}.old-{os.getpid()}")
        os.rename(target, old)
    os.rename(staging, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


#: What the loader's process runs: a bulk load of an N-Triples file into a new store.
_LOAD_PROGRAM = (
    "import sys; from hikgraph.store import load_process; sys.exit(load_process(sys.argv[1:]))"
)
#: Oxigraph's bulk loader encodes and sorts up to a million triples at a time, each
#: lot in one thread, while it parses the next: a short load ends with its last lot
#: sorted alone (at 100k entries, 1.45M triples: ~4 s on one core). So a load of up
#: to :data:`MAX_PIECES` pieces is cut into an even number of pieces of at most this
#: many triples, loaded :data:`LOAD_THREADS` at a time. At 100k entries four pieces
#: of 361k took the CPU time two of 723k did (6.5-6.7 against 6.5-6.9 CPU-s, three
#: runs each in turns, with jemalloc) in 0.75 GB instead of 1.23 GB; six or eight
#: took 7.0-7.4 CPU-s. A longer load is one bulk load: in pieces it took longer (1M
#: entries, with jemalloc, in turns: 53-63 s against 44-49 s), though it held less
#: (1.5 GB against 1.85 GB).
PIECE_TRIPLES = 400_000
#: Pieces loaded at once.
LOAD_THREADS = 2
#: The most pieces a load is cut into; past it, it is loaded whole.
MAX_PIECES = 8


def load_process(argv: list[str]) -> int:
    """Bulk-load the N-Triples file ``argv[1]``, of ``argv[2]`` lines (``-``: count
    them), into a new Oxigraph store at ``argv[0]``, in pieces of about ``argv[3]``
    lines (:func:`load_pieces`; ``0``: whole), checking every term unless ``argv[4]``
    is ``lenient``: the process of :class:`StoreLoader` and :func:`ensure_store`.
    Returns the exit status; on failure the cause is one line on stderr."""
    store_path, ntriples, lines, piece_lines, mode = argv
    graph = Path(ntriples)
    try:
        store = Store(store_path)
        if piece_lines == "0":
            pieces = [(0, graph.stat().st_size)]
        else:
            count = _count_lines(graph) if lines == "-" else int(lines)
            pieces = load_pieces(graph, count, int(piece_lines))
        lenient = mode == "lenient"
        with ThreadPoolExecutor(LOAD_THREADS) as pool:
            loads = [pool.submit(_load_piece, store, graph, a, b, lenient) for a, b in pieces]
            for load in loads:
                load.result()  # raises what the piece's load raised
        store.flush()
    except (OSError, SyntaxError, ValueError) as error:
        print(str(error).replace("\n", " "), file=sys.stderr)
        return 1
    return 0


def _start_load(
    staging: Path,
    ntriples: Path,
    environment: dict[str, str],
    *,
    lines: int | None,
    piece_lines: int,
    lenient: bool,
) -> subprocess.Popen[bytes]:
    # A fresh process runs load_process into staging/oxigraph; its messages go to
    # staging/load.log, not to a pipe nobody reads while it runs.
    # Whether the load is whole is decided here, once: a known count that makes one
    # piece is passed on as 0 (whole), so the process need not cut the file again.
    if piece_lines and lines is not None and _piece_count(lines, piece_lines) == 1:
        piece_lines = 0
    environment = load_environment(environment, whole=piece_lines == 0)
    with (staging / "load.log").open("wb") as messages:
        return subprocess.Popen(
            [
                sys.executable,
                "-c",
                _LOAD_PROGRAM,
                str(staging / "oxigraph"),
                str(ntriples),
                "-" if lines is None else str(lines),
                str(piece_lines),
                "lenient" if lenient else "strict",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=messages,
            env=environment,
        )


def _await_load(
    process: subprocess.Popen[bytes], staging: Path, failed: str, triples: int | None
) -> int:
    """Wait for the load *process* started by :func:`_start_load` into *staging* and
    return the triples of the store it made: *triples*, or counted in the store when
    None (a scan of it, 3 s at a million entries). Raises :class:`StoreError`
    "*failed*: <the cause the load gave>" when it failed; an interrupted wait stops it."""
    try:
        status = process.wait()
    finally:
        if process.poll() is None:  # interrupted: no load left running
            process.kill()
            process.wait()
    log = staging / "load.log"
    if status != 0:
        lines = log.read_text("utf-8", "replace").strip().splitlines()
        raise StoreError(f"{failed}: {lines[-1] if lines else f'exit status {status}'}")
    log.unlink(missing_ok=True)
    if triples is None:
        store = Store.read_only(str(staging / "oxigraph"))
        triples = len(store)
        del store  # closes RocksDB before the folder moves
    return triples


def load_pieces(
    ntriples: Path, lines: int, piece_lines: int = PIECE_TRIPLES
) -> list[tuple[int, int]]:
    """Return the (start, stop) byte ranges that cut the N-Triples file *ntriples*, of
    *lines* lines, into pieces of whole lines, in order: an even number of about
    *piece_lines* lines or fewer each (as near as the lengths of its lines allow), or
    the whole file when that would take more than :data:`MAX_PIECES` pieces."""
    size = ntriples.stat().st_size
    count = _piece_count(lines, piece_lines)
    cuts = [0]
    with ntriples.open("rb") as handle:
        for piece in range(1, count):
            handle.seek(max(size * piece // count, cuts[-1]))
            handle.readline()  # to the start of the next line
            cuts.append(min(handle.tell(), size))
    cuts.append(size)
    return [(start, stop) for start, stop in itertools.pairwise(cuts) if stop > start]


def _piece_count(lines: int, piece_lines: int) -> int:
    # Whole (1) past MAX_PIECES pieces; else an even number: none loaded alone at the end.
    count = max(1, -(-lines // piece_lines))
    if count == 1 or count > MAX_PIECES:
        return 1
    return count + -count % LOAD_THREADS


def _count_lines(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(block.count(b"\n") for block in iter(lambda: handle.read(1 << 20), b""))


#: Where a process finds its own open files by number (a pipe opened there reads it).
_FD_FOLDER = Path("/dev/fd")


def _load_piece(store: Store, ntriples: Path, start: int, stop: int, lenient: bool) -> None:
    # lenient for the build's own dump: its writer made these lines from checked terms,
    # so Oxigraph need not check each IRI again (~15% of its load time).
    if start == 0 and stop == ntriples.stat().st_size:  # the whole file: read directly
        store.bulk_load(path=str(ntriples), format=RdfFormat.N_TRIPLES, lenient=lenient)
        return
    # A piece reaches Oxigraph through a pipe it opens as a file, so it parses it
    # without the GIL; a thread copies the bytes into the pipe in the kernel.
    read_end, write_end = os.pipe()
    with suppress(OSError, AttributeError):  # Linux: 1 MB, not 64 KB, between switches
        fcntl.fcntl(write_end, fcntl.F_SETPIPE_SZ, 1 << 20)
    failed: list[OSError] = []

    def feed() -> None:
        try:
            with ntriples.open("rb") as source:
                offset = start
                while offset < stop:
                    size = min(stop - offset, 1 << 20)
                    sent = os.sendfile(write_end, source.fileno(), offset, size)
                    if sent == 0:
                        raise OSError(f"{ntriples}: ends before byte {stop}")
                    offset += sent
        except BrokenPipeError:
            pass  # the load stopped reading: it failed, and says why
        except OSError as error:
            failed.append(error)
        finally:
            os.close(write_end)

    feeder = threading.Thread(target=feed, name="store-feeder", daemon=True)
    feeder.start()
    try:
        by_number = _FD_FOLDER / str(read_end)
        if by_number.exists():
            store.bulk_load(path=str(by_number), format=RdfFormat.N_TRIPLES, lenient=lenient)
        else:  # no /dev/fd (no procfs): read through Python, which takes the GIL a read
            with os.fdopen(os.dup(read_end), "rb") as reader:
                store.bulk_load(reader, format=RdfFormat.N_TRIPLES, lenient=lenient)
    finally:
        os.close(read_end)  # a feeder still writing gets EPIPE and stops
        feeder.join()
    if failed:
        raise failed[0]


#: Names the allocator the store loader's process runs with: a shared library's path,
#: or ``system`` for the C library's own (:func:`loader_allocator`).
ALLOCATOR_VARIABLE = "HIKGRAPH_STORE_ALLOCATOR"


def loader_allocator() -> str | None:
    """Return the shared library preloaded as the memory allocator of the store
    loader's process, or None for the C library's own.

    Oxigraph's bulk load allocates and frees gigabytes of small terms and sorted keys;
    with jemalloc (Debian/Ubuntu: ``apt install libjemalloc2``) it ran about a fifth
    faster at a million entries and held ~0.4 GB less than with glibc's allocator
    (docs/benchmarks.md). It is used when the system has it (Linux); the variable
    ``HIKGRAPH_STORE_ALLOCATOR`` names another library, or ``system`` for none.
    Raises :class:`StoreError` when the variable names a file that is not there.
    """
    chosen = os.environ.get(ALLOCATOR_VARIABLE, "").strip()
    if chosen == "system":
        return None
    if chosen:
        if not Path(chosen).is_file():
            raise StoreError(
                f"{ALLOCATOR_VARIABLE}={chosen}: no such file (a shared library, or 'system')"
            )
        return chosen
    if not sys.platform.startswith("linux"):
        return None
    from ctypes.util import find_library

    return find_library("jemalloc")  # its soname, which the dynamic loader finds


#: jemalloc's options for a load of the whole file, before any of the user's own
#: ``MALLOC_CONF`` (later options win): its memory in transparent huge pages, so the
#: load faults in 2 MB pages, not 4 kB ones. At a million entries (14.2M triples) the
#: load alone took 32.7-36.6 s against 40.9-44.3 s without (3 runs each, in turns),
#: with 5 CPU-s less system time and the same peak (~1.8 GB); the build, 84 s against
#: 98 s. A load in pieces goes without: at 100k entries, right after the build's
#: workers, it spent 2 s more system time and waited 0.4 s longer with them. Other
#: allocators ignore the variable; where the kernel has huge pages off, jemalloc does.
WHOLE_LOAD_JEMALLOC_OPTIONS = "thp:always"
#: jemalloc's options for a load in pieces: the memory the load frees is kept for
#: reuse, never handed back to the system while the load runs (its process ends with
#: it). Oxigraph frees and allocates its buffers lot after lot, and handing them back
#: and faulting them in again cost a sixth of the load: at 100k entries (four
#: pieces, 5 runs each, in turns) 5.0-6.1 user-s and 1.0-1.3 system-s against 5.8-6.9
#: and 1.5-1.8, 3.2-3.9 s against 3.9-4.6 s, for a peak of 0.89-1.00 GiB against
#: 0.64-0.72 GiB. A whole load goes without: at a million entries its peak went from
#: 1.8 to 3.0 GiB for 3 s of 43.
PIECE_LOAD_JEMALLOC_OPTIONS = "dirty_decay_ms:-1,muzzy_decay_ms:-1"


def loader_environment() -> dict[str, str]:
    """Return the environment of the store loader's process: this one's, with this
    package importable and the allocator of :func:`loader_allocator` preloaded."""
    package_root = str(Path(__file__).resolve().parents[1])
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
    allocator = loader_allocator()
    if allocator is not None:
        env["LD_PRELOAD"] = " ".join(filter(None, [allocator, env.get("LD_PRELOAD")]))
    return env


def load_environment(environment: dict[str, str], *, whole: bool) -> dict[str, str]:
    """Return the loader's *environment* (:func:`loader_environment`) for a load of the
    whole file or in pieces: with :data:`WHOLE_LOAD_JEMALLOC_OPTIONS` or
    :data:`PIECE_LOAD_JEMALLOC_OPTIONS` when it preloads an allocator, before the
    user's own ``MALLOC_CONF`` (later options win)."""
    if not environment.get("LD_PRELOAD"):
        return environment
    chosen = WHOLE_LOAD_JEMALLOC_OPTIONS if whole else PIECE_LOAD_JEMALLOC_OPTIONS
    options = [chosen, environment.get("MALLOC_CONF")]
    return {**environment, "MALLOC_CONF": ",".join(filter(None, options))}


class StoreLoader:
    """Loads the build's finished N-Triples dump into a new query store in a process of
    its own, while the build goes on (it writes the JSON-LD sample and checks it).

    :meth:`start` begins the bulk load of the whole file; :meth:`commit` waits for it
    and puts the store in place of the old one for *exports_dir*; :meth:`abort` stops
    it and throws it away. The load starts once the dump is written: loading it while
    it was written, in the pieces the stream made, cost more (at a million entries
    64-69 s and 116-125 CPU-s in 6-42 pieces against 56 s and 99 CPU-s at once) and
    competed with the workers for the CPU. It loads pieces of *piece_triples* lines,
    :data:`LOAD_THREADS` at once, each one lot of Oxigraph's bulk loader, so that
    no lot is sorted alone at the end (at 100k entries 1.45M triples made a lot of a
    million and one of 450k). Its own process, started fresh with the allocator of
    :func:`loader_allocator`, holds only Oxigraph's memory (~2 GB at a million
    entries), not the build's records besides. Raises :class:`StoreError` from
    :meth:`commit`, or at once when the allocator named is not there.
    """

    def __init__(self, exports_dir: Path, *, piece_triples: int = PIECE_TRIPLES) -> None:
        self._exports_dir = exports_dir
        self._piece_triples = piece_triples
        self._triples: int | None = None
        self._environment = loader_environment()  # a bad allocator fails now, not later
        self._target = store_dir(exports_dir)
        self._target.parent.mkdir(parents=True, exist_ok=True)
        self._staging = Path(
            tempfile.mkdtemp(prefix=f"{self._target.name}.new-", dir=self._target.parent)
        )
        self._process: subprocess.Popen[bytes] | None = None
        self._committed = False

    def start(self, ntriples: Path, triples: int | None = None) -> None:
        """Begin loading the N-Triples file *ntriples* (it must not change until
        :meth:`commit` or :meth:`abort` returns), which holds *triples* distinct
        triples, one a line (None: unknown; the store counts them at commit, a scan of
        3 s at a million entries)."""
        if self._process is not None:
            raise StoreError("the store loader was started already")
        self._triples = triples
        self._process = _start_load(
            self._staging,
            ntriples,
            self._environment,
            lines=triples,
            piece_lines=self._piece_triples,
            lenient=True,
        )

    @property
    def loading(self) -> bool:
        """Return whether the load is still running."""
        return self._process is not None and self._process.poll() is None

    def wait(self, seconds: float | None = None) -> bool:
        """Wait up to *seconds* (None: until done) for the load; return whether it
        is done."""
        if self._process is not None:
            with suppress(subprocess.TimeoutExpired):
                self._process.wait(seconds)
        return not self.loading

    def commit(self, graph: Path, sha256: str) -> Path:
        """Wait for the load to end and make this the store of *exports_dir*'s
        ``hikgraph.nt``, whose bytes are *graph* (about to be moved there) with
        *sha256*. Returns the store's path."""
        if self._process is None:
            raise StoreError("the store loader was not started")
        triples = _await_load(
            self._process, self._staging, "the query store could not load the graph", self._triples
        )
        self._committed = True
        final = self._exports_dir / GRAPH_FILE
        with _locked(self._target.parent / f"{self._target.name}.lock"):
            _install(self._staging, self._target, final, sha256, graph.stat(), triples)
        return self._target / "oxigraph"

    def abort(self) -> None:
        """Stop the load and remove the new store (nothing, once committed)."""
        if self._committed:
            return
        process = self._process
        if process is not None:
            if process.poll() is None:
                process.kill()
            process.wait()
        shutil.rmtree(self._staging, ignore_errors=True)


def _is_current(target: Path, graph: Path) -> bool:
    try:
        marker = json.loads((target / MARKER_FILE).read_text())
    except (OSError, ValueError):
        return False
    if not (target / "oxigraph").is_dir():
        return False
    stat = graph.stat()
    if marker.get("size") == stat.st_size and marker.get("mtime_ns") == stat.st_mtime_ns:
        return True
    if marker.get("size") != stat.st_size or marker.get("sha256") != _sha256(graph):
        return False
    # Same bytes rewritten (every build replaces the file): remember the new mtime so
    # the next open need not hash the file again.
    marker["mtime_ns"] = stat.st_mtime_ns
    with suppress(OSError):
        (target / MARKER_FILE).write_text(json.dumps(marker, indent=2) + "\n")
    return True


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    # Two builds (or a build and a first query) may race to fill the cache; the lock
    # makes the second wait and then find the store current.
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# --- rdflib's engine ------------------------------------------------------------------


class RdflibStore:
    """rdflib's own SPARQL engine over the N-Triples export, held in memory."""

    def __init__(self, graph: Any, label: str = "rdflib") -> None:
        self._graph = graph
        self.label = label

    @classmethod
    def open(cls, exports_dir: Path | None = None) -> RdflibStore:
        """Return an rdflib store of ``hikgraph.nt`` in *exports_dir* (default
        ``exports/``). Raises :class:`StoreError`."""
        from rdflib import Graph

        from hikgraph.paths import default_exports_dir

        path = (exports_dir or default_exports_dir()) / GRAPH_FILE
        if not path.is_file():
            raise StoreError(f"{path}: no such file (run `hikgraph build` first)")
        # No namespaces bound: a query must declare its prefixes, as on Oxigraph and
        # any endpoint, or the same text would mean different things per engine.
        graph = Graph(bind_namespaces="none")
        try:
            graph.parse(path, format="nt")
        except Exception as error:
            raise StoreError(f"{path}: {error}") from None
        return cls(graph, f"rdflib {_rdflib_version()} over {path}")

    def query(self, text: str, *, max_rows: int | None = None) -> QueryResult:
        """See :meth:`GraphStore.query`."""
        checked = check_query(text)
        try:
            result = self._graph.query(checked.text)
            if result.type == "ASK":
                return AskResult(bool(result.askAnswer))
            if result.type == "SELECT":
                variables = tuple(str(v) for v in result.vars or ())
                rows, truncated = take_rows(
                    (tuple(from_rdflib(term) for term in row) for row in result), max_rows
                )
                return SelectResult(variables, rows, truncated)
            triples = (
                Triple(from_rdflib(s), from_rdflib(p), from_rdflib(o))  # type: ignore[arg-type]
                for s, p, o in result.graph
            )
            graph_triples, truncated = take_rows(triples, max_rows)
            return GraphResult(graph_triples, truncated)
        except Exception as error:  # rdflib raises plain Exceptions from evaluation
            raise EngineError(f"rdflib failed: {error}") from None

    def describe(self, iri: str) -> list[Triple]:
        """See :meth:`GraphStore.describe`."""
        return describe_by_query(self, iri)


def _rdflib_version() -> str:
    import rdflib

    return str(rdflib.__version__)


def from_rdflib(term: Any) -> Term | None:
    """Return the pyoxigraph term equal to the rdflib *term* (None stays None)."""
    from rdflib import BNode, URIRef
    from rdflib import Literal as RdflibLiteral

    if term is None:
        return None
    if isinstance(term, URIRef):
        return NamedNode(str(term))
    if isinstance(term, BNode):
        return BlankNode(str(term))
    if isinstance(term, RdflibLiteral):
        if term.language:
            return Literal(str(term), language=term.language)
        if term.datatype is not None:
            return Literal(str(term), datatype=NamedNode(str(term.datatype)))
        return Literal(str(term))
    raise EngineError(f"rdflib returned a term of unknown kind: {term!r}")


# --- choosing an engine ---------------------------------------------------------------


@dataclass(frozen=True)
class Engine:
    """Which engine to open, as plain data (so a worker process can open its own)."""

    name: str = "oxigraph"
    exports_dir: Path | None = None
    endpoint: str | None = None
    timeout: float = 30.0

    def open(self) -> GraphStore:
        """Return the :class:`GraphStore` this describes. Raises :class:`StoreError`."""
        if self.name == "oxigraph":
            return OxigraphStore.open(self.exports_dir)
        if self.name == "rdflib":
            return RdflibStore.open(self.exports_dir)
        if self.name == "endpoint":
            from hikgraph.endpoint import RemoteStore

            if not self.endpoint:
                raise StoreError("the endpoint engine needs an endpoint URL")
            return RemoteStore(self.endpoint, timeout=self.timeout)
        raise StoreError(f"unknown engine {self.name!r}; choose one of {', '.join(ENGINES)}")


def open_store(
    engine: str = "oxigraph",
    *,
    exports_dir: Path | None = None,
    endpoint: str | None = None,
    timeout: float = 30.0,
) -> GraphStore:
    """Return the store for *engine* (``oxigraph``, ``rdflib``); an *endpoint* URL
    selects the remote engine whatever *engine* says. Raises :class:`StoreError`."""
    name = "endpoint" if endpoint else engine
    return Engine(name, exports_dir, endpoint, timeout).open()
