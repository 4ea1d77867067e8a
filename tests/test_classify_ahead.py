"""Classifying ahead: a scout process classifies a large directory's headlines while
the build still reads it, and the workers take its answers instead of classifying
them again. Real texts, the real parser and classifier, a real forked process."""

from __future__ import annotations

import multiprocessing
import os
import time
from pathlib import Path

import pytest

from hikgraph import classify_stream
from hikgraph.classify import default_classifier
from hikgraph.classify_ahead import Scout
from hikgraph.classify_stream import ClassificationCache, ClassificationStream, decode, encode
from hikgraph.directory import entry_headlines, read_directory
from hikgraph.synth import write_synthetic

SHIPPED = sorted((Path(__file__).resolve().parents[1] / "data" / "sources").glob("*.txt"))


@pytest.fixture(scope="module")
def text(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ahead") / "directory.txt"
    write_synthetic(path, 3000, seed=21)
    return path


def _parsed_headlines(path: Path) -> list[str]:
    # What the parser reads, last entry first, each headline once.
    return list(dict.fromkeys(e.headline for e in reversed(read_directory(path).entries)))


def test_the_quick_look_finds_the_parsers_headlines_last_first(text: Path) -> None:
    assert list(entry_headlines(text.read_text(encoding="utf-8"))) == _parsed_headlines(text)


def test_on_the_shipped_text_the_quick_look_misses_no_headline() -> None:
    for path in SHIPPED:
        looked = list(entry_headlines(path.read_text(encoding="utf-8")))
        parsed = _parsed_headlines(path)
        assert set(parsed) <= set(looked)
        assert len(looked) == len(set(looked))
        # In the parser's order: what it also yields only adds to the list.
        assert [h for h in looked if h in set(parsed)] == parsed


def _finished(scout: Scout) -> dict[str, str]:
    assert scout.wait(120), "the scout did not finish"
    return scout.stop()


def test_the_scout_answers_as_the_classifier_and_skips_what_the_cache_holds(
    text: Path, tmp_path: Path
) -> None:
    headlines = _parsed_headlines(text)
    cache = ClassificationCache(tmp_path / "cache", digest="ahead-test")
    held = headlines[:5]
    cache.put_many((h, "held") for h in held)
    with Scout([text], cache.path, niceness=0) as scout:
        answers = _finished(scout)
    assert set(answers) == set(headlines) - set(held)
    classifier = default_classifier()
    for headline in headlines[5:200]:
        assert decode(answers[headline]) == classifier.classify(headline)


def test_stop_ends_the_scout_with_what_it_made_so_far(text: Path) -> None:
    big = text.with_name("big.txt")
    write_synthetic(big, 40_000, seed=22)
    scout = Scout([big], None, niceness=0)
    time.sleep(0.5)
    answers = scout.stop()
    assert not scout.alive
    assert len(answers) < len(_parsed_headlines(big))
    classifier = default_classifier()
    for headline, stored in list(answers.items())[:50]:
        assert decode(stored) == classifier.classify(headline)


def test_a_scout_that_died_gives_nothing_and_raises_nothing(text: Path) -> None:
    scout = Scout([text], None, niceness=0)
    os.kill(scout.pid, 9)
    assert scout.stop() == {}
    assert not scout.alive


def test_an_unreadable_text_is_left_to_the_build(tmp_path: Path, text: Path) -> None:
    broken = tmp_path / "broken.txt"
    broken.write_bytes(b"\xff\xfe not UTF-8")
    with Scout([tmp_path / "missing.txt", broken, text], None, niceness=0) as scout:
        answers = _finished(scout)
    assert set(answers) == set(_parsed_headlines(text))


def _start_scout_and_leave(path: Path, pid_out: multiprocessing.connection.Connection) -> None:
    scout = Scout([path], None, niceness=0)
    pid_out.send(scout.pid)
    os._exit(0)  # no clean-up: as a killed build would


def _ended(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return True
    return state in ("Z", "X")


def test_the_scout_ends_when_the_process_that_forked_it_ends(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    write_synthetic(big, 40_000, seed=23)
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    parent = context.Process(target=_start_scout_and_leave, args=(big, sender))
    parent.start()
    scout_pid = receiver.recv()
    parent.join()
    deadline = time.monotonic() + 60
    while not _ended(scout_pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _ended(scout_pid)


def _languages(payload: int, classifications: list[object]) -> tuple[int, list[str]]:
    return payload, [c.language for c in classifications]  # type: ignore[attr-defined]


def test_the_stream_hands_the_scouts_answers_to_the_jobs_and_the_cache(
    text: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(classify_stream, "PARALLEL_MIN", 1)
    headlines = _parsed_headlines(text)
    cache = ClassificationCache(tmp_path / "cache", digest="ahead-stream-test")
    with ClassificationStream(cache, workers=2) as stream:
        stream.classify_ahead([text])
        assert stream._scout is not None and stream._scout.wait(120)
        stream.start(len(headlines))
        assert stream.classified == len(headlines)  # all made ahead
        chunks = [(headlines[i : i + 100], i) for i in range(0, len(headlines), 100)]
        answers = stream.map(_languages, chunks)
        # Stored once the first jobs are handed out.
        stored = cache.get_many(headlines)
        assert set(stored) == set(headlines)
        results = list(answers)
        # The workers took every answer from the scout: none classified again, none
        # counted as coming from an earlier build's cache.
        assert stream.classified == len(headlines)
        assert stream.reused == 0
    classifier = default_classifier()
    assert [language for _, part in results for language in part] == [
        classifier.classify(h).language for h in headlines
    ]
    assert {h: decode(stored[h]) for h in headlines[:100]} == {
        h: decode(encode(classifier.classify(h))) for h in headlines[:100]
    }
    assert not classify_stream._ahead  # forgotten with the stream


def test_one_process_sends_no_scout(text: Path) -> None:
    with ClassificationStream(None, workers=1) as stream:
        stream.classify_ahead([text])
        assert stream._scout is None


def test_a_large_build_that_fails_leaves_no_scout_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The build's reading fails on the text's last line (a month heading after the
    # citing reports) while the scout classifies: the one-line error, nothing
    # written, and the scout ended.
    from hikgraph import build as build_module
    from hikgraph import classify_ahead
    from hikgraph.directory import DirectoryError

    monkeypatch.setenv("HIKGRAPH_CACHE_DIR", str(tmp_path / "cache"))
    source = tmp_path / "directory.txt"
    write_synthetic(source, 20_000, seed=24)
    with source.open("a", encoding="utf-8") as text:
        text.write("May 2022\n")
    assert source.stat().st_size >= build_module.PRELOAD_BYTES

    scouts = tmp_path / "scouts.txt"
    started = classify_ahead.Scout.__init__

    def recording(self: Scout, *args: object, **kwargs: object) -> None:
        started(self, *args, **kwargs)  # type: ignore[arg-type]
        with scouts.open("a", encoding="utf-8") as record:
            record.write(f"{self.pid}\n")

    monkeypatch.setattr(classify_ahead.Scout, "__init__", recording)
    out = tmp_path / "exports"
    with pytest.raises(DirectoryError, match=r"directory\.txt:\d+: unreadable citing report"):
        build_module.build([source], out, workers=2)
    assert not out.exists() or not any(out.iterdir())
    pids = [int(line) for line in scouts.read_text(encoding="utf-8").split()]
    assert len(pids) == 1  # it ran: the text is large enough
    deadline = time.monotonic() + 30
    while not _ended(pids[0]) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _ended(pids[0])
