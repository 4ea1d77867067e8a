"""`hikgraph synth`: synthetic directories the shipped parser and build read as intended.

The expected figures are the request (N entries), the labels file written beside the
text (checked line by line against what the parser reads) and the documented report
counts (14 coverage reports plus one per 1,000 entries; 4 citing reports plus one per
2,500 entries).
"""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
from itertools import islice
from pathlib import Path

import pytest
from click.testing import CliRunner

from hikgraph.classify import default_classifier
from hikgraph.cli import main
from hikgraph.directory import read_directory
from hikgraph.evaluation import evaluate
from hikgraph.synth import SynthError, synthesize, write_synthetic

SIZE = 2000
SEED = 3
ARTICLE_TYPE = re.compile(
    r"^<https://w3id\.org/hikgraph/id/article/[^>]+> "
    r"<http://www\.w3\.org/1999/02/22-rdf-syntax-ns#type> <http://schema\.org/CreativeWork> \.$",
    re.MULTILINE,
)


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """A 2,000-entry text and its labels, written through the CLI; and its stderr."""
    folder = tmp_path_factory.mktemp("synth")
    text, labels = folder / "directory.txt", folder / "labels.csv"
    result = CliRunner().invoke(
        main,
        ["synth", "--entries", str(SIZE), "--seed", str(SEED), "--labels", str(labels), str(text)],
    )
    assert result.exit_code == 0, result.output
    return text, labels, result.stderr


def _rows(labels: Path) -> list[dict[str, str]]:
    with labels.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_parser_reads_back_exactly_what_was_intended(small: tuple[Path, Path, str]) -> None:
    text, labels, stderr = small
    directory = read_directory(text)
    rows = _rows(labels)
    assert directory.warnings == []
    assert len(directory.entries) == len(rows) == SIZE
    # Entry by entry: the month, the outlet as spelt and the headline.
    assert [(e.year_month, e.outlet or "", e.headline) for e in directory.entries] == [
        (r["month"], r["outlet"], r["headline"]) for r in rows
    ]
    without_outlet = sum(entry.outlet is None for entry in directory.entries)
    assert without_outlet == sum(row["outlet"] == "" for row in rows) > 0
    months = [(m.year, m.month) for m in directory.months]
    assert months[0] == (2022, 5)
    assert months == sorted(months, reverse=True) and len(set(months)) == len(months)
    assert len(months) == len({row["month"] for row in rows})  # no empty month heading
    assert len(directory.coverage) == 14 + SIZE // 1000
    assert directory.citing_count_stated == len(directory.citing) == 4 + SIZE // 2500
    assert any(entry.note for entry in directory.entries)
    assert directory.metadata.comment_count is not None
    assert {line.reason for line in directory.skipped} >= {
        "image placeholder",
        "newsletter sign-up",
        "coverage section intro",
        "related-reports widget",
        "comment count (kept)",
    }
    assert stderr.strip() == (
        f"wrote {text}: {SIZE} entries in {len(months)} months ({without_outlet} without an "
        f"outlet), {14 + SIZE // 1000} coverage reports, {4 + SIZE // 2500} citing reports"
    )


def test_strict_build_publishes_every_entry(small: tuple[Path, Path, str], tmp_path: Path) -> None:
    text, _, _ = small
    out = tmp_path / "exports"
    build = subprocess.run(
        [sys.executable, "-m", "hikgraph", "build", str(text), "--out", str(out), "--strict"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert build.returncode == 0, build.stderr
    assert f"built {SIZE} entries" in build.stderr
    ntriples = (out / "hikgraph.nt").read_text(encoding="utf-8")
    assert len(ARTICLE_TYPE.findall(ntriples)) == SIZE


def test_classifier_recovers_the_intended_labels(small: tuple[Path, Path, str]) -> None:
    _, labels, _ = small
    report = evaluate(default_classifier(), labels)
    topics, countries = report.topics_micro, report.countries_micro
    print(
        f"synthetic labels, {report.headlines} headlines: topics micro F1 {topics.f1:.3f} "
        f"(P {topics.precision:.3f}, R {topics.recall:.3f}); countries micro F1 "
        f"{countries.f1:.3f}"
    )
    # Each phrase states its topic with a core term of the scheme and each country by
    # its plain name, so these floors hold with room for the rules to change.
    assert topics.f1 >= 0.9
    assert countries.f1 >= 0.95


def _synth(folder: Path, *args: str, hash_seed: str = "0") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    return subprocess.run(
        [sys.executable, "-m", "hikgraph", "synth", "--quiet", *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


def test_same_seed_same_bytes_in_any_process(tmp_path: Path) -> None:
    _synth(
        tmp_path, "--entries", "3000", "--seed", "11", "--labels", "a.csv", "a.txt", hash_seed="1"
    )
    _synth(
        tmp_path, "--entries", "3000", "--seed", "11", "--labels", "b.csv", "b.txt", hash_seed="2"
    )
    _synth(tmp_path, "--entries", "3000", "--seed", "12", "c.txt", hash_seed="1")
    assert (tmp_path / "a.txt").read_bytes() == (tmp_path / "b.txt").read_bytes()
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    assert (tmp_path / "a.txt").read_bytes() != (tmp_path / "c.txt").read_bytes()


def test_lines_are_generated_lazily() -> None:
    # A billion entries: only a generator that makes one line at a time can answer.
    lines = list(islice(synthesize(10**9, seed=1), 200))
    assert lines[4] == "May 2022"
    assert sum(": " in line for line in lines[5:]) > 100


def _peak_rss_kib(folder: Path, entries: int) -> int:
    process = subprocess.Popen(
        [sys.executable, "-m", "hikgraph", "synth", "--quiet", "--entries", str(entries), "x.txt"],
        cwd=folder,
    )
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    assert process.returncode == 0
    return usage.ru_maxrss


def test_memory_does_not_grow_with_the_size(tmp_path: Path) -> None:
    small, large = _peak_rss_kib(tmp_path, 3_000), _peak_rss_kib(tmp_path, 300_000)
    assert large < small + 8 * 1024, (small, large)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--entries", "-5", "{tmp}/x.txt"), "--entries must be at least 1, not -5"),
        (("--entries", "0", "{tmp}/x.txt"), "--entries must be at least 1, not 0"),
        (("--entries", "10", "{tmp}/missing/x.txt"), "cannot write {tmp}/missing/x.txt"),
        (("--entries", "10", "{tmp}"), "cannot write {tmp}: it is a folder"),
        (("--entries", "10", "{tmp}/x.txt", "--labels", "{tmp}/missing/l.csv"), "cannot write"),
        (("--entries", "10", "{tmp}/x.txt", "--labels", "{tmp}/x.txt"), "cannot both be written"),
    ],
)
def test_bad_options_exit_2_with_one_line(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    result = CliRunner().invoke(main, ["synth", *(a.format(tmp=folder) for a in args)])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("hikgraph: error: ")
    assert message.format(tmp=folder) in result.stderr
    assert list(folder.iterdir()) == []  # nothing written, no temporary file left


def test_library_refuses_an_empty_directory(tmp_path: Path) -> None:
    with pytest.raises(SynthError, match="at least 1"):
        write_synthetic(tmp_path / "x.txt", 0)
    assert list(tmp_path.iterdir()) == []
