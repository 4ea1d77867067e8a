"""benchmarks/scale.py runs end to end on a tiny size and writes its Markdown report.

Only the shape of the report is checked (stages, numbers, the baseline beside), never
a timing: timings belong in docs/benchmarks.md, not in assertions.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCALE = ROOT / "benchmarks" / "scale.py"
NUMBER = r"[0-9][0-9,]*(?:\.[0-9]+)?"


def _scale(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], str]:
    out = tmp_path / "benchmarks.md"
    run = subprocess.run(
        [
            *(sys.executable, str(SCALE), "--sizes", "200", "--runs", "1", "--out", str(out)),
            *("--cache", str(tmp_path / "cache"), *args),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr
    return run, out.read_text(encoding="utf-8")


def _rows(document: str, first_cell: str) -> list[list[str]]:
    rows = []
    for line in document.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells[0] == first_cell:
            rows.append(cells)
    assert rows, f"no table row {first_cell!r} in:\n{document}"
    return rows


def _row(document: str, first_cell: str) -> list[str]:
    return _rows(document, first_cell)[0]


@pytest.mark.parametrize("mode", ["auto", "library"])
def test_tiny_run_writes_a_table_of_stages(tmp_path: Path, mode: str) -> None:
    run, document = _scale(tmp_path, "--baseline-sizes", "200", "--mode", mode)
    assert document in run.stdout  # the same tables are printed
    assert "## Machine" in document and "| CPU |" in document and "| RAM |" in document
    assert re.search(r"pyoxigraph [0-9.]+, rdflib [0-9.]+", document)
    # Per stage: wall median, min–max, triples/s and (where the build reports it) RSS.
    for stage in ("parse", "**stages total**", "**process** (imports, build, exit)"):
        cells = _row(document, stage)
        assert re.fullmatch(NUMBER, cells[1]), cells
        assert re.fullmatch(f"{NUMBER}–{NUMBER}", cells[2]), cells
        assert re.fullmatch(NUMBER, cells[3]), cells
    assert re.fullmatch(NUMBER, _row(document, "**process** (imports, build, exit)")[4])
    # The summary row: the build and, beside it, the baseline, all numbers.
    summary = _row(document, "200")
    assert len(summary) == 9 and all(re.fullmatch(NUMBER, cell) for cell in summary), summary
    assert int(summary[1].replace(",", "")) > 200  # triples of 200 entries
    # The baseline's own table: triples, then seconds per stage and for the process.
    assert (
        "| entries | triples | parse (s) | graph (s) | turtle (s) | n-triples (s) | json-ld (s)"
        in document
    )
    baseline = _rows(document, "200")[1]
    assert len(baseline) == 8 and all(re.fullmatch(NUMBER, cell) for cell in baseline), baseline


def test_sizes_left_out_of_the_baseline_say_so(tmp_path: Path) -> None:
    _, document = _scale(tmp_path, "--no-baseline")
    summary = _row(document, "200")
    assert summary[5] == "--no-baseline"
    assert "Not run or stopped: 200: --no-baseline." in document


def test_bad_size_is_a_usage_error(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, str(SCALE), "--sizes", "ten", "--out", str(tmp_path / "x.md")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 2
    assert "not a size: 'ten'" in run.stderr
    assert not (tmp_path / "x.md").exists()


def test_no_store_runs_say_so_and_have_no_store_stage(tmp_path: Path) -> None:
    _, document = _scale(tmp_path, "--no-baseline", "--no-store")
    assert "--runs 1 --no-store`" in document
    assert "ran with `hikgraph build --no-store`" in document
    assert not any(line.startswith(("| store |", "| network |")) for line in document.splitlines())
    assert re.fullmatch(NUMBER, _row(document, "**process** (imports, build, exit)")[1])


def test_no_store_needs_the_cli_mode(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, str(SCALE), "--sizes", "200", "--mode", "library", "--no-store"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 2 and "--no-store needs the cli mode" in run.stderr
