"""The docs say what the code does: the CLI reference and the README's commands."""

from __future__ import annotations

import re
import subprocess
import sys

from conftest import ROOT


def test_cli_reference_is_current() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "cli_reference.py"), "--check"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr


def test_cli_reference_help_and_bad_options_write_nothing() -> None:
    target = ROOT / "docs" / "cli.md"
    before = target.stat().st_mtime_ns, target.read_bytes()
    tool = [sys.executable, str(ROOT / "tools" / "cli_reference.py")]
    shown = subprocess.run([*tool, "--help"], capture_output=True, text=True, cwd=ROOT)
    assert shown.returncode == 0 and "--check" in shown.stdout
    wrong = subprocess.run([*tool, "--chek"], capture_output=True, text=True, cwd=ROOT)
    assert wrong.returncode == 2 and "unrecognized arguments: --chek" in wrong.stderr
    assert (target.stat().st_mtime_ns, target.read_bytes()) == before


def test_readme_opens_with_the_two_fresh_machine_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first_block = re.search(r"```(?:sh|bash|console)?\n(.*?)```", readme, re.S)
    assert first_block is not None
    commands = [line for line in first_block[1].splitlines() if line and not line.startswith("#")]
    assert len(commands) == 2
    assert "hikgraph build" in commands[0]
    assert commands[1].strip() == "bash .ci/run"
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "pytest" in ci


def test_readme_stats_output_is_real() -> None:
    """The `hikgraph stats` output quoted in the README is what the command prints."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quoted = re.search(r"\$ hikgraph stats\n(.*?)```", readme, re.S)
    assert quoted is not None
    result = subprocess.run(
        [sys.executable, "-m", "hikgraph", "stats"], capture_output=True, text=True, cwd=ROOT
    )
    assert result.returncode == 0
    assert quoted[1].strip() == result.stdout.strip()
