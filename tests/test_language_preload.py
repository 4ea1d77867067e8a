"""The build loads the classifier and the language identifier's model in a thread while
it parses a large directory: the thread is over before any worker is forked, and a
build on one process starts none."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from hikgraph import build as build_module
from hikgraph import classify
from hikgraph.classify_stream import ClassificationStream


def _preloading() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "classifier-models"]


def test_preload_loads_the_models_in_a_thread_that_start_waits_for() -> None:
    classify._identifier.cache_clear()
    classify.default_classifier.cache_clear()
    with ClassificationStream(None, workers=2) as stream:
        stream.preload()
        stream.start(0)  # too few entries to fork: the thread is still waited for
        assert not _preloading()
        assert classify._identifier.cache_info().currsize == 1
        assert classify.default_classifier.cache_info().currsize == 1
        assert classify.identify_language("Le gouvernement interdit les caméras") == "fr"


def test_one_process_preloads_nothing() -> None:
    classify._identifier.cache_clear()
    with ClassificationStream(None, workers=1) as stream:
        stream.preload()
        assert not _preloading()
        stream.start(0)
    assert classify._identifier.cache_info().currsize == 0


@pytest.mark.parametrize(("threshold", "large"), [(1, True), (1 << 40, False)])
def test_the_build_preloads_only_for_a_large_text_and_before_parsing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, threshold: int, large: bool
) -> None:
    # A large text is read in a process of the build's own (its records never live in
    # the caller's), so what reading saw is written to a file: whether the model was
    # loading or loaded when parsing began, and in which process.
    seen = tmp_path / "seen.txt"
    read = build_module.read_directory

    def reading(path: Path | str) -> object:
        loading = bool(_preloading()) or classify._identifier.cache_info().currsize == 1
        with seen.open("a", encoding="utf-8") as record:
            record.write(f"{int(loading)} {os.getpid()}\n")
        return read(path)

    classify._identifier.cache_clear()
    monkeypatch.setattr(build_module, "read_directory", reading)
    monkeypatch.setattr(build_module, "PRELOAD_BYTES", threshold)
    monkeypatch.setattr(build_module, "NETWORK_MAX_ENTRIES", 0)
    source = Path(__file__).resolve().parents[1] / "data" / "sources"
    texts = sorted(source.glob("*.txt"))
    build_module.build(texts, tmp_path / "out", workers=2, validate=False)
    lines = [line.split() for line in seen.read_text(encoding="utf-8").splitlines()]
    assert [loading == "1" for loading, _ in lines] == [large] * len(texts)
    assert {pid != str(os.getpid()) for _, pid in lines} == {large}
    assert not _preloading()
