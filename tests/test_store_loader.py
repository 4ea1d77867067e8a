"""The build's store loader: the finished N-Triples dump bulk-loaded by a background
thread into a real Oxigraph store, put in place on commit, and nothing left behind
when the build is abandoned or the file does not parse."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from pyoxigraph import Store

from hikgraph.store import MARKER_FILE, StoreError, StoreLoader, store_dir

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


def _loader(tmp_path: Path) -> tuple[StoreLoader, Path]:
    exports = tmp_path / "exports"
    exports.mkdir()
    return StoreLoader(exports), exports


def _dump(tmp_path: Path, content: bytes) -> Path:
    graph = tmp_path / "graph.nt"  # stands for the dump the build moves into exports/
    graph.write_bytes(content)
    return graph


def _assert_no_store_left(exports: Path) -> None:
    target = store_dir(exports)
    assert not target.exists()
    assert not list(target.parent.glob(f"{target.name}.new-*"))


@pytest.mark.parametrize("counted", [True, False], ids=["count-given", "count-from-store"])
def test_every_triple_of_the_dump_is_loaded_and_the_store_put_in_place(
    tmp_path: Path, cache: Path, counted: bool
) -> None:
    loader, exports = _loader(tmp_path)
    graph = _dump(tmp_path, _lines(0, 3000))
    loader.start(graph)
    digest = hashlib.sha256(graph.read_bytes()).hexdigest()
    path = loader.commit(graph, digest, 6000 if counted else None)
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


def test_a_file_that_does_not_parse_fails_the_commit_with_a_store_error(
    tmp_path: Path, cache: Path
) -> None:
    loader, exports = _loader(tmp_path)
    bad = _dump(tmp_path, _lines(0, 10) + b"<https://example.org/s> <https://example.org/p> .\n")
    loader.start(bad)
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
