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
import time
from pathlib import Path

import pytest
from pyoxigraph import Store, Triple
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic

from hikgraph import build as build_module
from hikgraph import graph_chunks
from hikgraph.build import BuildError, build
from hikgraph.classify_stream import ClassificationCache, decode, encode
from hikgraph.directory import read_directory
from hikgraph.enrich import plan
from hikgraph.network import NETWORK_FILES
from hikgraph.registry import load_registry
from hikgraph.store import store_dir
from hikgraph.synth import write_synthetic

from conftest import EXPORTS

VOID = "http://rdfs.org/ns/void#"
DCTERMS = "http://purl.org/dc/terms/"
DATASET = "https://w3id.org/hikgraph/dataset"
ARTICLE = "https://w3id.org/hikgraph/id/article/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
DUMPS = ("hikgraph.nt", "hikgraph.ttl", "hikgraph.jsonld", "void.ttl")
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
    assert result.processes == 2
    for name in DUMPS:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_10k_entries_serial_and_in_workers_give_the_same_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The chunks are made in worker processes and written in chunk order: the files
    # must not depend on which process made a chunk, on a cold or warm cache, or on
    # the chunk size. (No network drawing and no SHACL here: neither changes these
    # files, and they would triple the test's time.)
    source = tmp_path / "directory.txt"
    write_synthetic(source, 10_000, seed=5)
    monkeypatch.setattr(build_module, "NETWORK_MAX_ENTRIES", 0)
    monkeypatch.setenv("HIKGRAPH_CACHE_DIR", str(tmp_path / "serial-cache"))
    serial = build([source], tmp_path / "serial", workers=1, validate=False)
    assert serial.processes == 1

    monkeypatch.setenv("HIKGRAPH_CACHE_DIR", str(tmp_path / "parallel-cache"))
    monkeypatch.setattr(build_module, "CHUNK_ENTRIES", 700)
    cold = build([source], tmp_path / "cold", workers=2, validate=False)
    warm = build([source], tmp_path / "warm", workers=2, validate=False)
    assert cold.processes == warm.processes == 2
    # Classifying and making triples are one job in the workers: one stage, in order.
    assert list(serial.timings)[:3] == ["parse", "classify", "triples"]
    assert list(cold.timings)[:2] == ["parse", "classify+triples"]
    assert "classify" not in cold.timings and "triples" not in cold.timings
    assert list(cold.peak_rss) == list(cold.timings)
    # Cold: the workers classify (later chunks reuse what earlier ones cached).
    assert cold.classified > cold.reused
    assert warm.reused == warm.entries == 10_000 and warm.classified == 0
    for name in DUMPS:
        expected = (tmp_path / "serial" / name).read_bytes()
        assert (tmp_path / "cold" / name).read_bytes() == expected, name
        assert (tmp_path / "warm" / name).read_bytes() == expected, name
    # And the dumps are whole: every entry, one line per triple, Turtle = N-Triples.
    lines = _ntriples(tmp_path / "cold" / "hikgraph.nt")
    assert len(lines) == cold.triples
    typed = {line.split(" ", 1)[0] for line in lines if f"> <{RDF_TYPE}> " in line}
    assert sum(1 for subject in typed if subject.startswith(f"<{ARTICLE}")) == 10_000
    turtle = Graph().parse(tmp_path / "cold" / "hikgraph.ttl", format="turtle")
    assert len(turtle) == cold.triples


def _failing_entry_terms(enriched, directory, links=None):  # type: ignore[no-untyped-def]
    if enriched.slug == FAILING_SLUG[0]:
        raise ValueError(f"cannot describe {enriched.slug}")
    return ORIGINAL_ENTRY_TERMS(enriched, directory, links)


FAILING_SLUG: list[str] = []
ORIGINAL_ENTRY_TERMS = graph_chunks.entry_terms


@pytest.mark.parametrize("workers", [1, 2])
def test_a_failing_chunk_fails_the_build_with_its_own_error_and_writes_nothing(
    synthetic: Path,
    tmp_path: Path,
    small_limits: None,
    monkeypatch: pytest.MonkeyPatch,
    workers: int,
) -> None:
    from hikgraph import classify_stream

    out = tmp_path / "exports"
    build([synthetic], out)
    before = {path.name: path.read_bytes() for path in out.iterdir() if path.is_file()}
    # The 400th entry of the plan fails, in a chunk a worker makes when there are
    # workers (they are forked after the patch, so they have it).
    planned = plan([read_directory(synthetic)], load_registry())
    FAILING_SLUG[:] = [planned.entries[400].slug]
    monkeypatch.setattr(graph_chunks, "entry_terms", _failing_entry_terms)
    monkeypatch.setattr(classify_stream, "PARALLEL_MIN", 1)
    with pytest.raises(ValueError, match=f"^cannot describe {FAILING_SLUG[0]}$"):
        build([synthetic], out, workers=workers)
    after = {path.name: path.read_bytes() for path in out.iterdir() if path.is_file()}
    assert after == before
    assert not list(tmp_path.glob(".hikgraph-build-*"))  # no staging folder left


def _dying_entry_terms(enriched, directory, links=None):  # type: ignore[no-untyped-def]
    if os.getpid() != PARENT[0]:
        os._exit(3)  # as if killed (e.g. by the kernel for memory)
    return ORIGINAL_ENTRY_TERMS(enriched, directory, links)


PARENT: list[int] = []


def test_a_worker_that_dies_fails_the_build_in_one_line_and_writes_nothing(
    synthetic: Path, tmp_path: Path, small_limits: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hikgraph import classify_stream

    out = tmp_path / "exports"
    build([synthetic], out)
    before = {path.name: path.read_bytes() for path in out.iterdir() if path.is_file()}
    PARENT[:] = [os.getpid()]
    monkeypatch.setattr(graph_chunks, "entry_terms", _dying_entry_terms)
    monkeypatch.setattr(classify_stream, "PARALLEL_MIN", 1)
    with pytest.raises(BuildError, match="worker process of the build died") as raised:
        build([synthetic], out, workers=2)
    assert "\n" not in str(raised.value)
    after = {path.name: path.read_bytes() for path in out.iterdir() if path.is_file()}
    assert after == before


def _mark(marker: str, classifications: list[object]) -> tuple[str, int]:
    Path(marker).touch()
    return Path(marker).name, len(classifications)


@pytest.mark.parametrize("workers", [1, 2])
def test_workers_start_the_first_chunks_before_the_first_result_is_asked_for(
    tmp_path: Path, workers: int
) -> None:
    # The build makes the head of the graph between handing out the chunks and asking
    # for the first: with workers, the first chunks (one each and _AHEAD more, and the
    # one waited for) run meanwhile; the rest only as results are taken. Without
    # workers nothing runs before it is asked for.
    from hikgraph.classify_stream import _AHEAD, PARALLEL_MIN, ClassificationStream

    chunks = [(["Hikvision cameras banned"] * 3, str(tmp_path / f"chunk-{i}")) for i in range(9)]
    eager = workers + _AHEAD + 1 if workers > 1 else 0
    with ClassificationStream(None, workers=workers) as stream:
        stream.start(PARALLEL_MIN)
        results = stream.map(_mark, chunks)
        deadline = time.monotonic() + 60
        while len(list(tmp_path.iterdir())) < eager and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.3)  # long enough for a chunk handed out too early to show
        assert sorted(p.name for p in tmp_path.iterdir()) == [f"chunk-{i}" for i in range(eager)]
        assert list(results) == [(f"chunk-{i}", 3) for i in range(9)]
    assert len(list(tmp_path.iterdir())) == 9


def test_links_kept_by_id_are_each_classifications_own() -> None:
    # A process keeps each classification's links by id() for the stream, and gives
    # its evidence keys the first time only: classifications made and dropped batch
    # after batch (their ids free for the next) must each get their own.
    from hikgraph.classify import Classification, CountryTag, Evidence, TopicTag
    from hikgraph.model import classification_links, entry_evidence

    graph_chunks.share_entries(())  # a new stream
    codes = ["CN", "US", "GB", "DE", "FR", "AU", "IN", "JP", "KR", "NL", "CA"]
    seen: set[int] = set()
    for batch in range(20):
        made = [
            Classification(
                language="en",
                topics=(TopicTag("sanctions", (Evidence("sanctions/term/ban", "ban"),)),),
                countries=(CountryTag(code, (Evidence(f"{code}/name/x", code),)),),
            )
            for code in codes[batch % 2 :: 2]
        ]
        for classification in made:
            links, keys = graph_chunks._links_of(classification)
            assert links == classification_links(classification)
            assert keys == entry_evidence(classification)
            assert graph_chunks._links_of(classification) == (links, None)
        seen |= {id(c) for c in made}
        del made, classification
    assert len(seen) == 20 * 5 + 10  # kept: no id was handed out twice
    graph_chunks.share_entries(())  # the next stream hears of them again
    assert graph_chunks._linked == {}


def test_counts_merged_from_parts_equal_counts_of_the_whole(
    synthetic: Path, tmp_path: Path, small_limits: None
) -> None:
    from pyoxigraph import RdfFormat, parse

    from hikgraph.export import GraphCounts

    out = tmp_path / "exports"
    build([synthetic], out)
    triples = [
        Triple(q.subject, q.predicate, q.object)
        for q in parse(path=str(out / "hikgraph.nt"), format=RdfFormat.N_TRIPLES)
    ]
    for distinct in (True, False):
        whole = GraphCounts(distinct=distinct)
        whole.add(triples)
        merged = GraphCounts(distinct=distinct)
        for start in range(0, len(triples), 997):
            part = GraphCounts(distinct=distinct)
            part.add(triples[start : start + 997])
            merged.merge(part)
        assert merged.triples == whole.triples == len(triples)
        assert merged.entities == whole.entities > 600
        assert merged.properties == whole.properties
        assert merged.classes == whole.classes
        assert merged.distinct_subjects == whole.distinct_subjects
        assert merged.distinct_objects == whole.distinct_objects
    assert whole.distinct_subjects is None
    with pytest.raises(ValueError, match="without distinct terms"):
        GraphCounts(distinct=True).merge(GraphCounts(distinct=False))


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


def test_cache_file_of_the_old_table_layout_is_removed(tmp_path: Path) -> None:
    # The first layout kept the rows keyed by headline (WITHOUT ROWID), in a file named
    # by the digest alone: a cache opened now starts a file of its own and drops it.
    import sqlite3

    old = tmp_path / f"{'c' * 24}.sqlite"
    with sqlite3.connect(old) as db:
        db.execute(
            "CREATE TABLE classification (headline TEXT PRIMARY KEY, result TEXT NOT NULL) "
            "WITHOUT ROWID"
        )
    db.close()
    cache = ClassificationCache(tmp_path, digest="c" * 64)
    cache.put_many([("A headline", '["en",[],[]]')])
    assert cache.get_many(["A headline", "another"]) == {"A headline": '["en",[],[]]'}
    assert not old.exists()
    assert [p.name for p in tmp_path.glob("*.sqlite")] == [cache.path.name]
    (sql,) = cache._db.execute(
        "SELECT sql FROM sqlite_master WHERE name = 'classification'"
    ).fetchone()
    assert "WITHOUT ROWID" not in sql
    cache.close()


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
    write_synthetic(source, 15_000, seed=3)
    env = {**os.environ, "HIKGRAPH_CACHE_DIR": str(tmp_path / "cache")}
    command = [sys.executable, "-m", "hikgraph", "build", str(source)]

    code, shown = _run_in_terminal([*command, "--out", str(tmp_path / "a")], env)
    assert code == 0, shown
    assert "classify + write" in shown and "entries" in shown
    assert "\r" in shown  # a bar redrawn in place
    assert "built 15000 entries" in shown

    code, shown = _run_in_terminal([*command, "--out", str(tmp_path / "b"), "--quiet"], env)
    assert code == 0, shown
    assert shown == ""

    piped = subprocess.run(
        [*command, "--out", str(tmp_path / "c")], capture_output=True, text=True, env=env
    )
    assert piped.returncode == 0, piped.stderr
    assert "classify + write" not in piped.stderr
    assert "\r" not in piped.stderr
    assert piped.stderr.strip().splitlines()[-1].startswith("built 15000 entries")


def test_no_store_writes_the_same_dumps_and_the_first_query_loads_the_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "exports"
    out.mkdir()
    (out / "network.html").write_text("from an earlier graph")
    summary = tmp_path / "summary.json"
    monkeypatch.setenv("HIKGRAPH_CACHE_DIR", str(tmp_path / "cache"))
    env = dict(os.environ)

    def hikgraph(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "hikgraph", *args]
        return subprocess.run(command, capture_output=True, text=True, env=env, check=False)

    done = hikgraph("build", "--out", str(out), "--no-store", "--json-summary", str(summary))
    assert done.returncode == 0, done.stderr
    assert "note: the query store was not loaded (--no-store)" in done.stderr
    assert "network files are drawn from the query store" in done.stderr

    # The dumps are byte for byte those of a build that loads the store (the
    # committed exports); the network files, drawn from the store, are not there,
    # nor is a stale one from before; and no store was made.
    for name in (*DUMPS, "context.jsonld"):
        assert (out / name).read_bytes() == (EXPORTS / name).read_bytes(), name
    assert not any((out / name).exists() for name in NETWORK_FILES)
    timings = json.loads(summary.read_text())["timings"]
    assert "store" not in timings and "network" not in timings
    store = store_dir(out)
    assert store.parent == tmp_path / "cache" and not store.exists()

    # The first query loads the store from the dumps and answers from it.
    count = "SELECT (COUNT(?a) AS ?n) WHERE { ?a a <http://schema.org/NewsArticle> }"
    asked = hikgraph("query", "--exports", str(out), "--format", "csv", count)
    assert asked.returncode == 0, asked.stderr
    assert asked.stderr.startswith(f"loading the query store from {out / 'hikgraph.nt'}")
    typed = f"<{RDF_TYPE}> <http://schema.org/NewsArticle> ."
    articles = sum(1 for line in (out / "hikgraph.nt").open() if line.rstrip().endswith(typed))
    assert articles > 150
    assert asked.stdout.split() == ["n", str(articles)]
    assert (store / "oxigraph").is_dir()
    again = hikgraph("query", "--exports", str(out), "--format", "csv", count)
    assert (again.returncode, again.stderr, again.stdout) == (0, "", asked.stdout)
