"""The build's store loader: N-Triples given as blocks of bytes and as chunk files,
loaded by a background thread into a real Oxigraph store, files joined into larger
loads as the store grows, and nothing left behind when the build is abandoned."""

from __future__ import annotations

import errno
import hashlib
import os
import time
from pathlib import Path

import pytest
from pyoxigraph import Store

from hikgraph.store import StoreLoader, store_dir

EX = "https://example.org/"


def _lines(first: int, count: int) -> bytes:
    return "".join(
        f'<{EX}s{n}> <{EX}p> "headline {n}"@en .\n<{EX}s{n}> <{EX}q> <{EX}o{n % 7}> .\n'
        for n in range(first, first + count)
    ).encode()


def _chunk_files(folder: Path, chunks: int, per_chunk: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for index in range(chunks):
        path = folder / f"chunk-{index:09d}.nt"
        path.write_bytes(_lines(index * per_chunk, per_chunk))
        files.append(path)
    return files


def _load(tmp_path: Path, files: list[Path], head: bytes) -> Store:
    exports = tmp_path / "exports"
    exports.mkdir()
    loader = StoreLoader(exports)
    loader.feed(head)
    for path in files:
        loader.feed_file(path)
    graph = tmp_path / "graph.nt"  # stands for the dump the build moves into exports/
    graph.write_bytes(head)
    path = loader.commit(graph, hashlib.sha256(graph.read_bytes()).hexdigest())
    return Store.read_only(str(path))


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("HIKGRAPH_CACHE_DIR", str(folder))
    return folder


def _loader(tmp_path: Path) -> tuple[StoreLoader, Path]:
    exports = tmp_path / "exports"
    exports.mkdir()
    return StoreLoader(exports), exports


def _commit_empty_dump(loader: StoreLoader, tmp_path: Path) -> Path:
    graph = tmp_path / "graph.nt"  # stands for the dump the build moves into exports/
    graph.write_bytes(b"")
    return loader.commit(graph, hashlib.sha256(b"").hexdigest())


def _assert_no_store_left(exports: Path) -> None:
    target = store_dir(exports)
    assert not target.exists()
    assert not [p for p in target.parent.iterdir() if p.name.startswith(f"{target.name}.new-")]


@pytest.mark.parametrize("segment_min", [1, 1 << 30], ids=["file-by-file", "one-segment"])
def test_every_triple_of_every_file_and_block_is_loaded_and_the_files_removed(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch, segment_min: int
) -> None:
    # file-by-file: each file is a load of its own; one-segment: the files wait
    # until the end and are joined into one load. The store is the same.
    monkeypatch.setattr(StoreLoader, "_SEGMENT_MIN", segment_min)
    files = _chunk_files(tmp_path / "chunks", chunks=12, per_chunk=300)
    head = _lines(10_000, 5)
    store = _load(tmp_path, files, head)
    assert len(store) == 2 * (12 * 300 + 5)
    assert bool(store.query(f'ASK {{ <{EX}s3599> <{EX}p> "headline 3599"@en }}'))
    assert bool(store.query(f"ASK {{ <{EX}s10004> <{EX}q> <{EX}o{10004 % 7}> }}"))
    assert not bool(store.query(f"ASK {{ <{EX}s3600> ?p ?o }}"))
    assert not any((tmp_path / "chunks").iterdir())  # loaded files are deleted


def test_files_are_joined_into_larger_loads_as_the_store_grows(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    loads: list[int] = []  # bytes handed to each bulk load
    original = StoreLoader._load

    def counting(self: StoreLoader, block: bytes | Path) -> None:
        loads.append(len(block) if isinstance(block, bytes) else block.stat().st_size)
        original(self, block)

    monkeypatch.setattr(StoreLoader, "_load", counting)
    files = _chunk_files(tmp_path / "chunks", chunks=40, per_chunk=100)
    sizes = [path.stat().st_size for path in files]
    size = max(sizes)
    monkeypatch.setattr(StoreLoader, "_SEGMENT_MIN", min(sizes))  # a file alone, at first
    monkeypatch.setattr(StoreLoader, "_SEGMENT_MAX", 6 * size)
    store = _load(tmp_path, files, b"")
    assert len(store) == 2 * 40 * 100
    loads = [n for n in loads if n]  # without the empty block of bytes fed first
    assert sum(loads) == sum(sizes)
    assert loads[0] == sizes[0]  # a file alone while the store is small
    assert max(loads) > size  # joined as it grew (a load per eighth of what is loaded)
    assert max(loads) <= 6 * size + size  # never much past the cap
    assert len(loads) < 40


@pytest.mark.parametrize("kernel", ["copies", "cannot", "stops-midway"])
def test_files_joined_with_or_without_the_kernels_copy_load_the_same_triples(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch, kernel: str
) -> None:
    # Files are joined by copy_file_range; a file system that refuses it (at once or
    # after a first part) gets a buffered copy of the rest, and the same bytes.
    real = os.copy_file_range
    calls = []

    def refusing(source: int, target: int, count: int) -> int:
        calls.append(count)
        if kernel == "stops-midway" and len(calls) == 1:
            return real(source, target, min(count, 1000))
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    if kernel != "copies":
        monkeypatch.setattr(os, "copy_file_range", refusing)
    monkeypatch.setattr(StoreLoader, "_SEGMENT_MIN", 1 << 30)  # all joined into one load
    files = _chunk_files(tmp_path / "chunks", chunks=5, per_chunk=200)
    store = _load(tmp_path, files, b"")
    assert len(store) == 2 * 5 * 200
    for n in (0, 3, 200, 999):
        assert bool(store.query(f'ASK {{ <{EX}s{n}> <{EX}p> "headline {n}"@en }}'))
    assert (kernel == "copies") == (not calls)


@pytest.mark.parametrize("ended", [False, True], ids=["while-fed", "after-end-input"])
def test_an_abandoned_load_leaves_no_store_behind(tmp_path: Path, cache: Path, ended: bool) -> None:
    loader, exports = _loader(tmp_path)
    loader.feed(_lines(0, 10))
    for path in _chunk_files(tmp_path / "chunks", chunks=5, per_chunk=100):
        loader.feed_file(path)
    if ended:
        loader.end_input()
    loader.abort()
    _assert_no_store_left(exports)


def test_a_file_that_does_not_parse_fails_the_commit_with_a_store_error(
    tmp_path: Path, cache: Path
) -> None:
    from hikgraph.store import StoreError

    loader, exports = _loader(tmp_path)
    bad = tmp_path / "bad.nt"
    bad.write_bytes(b"<https://example.org/s> <https://example.org/p> .\n")  # no object
    loader.feed_file(bad)
    with pytest.raises(StoreError, match="could not load the graph"):
        _commit_empty_dump(loader, tmp_path)
    loader.abort()
    _assert_no_store_left(exports)


def test_after_end_input_the_queued_files_load_before_the_commit_and_nothing_more_is_taken(
    tmp_path: Path, cache: Path
) -> None:
    from hikgraph.store import StoreError

    loader, _ = _loader(tmp_path)
    files = _chunk_files(tmp_path / "chunks", chunks=6, per_chunk=200)
    for path in files:
        loader.feed_file(path)
    loader.end_input()
    loader.end_input()  # a second call is harmless
    # The thread goes on loading (and deleting each file once loaded) with no commit.
    deadline = time.monotonic() + 60
    while any(path.exists() for path in files) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(path.exists() for path in files)
    with pytest.raises(StoreError, match="after end_input"):
        loader.feed(_lines(0, 1))
    with pytest.raises(StoreError, match="after end_input"):
        loader.feed_file(files[0])
    store = Store.read_only(str(_commit_empty_dump(loader, tmp_path)))
    assert len(store) == 2 * 6 * 200
