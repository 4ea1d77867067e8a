"""The streaming build: chunks, sampled checks past a size, the classification
cache that makes a rebuild classify only new headlines, progress and the JSON summary.

Sizes are made small by lowering the build's thresholds, so these tests exercise the
same code paths a million-entry build takes without its minutes.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest
from pyoxigraph import Store
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic

from hikgraph import build as build_module
from hikgraph.build import build
from hikgraph.classify_stream import ClassificationCache, decode, encode
from hikgraph.directory import read_directory
from hikgraph.synth import write_synthetic

VOID = "http://rdfs.org/ns/void#"
DCTERMS = "http://purl.org/dc/terms/"
DATASET = "https://w3id.org/hikgraph/dataset"
ARTICLE = "https://w3id.org/hikgraph/id/article/"
MONTH = re.compile(r"^[A-Z][a-z]+ \d{4}$")


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("synth") / "directory.txt"
    write_synthetic(path, 600, seed=7)
    return path


@pytest.fixture
def small_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    # 600 entries then behave as a large directory would: several chunks, a sampled
    # SHACL check and JSON-LD dump, no network drawing.
    monkeypatch.setattr(build_module, "CHUNK_ENTRIES", 70)
    monkeypatch.setattr(build_module, "FULL_CHECK_ENTRIES", 100)
    monkeypatch.setattr(build_module, "NETWORK_MAX_ENTRIES", 300)


def _ntriples(path: Path) -> set[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(set(lines)), "a triple is written twice"
    return set(lines)


def _void_value(void: Graph, subject: str, predicate: str) -> str:
    values = list(void.objects(URIRef(subject), URIRef(predicate)))
    assert len(values) == 1, (subject, predicate, values)
    return str(values[0])


def test_large_build_streams_whole_dumps_and_samples_checks(
    synthetic: Path, tmp_path: Path, small_limits: None
) -> None:
    out = tmp_path / "exports"
    (out).mkdir()
    (out / "network.html").write_text("from an earlier graph")
    result = build([synthetic], out)
    entries = len(read_directory(synthetic).entries)
    assert result.entries == entries == 600

    # Whole dumps: every entry in N-Triples and Turtle, and the two are one graph.
    lines = _ntriples(out / "hikgraph.nt")
    assert result.triples == len(lines)
    articles = {
        line.split(" ", 1)[0]
        for line in lines
        if line.startswith(f"<{ARTICLE}") and "#" not in line.split(" ", 1)[0]
    }
    assert len(articles) == entries
    turtle = Graph().parse(out / "hikgraph.ttl", format="turtle")
    assert isomorphic(turtle, Graph().parse(out / "hikgraph.nt", format="nt"))

    # The sample: about FULL_CHECK_ENTRIES entries in the JSON-LD, said in a note and
    # in the VoID description of that dump; VoID counts the whole graph.
    assert any("even sample" in note for note in result.notes)
    jsonld = Graph().parse(out / "hikgraph.jsonld", format="json-ld")
    sampled = {s for s in jsonld.subjects() if str(s).startswith(ARTICLE) and "#" not in str(s)}
    assert len(sampled) == 100
    assert len(jsonld) < len(lines)
    assert all(f"<{s}>" in articles for s in sampled)
    void = Graph().parse(out / "void.ttl", format="turtle")
    assert int(_void_value(void, DATASET, VOID + "triples")) == len(lines)
    description = _void_value(void, f"{DATASET}#dump-hikgraph-jsonld", DCTERMS + "description")
    assert "sample" in description
    assert not list(void.objects(URIRef(DATASET), URIRef(VOID + "distinctSubjects")))

    # No network drawn past the limit, and the stale page from before is gone.
    assert any("network files are not drawn" in note for note in result.notes)
    assert not (out / "network.html").exists()

    # The query store holds the whole graph.
    from hikgraph.store import ensure_store

    store = Store.read_only(str(ensure_store(out)))
    assert len(store) == len(lines)


def test_chunk_size_and_workers_do_not_change_a_byte(
    synthetic: Path, tmp_path: Path, small_limits: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hikgraph import classify_stream

    first = tmp_path / "a"
    build([synthetic], first, workers=1)
    monkeypatch.setattr(build_module, "CHUNK_ENTRIES", 13)
    # Every chunk's new headlines go to two worker processes.
    monkeypatch.setattr(classify_stream, "PARALLEL_MIN", 1)
    monkeypatch.setenv("HIKGRAPH_CACHE_DIR", str(tmp_path / "fresh-cache"))
    second = tmp_path / "b"
    result = build([synthetic], second, workers=2)
    assert result.classified > 0 and result.reused < result.entries
    for name in ("hikgraph.nt", "hikgraph.ttl", "hikgraph.jsonld", "void.ttl"):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_a_rebuild_with_a_new_month_classifies_only_its_headlines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HIKGRAPH_CACHE_DIR", str(tmp_path / "cache"))
    older = tmp_path / "older.txt"
    write_synthetic(older, 300, seed=11)
    text = older.read_text(encoding="utf-8").splitlines(keepends=True)
    # A later edition: one new month above the newest, with headlines never seen.
    first_month = next(i for i, line in enumerate(text) if MONTH.match(line))
    new_month = [
        "June 2022\n",
        "Reuters: Norway orders ministries to replace Hikvision cameras\n",
        "The Guardian: Hikvision shares slide after earnings miss\n",
        "Le Monde: La France examine une interdiction des caméras Hikvision\n",
    ]
    newer = tmp_path / "newer.txt"
    newer.write_text("".join([*text[:first_month], *new_month, *text[first_month:]]))

    out = tmp_path / "exports"
    cold = build([older], out)
    assert cold.reused == 0 and cold.classified == len({e.headline for e in _entries(older)})
    again = build([newer], out)
    assert again.classified == 3
    assert again.reused == again.entries - 3
    # The cached answers are the classifier's answers: a cold build of the new
    # edition writes the same bytes.
    monkeypatch.setenv("HIKGRAPH_CACHE_DIR", str(tmp_path / "cold-cache"))
    fresh = tmp_path / "fresh"
    build([newer], fresh)
    for name in ("hikgraph.nt", "hikgraph.ttl", "hikgraph.jsonld", "void.ttl"):
        assert (out / name).read_bytes() == (fresh / name).read_bytes(), name


def _entries(path: Path) -> tuple:  # type: ignore[type-arg]
    return read_directory(path).entries


def test_cache_is_keyed_by_the_classifier_digest(tmp_path: Path) -> None:
    from hikgraph.classify import default_classifier

    headline = "Whitehall orders Hikvision cameras removed from government sites"
    answer = encode(default_classifier().classify(headline))
    old = ClassificationCache(tmp_path, digest="a" * 64)
    old.put_many([(headline, answer)])
    assert old.get_many([headline]) == {headline: answer}
    old.close()
    # A changed rule or model is another digest: nothing is reused, and the file of
    # the old digest is removed.
    new = ClassificationCache(tmp_path, digest="b" * 64)
    assert new.get_many([headline]) == {}
    assert [p.name for p in tmp_path.glob("*.sqlite")] == [new.path.name]
    new.close()
    assert decode(answer) == default_classifier().classify(headline)
    with pytest.raises(ValueError, match="not a stored classification"):
        decode('["en", 3]')


def test_json_summary_has_counts_seconds_and_memory_per_stage(tmp_path: Path) -> None:
    summary = tmp_path / "summary.json"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "hikgraph",
            "build",
            "--out",
            str(tmp_path / "exports"),
            "--json-summary",
            str(summary),
            "--quiet",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    figures = json.loads(summary.read_text())
    assert figures["entries"] == 184
    assert figures["triples"] == len(
        (tmp_path / "exports" / "hikgraph.nt").read_bytes().splitlines()
    )
    stages = {"parse", "classify", "triples", "validate", "store", "jsonld", "write"}
    assert stages <= set(figures["timings"])
    assert set(figures["timings"]) == set(figures["peak_rss"])
    assert all(value > 10_000_000 for value in figures["peak_rss"].values())


def _run_in_terminal(args: list[str], env: dict[str, str]) -> tuple[int, str]:
    """Run *args* with stderr (and stdout) on a pseudo-terminal; return the exit
    code and everything written to it."""
    controller, terminal = pty.openpty()
    # A real terminal has a size; a fresh pseudo-terminal's is 0×0, and tqdm draws
    # nothing in no columns.
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    process = subprocess.Popen(args, stdout=terminal, stderr=terminal, env=env)
    os.close(terminal)
    output = b""
    while True:
        try:
            data = os.read(controller, 65536)
        except OSError:  # the terminal closed: the process ended
            break
        if not data:
            break
        output += data
    os.close(controller)
    return process.wait(timeout=300), output.decode("utf-8", "replace")


def test_progress_bars_only_on_a_terminal_and_not_when_quiet(tmp_path: Path) -> None:
    source = tmp_path / "directory.txt"
    # Large enough for the stream to outlast the bar's one-second delay.
    write_synthetic(source, 6_000, seed=3)
    env = {**os.environ, "HIKGRAPH_CACHE_DIR": str(tmp_path / "cache")}
    command = [sys.executable, "-m", "hikgraph", "build", str(source)]

    code, shown = _run_in_terminal([*command, "--out", str(tmp_path / "a")], env)
    assert code == 0, shown
    assert "classify + write" in shown and "entries" in shown
    assert "\r" in shown  # a bar redrawn in place
    assert "built 6000 entries" in shown

    code, shown = _run_in_terminal([*command, "--out", str(tmp_path / "b"), "--quiet"], env)
    assert code == 0, shown
    assert shown == ""

    piped = subprocess.run(
        [*command, "--out", str(tmp_path / "c")], capture_output=True, text=True, env=env
    )
    assert piped.returncode == 0, piped.stderr
    assert "classify + write" not in piped.stderr
    assert "\r" not in piped.stderr
    assert piped.stderr.strip().splitlines()[-1].startswith("built 6000 entries")
