"""The command line: help with examples, exit codes, atomic and deterministic builds."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from hikgraph.cli import main

from conftest import EXPORTS, ROOT, SOURCE


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run `python -m hikgraph ARGS` in a fresh process, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "hikgraph", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=ROOT,
        timeout=300,
    )


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.iterdir())}


def all_commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    found = []
    for name, command in group.commands.items():
        found.append((f"{prefix}{name}", command))
        if isinstance(command, click.Group):
            found.extend(all_commands(command, f"{prefix}{name} "))
    return found


@pytest.mark.parametrize(("name", "command"), [("hikgraph", main), *all_commands(main)])
def test_every_command_help_ends_with_an_example(name: str, command: click.Command) -> None:
    help_text = CliRunner().invoke(main, [*name.split()[1:], "--help"]).output
    assert "Example:" in help_text, name
    example = help_text.rsplit("Example:", 1)[1]
    assert "hikgraph" in example
    assert command.help, f"{name} has no description"


def test_exit_codes_are_documented() -> None:
    help_text = CliRunner().invoke(main, ["--help"]).output
    assert "0 ok, 1 data or validation failure, 2 usage error" in help_text


def test_usage_error_exits_2() -> None:
    result = run_cli("build", "--no-such-option")
    assert result.returncode == 2
    assert "No such option" in result.stderr
    assert run_cli("stats", "--format", "yaml").returncode == 2


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty file"),
        (b"\xff\xfe not text", "not UTF-8"),
        (b"Hello\n\nthis is not a directory\n", "not a directory"),
    ],
)
def test_bad_source_exits_1_with_one_line_and_leaves_exports(
    tmp_path: Path, content: bytes, message: str
) -> None:
    out = tmp_path / "exports"
    assert run_cli("build", str(SOURCE), "--out", str(out)).returncode == 0
    before = snapshot(out)
    bad = tmp_path / "bad.txt"
    bad.write_bytes(content)
    result = run_cli("build", str(bad), "--out", str(out))
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"hikgraph: error: {bad}")
    assert message in result.stderr
    assert result.stdout == ""
    assert snapshot(out) == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".hikgraph-build-")]


@pytest.mark.parametrize(
    ("store", "first"),
    [
        # The store's folder is made first (before the texts are read), then the
        # classification cache's.
        ("--store", "the query store cannot be made"),
        ("--no-store", "the classification cache cannot be opened"),
    ],
)
def test_an_unusable_cache_folder_exits_1_with_one_line_and_leaves_exports(
    tmp_path: Path, store: str, first: str
) -> None:
    out = tmp_path / "exports"
    assert run_cli("build", str(SOURCE), "--out", str(out)).returncode == 0
    before = snapshot(out)
    not_a_folder = tmp_path / "cache-is-a-file"
    not_a_folder.write_text("")
    env = {**os.environ, "HIKGRAPH_CACHE_DIR": str(not_a_folder)}
    result = run_cli("build", str(SOURCE), "--out", str(out), store, env=env)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith(f"hikgraph: error: {first}")
    assert "HIKGRAPH_CACHE_DIR" in result.stderr
    assert snapshot(out) == before


def test_a_store_allocator_that_is_not_there_exits_1_with_one_line_and_leaves_exports(
    tmp_path: Path,
) -> None:
    out = tmp_path / "exports"
    assert run_cli("build", str(SOURCE), "--out", str(out)).returncode == 0
    before = snapshot(out)
    missing = tmp_path / "libnothing.so"
    env = {**os.environ, "HIKGRAPH_STORE_ALLOCATOR": str(missing)}
    result = run_cli("build", str(SOURCE), "--out", str(out), env=env)
    assert result.returncode == 1
    assert result.stderr == (
        f"hikgraph: error: the query store cannot be made: HIKGRAPH_STORE_ALLOCATOR={missing}: "
        "no such file (a shared library, or 'system'); nothing written\n"
    )
    assert snapshot(out) == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".hikgraph-build-")]


def test_a_query_with_an_unusable_cache_folder_exits_1_with_one_error_line(
    tmp_path: Path,
) -> None:
    not_a_folder = tmp_path / "cache-is-a-file"
    not_a_folder.write_text("")
    env = {"HIKGRAPH_CACHE_DIR": str(not_a_folder)}
    result = run_cli("query", "--name", "articles-per-year", "--format", "csv", env=env)
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("hikgraph: error:")]
    assert len(errors) == 1 and "Traceback" not in result.stderr, result.stderr
    assert f"{not_a_folder}: cannot keep the query store there" in errors[0]
    assert result.stdout == ""


def test_missing_source_exits_1(tmp_path: Path) -> None:
    result = run_cli("build", str(tmp_path / "missing.txt"), "--out", str(tmp_path / "out"))
    assert result.returncode == 1
    assert "missing.txt: no such file" in result.stderr
    assert not (tmp_path / "out").exists()


def test_strict_turns_warnings_into_failure(tmp_path: Path) -> None:
    text = SOURCE.read_text(encoding="utf-8").replace(
        "The Wire China: The Hikvision Tipping Point?", "A stray line with no outlet separator"
    )
    source = tmp_path / "stray.txt"
    source.write_text(text, encoding="utf-8")
    loose = run_cli("build", str(source), "--out", str(tmp_path / "a"))
    assert loose.returncode == 0
    assert f"{source}:13: warning" in loose.stderr
    strict = run_cli("build", str(source), "--out", str(tmp_path / "b"), "--strict")
    assert strict.returncode == 1
    assert "--strict" in strict.stderr
    assert not (tmp_path / "b").exists() or not list((tmp_path / "b").iterdir())


def test_unreviewed_outlets_are_warned_about(tmp_path: Path) -> None:
    text = SOURCE.read_text(encoding="utf-8").replace(
        "The Wire China: The Hikvision Tipping Point?", "Wired: The Hikvision Tipping Point?"
    )
    source = tmp_path / "wired.txt"
    source.write_text(text, encoding="utf-8")
    result = run_cli("build", str(source), "--out", str(tmp_path / "out"))
    assert result.returncode == 0
    assert "1 outlet name(s) not in data/outlets.csv" in result.stderr
    assert "Wired" in result.stderr
    stats = run_cli("stats", "--graph", str(tmp_path / "out" / "hikgraph.nt"))
    assert "unreviewed outlet names 1: Wired" in stats.stdout


def test_the_unreviewed_outlets_warning_stays_one_short_line(tmp_path: Path) -> None:
    # Twelve entries of well-known outlets moved to twelve outlets nobody has heard of.
    lines = SOURCE.read_text(encoding="utf-8").splitlines()
    renamed = 0
    for number, line in enumerate(lines):
        if renamed < 12 and line.startswith(("Reuters:", "Bloomberg:", "The Guardian:")):
            renamed += 1
            lines[number] = f"Unheard Outlet {renamed}:{line.split(':', 1)[1]}"
    text = "\n".join(lines)
    source = tmp_path / "many.txt"
    source.write_text(text + "\n", encoding="utf-8")
    result = run_cli("build", str(source), "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    warning = next(line for line in result.stderr.splitlines() if "not in data/outlets" in line)
    assert warning.startswith("warning: 12 outlet name(s) not in data/outlets.csv")
    assert "Unheard Outlet 1," in warning
    assert warning.endswith(" and 2 more (hikgraph stats)")


def test_failed_validation_leaves_exports(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from rdflib import Graph, URIRef

    import hikgraph.validate
    from hikgraph.build import BuildError, build

    out = tmp_path / "exports"
    build([SOURCE], out)
    before = snapshot(out)
    real = hikgraph.validate.validate_graph

    def without_headlines(graph, shapes: Path | None = None, *, in_place: bool = False):
        broken = Graph()
        for triple in graph:
            if triple[1] != URIRef("http://schema.org/headline"):
                broken.add(triple)
        return real(broken, shapes, in_place=in_place)

    monkeypatch.setattr(hikgraph.validate, "validate_graph", without_headlines)
    with pytest.raises(BuildError, match="does not conform"):
        build([SOURCE], out)
    assert snapshot(out) == before


def test_committed_exports_are_what_build_writes(tmp_path: Path) -> None:
    """The committed exports/ are the golden files: a rebuild gives the same bytes."""
    result = run_cli("build", "--out", str(tmp_path), "--quiet")
    assert result.returncode == 0, result.stderr
    for name in ("hikgraph.ttl", "hikgraph.nt", "hikgraph.jsonld", "context.jsonld", "void.ttl"):
        assert (tmp_path / name).read_bytes() == (EXPORTS / name).read_bytes(), name


def test_same_bytes_for_any_hash_seed_and_input_order(tmp_path: Path) -> None:
    later = tmp_path / "later-edition.txt"
    later.write_text(
        SOURCE.read_text(encoding="utf-8")
        .replace("Published May 13, 2022, 07:40am EDT", "Published June 2, 2022, 09:15am EDT")
        .replace(
            "IPVM Image\n\nMay 2022\n",
            "IPVM Image\n\nJune 2022\n\nReuters: A June story\n\nMay 2022\n",
        ),
        encoding="utf-8",
    )
    outputs = []
    for seed, order in (("0", (SOURCE, later)), ("1", (later, SOURCE)), ("4242", (SOURCE, later))):
        out = tmp_path / f"out-{seed}"
        result = run_cli("build", *map(str, order), "--out", str(out), env={"PYTHONHASHSEED": seed})
        assert result.returncode == 0, result.stderr
        outputs.append(snapshot_bytes(out))
    assert outputs[0] == outputs[1] == outputs[2]


def snapshot_bytes(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_entry_iris_are_stable_across_editions(tmp_path: Path) -> None:
    from rdflib import Graph, Namespace

    schema = Namespace("http://schema.org/")
    later = tmp_path / "later.txt"
    later.write_text(
        SOURCE.read_text(encoding="utf-8").replace(
            "IPVM Image\n\nMay 2022\n",
            "IPVM Image\n\nAugust 2022\n\nBBC: An August story\n\nJune 2022\n\n"
            "Reuters: A June story\n\nMay 2022\n",
        ),
        encoding="utf-8",
    )
    for name, source in (("old", SOURCE), ("new", later)):
        assert run_cli("build", str(source), "--out", str(tmp_path / name)).returncode == 0

    def headlines(name: str) -> dict[str, str]:
        graph = Graph().parse(tmp_path / name / "hikgraph.nt", format="nt")
        return {
            str(s): str(o) for s, o in graph.subject_objects(schema.headline) if "/article/" in s
        }

    old, new = headlines("old"), headlines("new")
    assert len(new) == len(old) + 2
    assert {iri: new[iri] for iri in old} == old


def test_validate_command(tmp_path: Path) -> None:
    ok = run_cli("validate", str(EXPORTS / "hikgraph.ttl"))
    assert ok.returncode == 0
    assert "conforms" in ok.stdout
    broken = tmp_path / "broken.nt"
    lines = (EXPORTS / "hikgraph.nt").read_text(encoding="utf-8").splitlines()
    broken.write_text("\n".join(x for x in lines if "schema.org/name>" not in x) + "\n")
    bad = run_cli("validate", str(broken))
    assert bad.returncode == 1
    assert "SHACL violation" in bad.stderr
    missing = run_cli("validate", str(tmp_path / "nope.nt"))
    assert missing.returncode == 1
    assert "no such file" in missing.stderr


def test_stats_command_reads_the_graph() -> None:
    result = run_cli("stats")
    assert result.returncode == 0, result.stderr
    assert "entries                 184 (3 without an outlet)" in result.stdout
    assert "months                  54 (2016-09 … 2022-05)" in result.stdout
    assert "outlets                 83" in result.stdout
    assert "IPVM coverage reports   14" in result.stdout
    assert "reports citing it       4" in result.stdout
    as_json = run_cli("stats", "--format", "json")
    import json

    figures = json.loads(as_json.stdout)
    assert figures["entries"] == 184
    assert len(figures["entries_per_topic"]) == 11


def test_build_into_a_new_folder_anywhere(tmp_path: Path) -> None:
    out = tmp_path / "deep" / "folder"
    result = run_cli("build", str(SOURCE), "--out", str(out))
    assert result.returncode == 0
    assert "built 184 entries in 54 months, 83 outlets" in result.stderr
    assert {p.name for p in out.iterdir()} >= {"hikgraph.ttl", "hikgraph.nt", "hikgraph.jsonld"}


def test_stats_topics_scores_every_labelled_split() -> None:
    import csv
    import json

    result = run_cli("stats", "--topics")
    assert result.returncode == 0, result.stderr
    assert "seed.csv [holdout]" in result.stdout
    assert "unseen.csv [batch1]" in result.stdout
    assert "countries micro" in result.stdout
    figures = json.loads(run_cli("stats", "--topics", "--format", "json").stdout)
    quality = {
        (q["labels"].rsplit("/", 1)[-1], q["split"]): q for q in figures["classifier_quality"]
    }
    for name in ("seed.csv", "unseen.csv"):
        with (ROOT / "data" / "labels" / name).open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        for split in {row["split"] for row in rows}:
            q = quality[(name, split)]
            assert q["headlines"] == sum(row["split"] == split for row in rows)
            for key in ("topics_micro", "countries_micro"):
                assert 0.0 <= q[key]["f1"] <= 1.0
                assert q[key]["support"] > 0
    assert (
        quality[("seed.csv", "holdout")]["headlines"] + quality[("seed.csv", "tune")]["headlines"]
        == 184
    )


def test_unchanged_network_files_are_reused_and_changed_ones_redrawn(tmp_path: Path) -> None:
    """The manifest lets a rebuild of the same graph skip networkx and matplotlib, but
    a hand-edited derived file or a changed graph is drawn again."""
    out = tmp_path / "out"
    assert run_cli("build", str(SOURCE), "--out", str(out)).returncode == 0
    first = snapshot_bytes(out)
    timeline = out / "timeline.svg"
    timeline.write_bytes(b"tampered")
    assert run_cli("build", str(SOURCE), "--out", str(out)).returncode == 0
    assert snapshot_bytes(out) == first  # the tampered file was redrawn, bytes as before
    probe = (
        "import sys\n"
        "sys.argv = ['hikgraph', 'build', sys.argv[1], '--out', sys.argv[2], '-q']\n"
        "from hikgraph.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('matplotlib' in sys.modules)"
    )
    again = subprocess.run(
        [sys.executable, "-c", probe, str(SOURCE), str(out)], capture_output=True, text=True
    )
    assert again.stdout.strip() == "False", again.stderr
    assert snapshot_bytes(out) == first
    changed = tmp_path / "changed.txt"
    changed.write_text(
        SOURCE.read_text(encoding="utf-8").replace(
            "The Wire China: The Hikvision Tipping Point?", "The Wire China: A new headline"
        ),
        encoding="utf-8",
    )
    assert run_cli("build", str(changed), "--out", str(out)).returncode == 0
    assert (out / "network.html").read_bytes() != first["network.html"]
