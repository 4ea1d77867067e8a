"""The build's store loader: the finished N-Triples dump bulk-loaded by a background
thread into a real Oxigraph store, put in place on commit, and nothing left behind
when the build is abandoned or the file does not parse."""

from __future__ import annotations

import hashlib
import itertools
import json
import subprocess
import sys
from pathlib import Path

import pytest
from pyoxigraph import Store

import hikgraph.store as store_module
from hikgraph.store import (
    ALLOCATOR_VARIABLE,
    MARKER_FILE,
    MAX_PIECES,
    PIECE_LOAD_JEMALLOC_OPTIONS,
    PIECE_TRIPLES,
    WHOLE_LOAD_JEMALLOC_OPTIONS,
    StoreError,
    StoreLoader,
    load_environment,
    load_pieces,
    loader_environment,
    store_dir,
)

EX = "https://example.org/"


def _lines(first: int, count: int) -> bytes:
    return "".join(
        f'<{EX}s{n}> <{EX}p> "headline {n}"@en .\n<{EX}s{n}> <{EX}q> <{EX}o{n % 7}> .\n'
        for n in range(first, first + count)
    ).encode()


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("HIKGRAPH_CACHE_DIR", str(folder))
    return folder


def _loader(tmp_path: Path, piece: int = PIECE_TRIPLES) -> tuple[StoreLoader, Path]:
    exports = tmp_path / "exports"
    exports.mkdir()
    return StoreLoader(exports, piece_triples=piece), exports


def _dump(tmp_path: Path, content: bytes) -> Path:
    graph = tmp_path / "graph.nt"  # stands for the dump the build moves into exports/
    graph.write_bytes(content)
    return graph


def _assert_no_store_left(exports: Path) -> None:
    target = store_dir(exports)
    assert not target.exists()
    assert not list(target.parent.glob(f"{target.name}.new-*"))


@pytest.mark.parametrize(
    ("counted", "piece"),
    [(True, PIECE_TRIPLES), (False, PIECE_TRIPLES), (True, 1600), (False, 1600)],
    ids=["count-given", "count-from-store", "in-pieces", "in-pieces-lines-counted"],
)
def test_every_triple_of_the_dump_is_loaded_and_the_store_put_in_place(
    tmp_path: Path, cache: Path, counted: bool, piece: int
) -> None:
    # 1600 lines a piece: four pieces, loaded two at a time into one store.
    loader, exports = _loader(tmp_path, piece)
    graph = _dump(tmp_path, _lines(0, 3000))
    loader.start(graph, 6000 if counted else None)
    digest = hashlib.sha256(graph.read_bytes()).hexdigest()
    path = loader.commit(graph, digest)
    assert path == store_dir(exports) / "oxigraph"
    store = Store.read_only(str(path))
    assert len(store) == 6000
    assert bool(store.query(f'ASK {{ <{EX}s2999> <{EX}p> "headline 2999"@en }}'))
    assert bool(store.query(f"ASK {{ <{EX}s4> <{EX}q> <{EX}o4> }}"))
    assert not bool(store.query(f"ASK {{ <{EX}s3000> ?p ?o }}"))
    marker = json.loads((path.parent / MARKER_FILE).read_text())
    assert (marker["sha256"], marker["triples"]) == (digest, 6000)
    assert not list(path.parent.parent.glob(f"{path.parent.name}.new-*"))  # no staging left


@pytest.mark.parametrize("started", [False, True], ids=["before-start", "while-loading"])
def test_an_abandoned_load_leaves_no_store_behind(
    tmp_path: Path, cache: Path, started: bool
) -> None:
    loader, exports = _loader(tmp_path)
    if started:
        loader.start(_dump(tmp_path, _lines(0, 20_000)))
    loader.abort()
    assert not loader.loading
    _assert_no_store_left(exports)


@pytest.mark.parametrize("piece", [PIECE_TRIPLES, 300], ids=["whole", "last-of-four-pieces"])
def test_a_file_that_does_not_parse_fails_the_commit_with_a_store_error(
    tmp_path: Path, cache: Path, piece: int
) -> None:
    loader, exports = _loader(tmp_path, piece)
    bad = _dump(tmp_path, _lines(0, 500) + b"<https://example.org/s> <https://example.org/p> .\n")
    loader.start(bad, 1001)
    with pytest.raises(StoreError, match="could not load the graph"):
        loader.commit(bad, hashlib.sha256(bad.read_bytes()).hexdigest())
    loader.abort()
    _assert_no_store_left(exports)


def test_commit_needs_a_start_and_start_comes_once(tmp_path: Path, cache: Path) -> None:
    loader, exports = _loader(tmp_path)
    graph = _dump(tmp_path, _lines(0, 1))
    with pytest.raises(StoreError, match="not started"):
        loader.commit(graph, hashlib.sha256(graph.read_bytes()).hexdigest())
    loader.start(graph)
    with pytest.raises(StoreError, match="started already"):
        loader.start(graph)
    assert loader.wait()
    loader.abort()
    _assert_no_store_left(exports)


@pytest.mark.parametrize(("piece", "pieces"), [(250, 4), (300, 4), (500, 2), (1000, 1), (5000, 1)])
def test_the_pieces_of_a_load_are_whole_lines_that_cover_the_file_in_order(
    tmp_path: Path, piece: int, pieces: int
) -> None:
    content = _lines(0, 500)  # 1000 lines of different lengths
    graph = _dump(tmp_path, content)
    ranges = load_pieces(graph, 1000, piece)
    assert len(ranges) == pieces  # an even number, or one
    assert ranges[0][0] == 0
    assert ranges[-1][1] == len(content)
    assert all(stop == start for (_, stop), (start, _) in itertools.pairwise(ranges))
    assert all(content[stop - 1 : stop] == b"\n" for _, stop in ranges)  # whole lines
    lines = [content[start:stop].count(b"\n") for start, stop in ranges]
    assert sum(lines) == 1000
    assert max(lines) <= 1000 / pieces * 1.1  # as even as the lines' lengths allow


def test_a_load_of_more_than_max_pieces_is_loaded_whole(tmp_path: Path) -> None:
    graph = _dump(tmp_path, _lines(0, 500))
    assert load_pieces(graph, 1000, -(-1000 // MAX_PIECES)) != [(0, graph.stat().st_size)]
    assert load_pieces(graph, 1000, 1000 // MAX_PIECES - 1) == [(0, graph.stat().st_size)]


def _python(env: dict[str, str], program: str, *args: str) -> str:
    # What a Python started with *env* (as the loader's process is) prints.
    return subprocess.run(
        [sys.executable, "-c", program, *args], env=env, capture_output=True, text=True, check=True
    ).stdout


def _libraries_mapped(env: dict[str, str]) -> str:
    return _python(env, "print(open('/proc/self/maps').read())")


@pytest.fixture
def system_allocator(monkeypatch: pytest.MonkeyPatch) -> None:
    # The loader's own choice: the system's jemalloc (.ci/run installs Debian's).
    monkeypatch.delenv(ALLOCATOR_VARIABLE, raising=False)
    monkeypatch.delenv("LD_PRELOAD", raising=False)
    monkeypatch.delenv("MALLOC_CONF", raising=False)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="LD_PRELOAD is Linux's")
def test_the_loader_runs_with_jemalloc_from_the_system(system_allocator: None) -> None:
    # .ci/run installs Debian's libjemalloc2, so CI runs this and the loader uses it.
    env = loader_environment()
    assert "jemalloc" in env["LD_PRELOAD"]
    assert "libjemalloc.so" in _libraries_mapped(env)


_JEMALLOC_OPTION = """
import ctypes, sys
kind = ctypes.c_char_p if sys.argv[2] == "text" else ctypes.c_ssize_t
value = kind()
size = ctypes.c_size_t(ctypes.sizeof(value))
status = ctypes.CDLL(None).mallctl(
    sys.argv[1].encode(), ctypes.byref(value), ctypes.byref(size), None, ctypes.c_size_t(0)
)
print(status, value.value.decode() if sys.argv[2] == "text" else value.value)
"""


def _jemalloc_option(env: dict[str, str], name: str, kind: str = "text") -> str:
    # The option as jemalloc itself holds it, in a Python started with *env*.
    status, value = _python(env, _JEMALLOC_OPTION, name, kind).split()
    assert status == "0"
    return value


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="LD_PRELOAD is Linux's")
def test_a_loads_jemalloc_options_unless_the_user_says_otherwise(
    system_allocator: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = loader_environment()
    whole = load_environment(plain, whole=True)
    pieces = load_environment(plain, whole=False)
    # A whole load: huge pages, memory handed back as jemalloc does by default.
    assert _jemalloc_option(plain, "opt.thp") == "default"
    assert _jemalloc_option(whole, "opt.thp") == "always"
    default_decay = _jemalloc_option(plain, "opt.dirty_decay_ms", "number")
    assert _jemalloc_option(whole, "opt.dirty_decay_ms", "number") == default_decay != "-1"
    # A load in pieces: no huge pages, and freed memory kept for reuse.
    assert _jemalloc_option(pieces, "opt.thp") == "default"
    assert _jemalloc_option(pieces, "opt.dirty_decay_ms", "number") == "-1"
    assert _jemalloc_option(pieces, "opt.muzzy_decay_ms", "number") == "-1"
    # The user's own options are kept, and win over the loader's.
    monkeypatch.setenv("MALLOC_CONF", "thp:never,metadata_thp:auto,dirty_decay_ms:500")
    env = load_environment(loader_environment(), whole=True)
    assert _jemalloc_option(env, "opt.thp") == "never"
    assert _jemalloc_option(env, "opt.metadata_thp") == "auto"
    env = load_environment(loader_environment(), whole=False)
    assert _jemalloc_option(env, "opt.dirty_decay_ms", "number") == "500"
    # No allocator preloaded: nothing to tell it.
    monkeypatch.setenv(ALLOCATOR_VARIABLE, "system")
    monkeypatch.delenv("MALLOC_CONF")
    for whole_load in (True, False):
        assert load_environment(loader_environment(), whole=whole_load) == loader_environment()


@pytest.mark.parametrize(
    ("triples", "piece_triples", "options"),
    [
        (3000, 1000, PIECE_LOAD_JEMALLOC_OPTIONS),
        (3000, 3000 // (MAX_PIECES + 1), WHOLE_LOAD_JEMALLOC_OPTIONS),
        (3000, 3000, WHOLE_LOAD_JEMALLOC_OPTIONS),
    ],
    ids=["four-pieces", "whole-past-the-most-pieces", "whole-one-lot"],
)
def test_a_load_is_started_with_the_options_of_its_kind(
    tmp_path: Path,
    cache: Path,
    monkeypatch: pytest.MonkeyPatch,
    triples: int,
    piece_triples: int,
    options: str,
) -> None:
    # The loader preloads the system's jemalloc (.ci/run installs it).
    monkeypatch.delenv(ALLOCATOR_VARIABLE, raising=False)
    monkeypatch.delenv("MALLOC_CONF", raising=False)
    started: list[dict[str, str]] = []
    popen = subprocess.Popen

    def recording(*args: object, **kwargs: object) -> subprocess.Popen[bytes]:
        command = args[0]
        if isinstance(command, list) and "load_process" in " ".join(map(str, command)):
            started.append(dict(kwargs["env"]))  # type: ignore[call-overload]
        return popen(*args, **kwargs)  # type: ignore[call-overload, no-any-return]

    monkeypatch.setattr(store_module.subprocess, "Popen", recording)
    exports = tmp_path / "exports"
    exports.mkdir()
    graph = _dump(tmp_path, _lines(0, triples // 2))  # two triples a line pair
    loader = StoreLoader(exports, piece_triples=piece_triples)
    loader.start(graph, triples)
    loader.abort()
    assert len(started) == 1
    assert started[0]["MALLOC_CONF"] == options


def test_system_leaves_the_loader_with_the_c_librarys_allocator(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(ALLOCATOR_VARIABLE, "system")
    monkeypatch.delenv("LD_PRELOAD", raising=False)
    env = loader_environment()
    assert "LD_PRELOAD" not in env
    if sys.platform.startswith("linux"):
        assert "jemalloc" not in _libraries_mapped(env)


def test_an_allocator_that_is_not_there_fails_the_loader_at_once_and_leaves_nothing(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ALLOCATOR_VARIABLE, str(tmp_path / "libnothing.so"))
    exports = tmp_path / "exports"
    exports.mkdir()
    with pytest.raises(StoreError, match=r"libnothing\.so: no such file"):
        StoreLoader(exports)
    _assert_no_store_left(exports)


@pytest.mark.parametrize("fd_folder", [True, False], ids=["through-dev-fd", "without-dev-fd"])
def test_the_load_in_pieces_holds_every_triple_with_or_without_dev_fd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fd_folder: bool
) -> None:
    # The loader's own function, run here: four pieces through pipes that Oxigraph
    # opens as /dev/fd/N, or reads through Python where there is no /dev/fd.
    if not fd_folder:
        monkeypatch.setattr(store_module, "_FD_FOLDER", tmp_path / "no-fd-folder")
    graph = _dump(tmp_path, _lines(0, 3000))
    assert len(load_pieces(graph, 6000, 1600)) == 4
    status = store_module.load_process(
        [str(tmp_path / "store"), str(graph), "6000", "1600", "lenient"]
    )
    assert status == 0
    store = Store.read_only(str(tmp_path / "store"))
    assert len(store) == 6000
    assert bool(store.query(f'ASK {{ <{EX}s2999> <{EX}p> "headline 2999"@en }}'))
