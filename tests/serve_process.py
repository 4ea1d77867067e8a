"""`hikgraph serve` as a real process on 127.0.0.1, for the tests that talk to it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from conftest import ROOT

STARTUP_LIMIT = 120  # seconds; a guard against a hung server, not a timing assertion


def _ctrl_c_as_at_a_terminal() -> None:
    """In the child before exec: SIGINT back to its default action. A shell starts a
    background job (`bash .ci/run &`, nohup) with SIGINT ignored, every process under it
    inherits that, and Python then keeps ignoring it, so the server would never see the
    test's "Ctrl-C" (CI on 0d9b555 failed so: killed after 30 s)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@contextmanager
def hikgraph_serve(options: list[str], log: Path) -> Iterator[str]:
    """Run ``hikgraph serve --port 0 OPTIONS`` with its stderr in *log*; yield its base
    URL (no trailing slash) once it says it is serving. On leaving, stop it with SIGINT
    (as Ctrl-C would) and check that it exited cleanly. Fails the test if it does not
    start within the startup limit or exits first."""
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "hikgraph", "serve", "--port", "0", *options],
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            cwd=ROOT,
            env=dict(os.environ),
            preexec_fn=_ctrl_c_as_at_a_terminal,
        )
    try:
        deadline = time.monotonic() + STARTUP_LIMIT
        while "serving http://" not in log.read_text():
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"hikgraph serve did not start: {log.read_text()}")
            time.sleep(0.1)
        yield log.read_text().split("serving ", 1)[1].split()[0].rstrip("/")
    finally:
        process.send_signal(signal.SIGINT)
        hung = False
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            hung = True
            process.kill()
            process.wait()
    # Say how it ended, not only the server's log.
    ending = "killed: no exit within 30 s of SIGINT" if hung else "exited"
    assert process.returncode == 0, f"{ending}, status {process.returncode}: {log.read_text()}"
