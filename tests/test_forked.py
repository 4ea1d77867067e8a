"""run_forked: a function called in a forked process of its own, its result or its
exception brought back, and a process that dies named as such; the build reads and
streams a large directory that way and fails with one line if that process dies."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from hikgraph import build as build_module
from hikgraph.build import BuildError, build
from hikgraph.directory import DirectoryError
from hikgraph.forked import ForkedProcessDied, run_forked
from hikgraph.synth import write_synthetic


def _pid_and_sum(*numbers: int) -> tuple[int, int]:
    return os.getpid(), sum(numbers)


def _bad_text(path: str) -> None:
    raise DirectoryError(path, 12, "no month heading before this entry")


class _Unpicklable(Exception):
    def __init__(self, lock: object) -> None:
        super().__init__("held a lock")
        self.lock = lock


def _unpicklable_error() -> None:
    raise _Unpicklable(threading.Lock())


def _unpicklable_result() -> object:
    return threading.Lock()


def _killed() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def test_the_result_comes_from_another_process() -> None:
    pid, total = run_forked(_pid_and_sum, 1, 2, 39)
    assert total == 42 and pid != os.getpid()


def test_the_functions_exception_comes_back_with_its_type_and_message() -> None:
    with pytest.raises(DirectoryError, match=r"^big\.txt:12: no month heading") as caught:
        run_forked(_bad_text, "big.txt")
    assert caught.value.line == 12 and caught.value.source == "big.txt"


def test_what_does_not_pickle_comes_back_as_its_message() -> None:
    with pytest.raises(RuntimeError, match="_Unpicklable: held a lock"):
        run_forked(_unpicklable_error)
    with pytest.raises(RuntimeError, match="_unpicklable_result returned what does not pickle"):
        run_forked(_unpicklable_result)


def test_a_process_that_dies_is_named_with_its_exit_code() -> None:
    with pytest.raises(
        ForkedProcessDied, match=r"_killed ended without an answer \(exit code -9\)"
    ) as died:
        run_forked(_killed)
    assert died.value.exitcode == -signal.SIGKILL


def _noting(folder: str, note: object) -> str:
    note(("first", os.getpid()))  # type: ignore[operator]
    seen = Path(folder) / "seen"
    deadline = time.monotonic() + 60
    while not seen.exists() and time.monotonic() < deadline:  # the caller acts on it now
        time.sleep(0.01)
    note(("second", seen.exists()))  # type: ignore[operator]
    return "done"


def _noting_forever(note: object) -> None:
    note("about to sleep")  # type: ignore[operator]
    time.sleep(120)


def test_notes_reach_the_caller_while_the_function_goes_on(tmp_path: Path) -> None:
    notes: list[object] = []

    def on_note(value: object) -> None:
        notes.append(value)
        (tmp_path / "seen").touch()

    assert run_forked(_noting, str(tmp_path), on_note=on_note) == "done"
    [(first, pid), second] = notes
    assert first == "first" and pid != os.getpid()
    assert second == ("second", True)


def test_a_caller_that_fails_on_a_note_stops_the_process() -> None:
    def on_note(value: object) -> None:
        raise ValueError(f"cannot take {value!r}")

    started = time.monotonic()
    with pytest.raises(ValueError, match="cannot take 'about to sleep'"):
        run_forked(_noting_forever, on_note=on_note)
    assert time.monotonic() - started < 60  # not waited out
    assert not multiprocessing.active_children()


def _waiting_for(path: str) -> bool:
    # Waits (up to a minute) for the caller to make the file *path* while this runs.
    deadline = time.monotonic() + 60
    while not Path(path).exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    return Path(path).exists()


def test_the_caller_works_meanwhile_while_the_function_runs(tmp_path: Path) -> None:
    made = tmp_path / "made meanwhile"
    assert run_forked(_waiting_for, str(made), meanwhile=made.touch) is True


def test_a_caller_that_fails_meanwhile_stops_the_process(tmp_path: Path) -> None:
    def failing() -> None:
        raise ImportError("no module named 'pyshacl'")

    started = time.monotonic()
    with pytest.raises(ImportError, match="pyshacl"):
        run_forked(_waiting_for, str(tmp_path / "never made"), meanwhile=failing)
    assert time.monotonic() - started < 30  # not waited out
    assert not multiprocessing.active_children()


def test_the_build_module_leaves_rdflib_and_pyshacl_to_its_finish() -> None:
    # A large directory's reading process is forked before them (~0.2 s of imports),
    # and the build imports them while that process runs.
    program = "import sys, hikgraph.build; print(sorted({'rdflib', 'pyshacl'} & set(sys.modules)))"
    shown = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=True
    ).stdout
    assert shown.strip() == "[]"
    from hikgraph.build import _import_finishing_modules

    _import_finishing_modules(validate=True)
    assert {"rdflib", "pyshacl", "hikgraph.validate"} <= set(sys.modules)


@pytest.fixture
def large_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    # Past PRELOAD_BYTES: the build reads and streams it in a process of its own.
    monkeypatch.setenv("HIKGRAPH_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(build_module, "NETWORK_MAX_ENTRIES", 0)
    source = tmp_path / "directory.txt"
    write_synthetic(source, 4000, seed=4)
    assert source.stat().st_size >= build_module.PRELOAD_BYTES
    return source


def test_a_large_build_whose_streaming_process_dies_fails_with_one_line_and_writes_nothing(
    large_text: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = large_text
    out = tmp_path / "exports"
    build([source], out, validate=False)
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def dying(*args: object) -> object:
        os.kill(os.getpid(), signal.SIGKILL)
        raise AssertionError("not reached")

    monkeypatch.setattr(build_module, "_read_and_stream", dying)
    with pytest.raises(BuildError) as caught:
        build([source], out, validate=False)
    message = str(caught.value)
    assert message == (
        "the build's process that reads and streams the entries ended without an answer "
        "(exit code -9; out of memory?); nothing written"
    )
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".hikgraph-build-")]


def test_a_build_streamed_in_its_own_process_writes_the_same_bytes_as_in_the_callers(
    large_text: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The forked path hands back the VoID figures (GraphCounts.totals) and the SHACL
    # and JSON-LD sample as N-Triples: the files must not show which path ran.
    source = large_text
    forked = build([source], tmp_path / "forked")
    monkeypatch.setattr(build_module, "PRELOAD_BYTES", 1 << 40)
    here = build([source], tmp_path / "here")
    for name in ("hikgraph.nt", "hikgraph.ttl", "hikgraph.jsonld", "void.ttl"):
        assert (tmp_path / "forked" / name).read_bytes() == (tmp_path / "here" / name).read_bytes()
    assert forked.entries == here.entries == 4000
    assert (forked.triples, forked.months, forked.outlets) == (
        here.triples,
        here.months,
        here.outlets,
    )
    assert forked.unreviewed == here.unreviewed and forked.warnings == here.warnings
    assert forked.notes == here.notes and forked.processes == here.processes
    assert list(forked.timings) == list(here.timings)


def test_the_store_starts_loading_before_the_streaming_process_has_ended(
    large_text: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The streaming process says when the N-Triples dump is whole; the build starts the
    # store loading then, while that process winds up (it is not yet joined).
    from hikgraph.store import StoreLoader

    seen: list[tuple[bool, int]] = []
    start = StoreLoader.start

    def starting(self: StoreLoader, ntriples: Path, triples: int | None = None) -> None:
        seen.append((bool(multiprocessing.active_children()), ntriples.stat().st_size))
        start(self, ntriples, triples)

    monkeypatch.setattr(StoreLoader, "start", starting)
    result = build([large_text], tmp_path / "exports", validate=False)
    dump = tmp_path / "exports" / "hikgraph.nt"
    assert seen == [(True, dump.stat().st_size)]
    assert result.triples == len(dump.read_bytes().splitlines())
