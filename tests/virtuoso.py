"""A real OpenLink Virtuoso (Debian's virtuoso-opensource) for tests: its own database
in a temporary folder, listening on 127.0.0.1 only, stopped at the end.

A fresh database has the user dba with password dba, who may write through the
Digest-protected Graph Store endpoint /sparql-graph-crud-auth without any grant.
"""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

USER = "dba"
PASSWORD = "dba"
STARTUP_LIMIT = 120  # seconds; a guard against a hung server, not a timing assertion


@dataclass(frozen=True)
class Virtuoso:
    """A running server's addresses."""

    http_port: int
    folder: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def sparql(self) -> str:
        """The public query endpoint."""
        return f"{self.base}/sparql"

    @property
    def graph_store(self) -> str:
        """The Graph Store HTTP Protocol endpoint that takes writes (Digest auth)."""
        return f"{self.base}/sparql-graph-crud-auth"

    def log(self) -> str:
        """Return the server's own log."""
        path = self.folder / "virtuoso.log"
        return path.read_text(errors="replace") if path.exists() else ""


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _ini(folder: Path, sql_port: int, http_port: int) -> str:
    return f"""\
[Database]
DatabaseFile = {folder}/virtuoso.db
ErrorLogFile = {folder}/virtuoso.log
LockFile = {folder}/virtuoso.lck
TransactionFile = {folder}/virtuoso.trx
xa_persistent_file = {folder}/virtuoso.pxa
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {folder}/virtuoso-temp.db
TransactionFile = {folder}/virtuoso-temp.trx

[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
DirsAllowed = ., {folder}
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {folder}
ServerThreads = 4

[SPARQL]
; Debian's sample ini caps results at 10,000 rows; the tests compare whole results.
ResultSetMaxRows = 1000000
MaxQueryExecutionTime = 60
"""


def count(server: Virtuoso, graph: str) -> int:
    """Return the triples in *graph*, asked with a plain GET (not hikgraph's code)."""
    query = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
    url = f"{server.sparql}?{urllib.parse.urlencode({'query': query})}"
    request = urllib.request.Request(url, headers={"Accept": "text/csv"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return int(response.read().decode().split()[-1])


@contextmanager
def running(virtuoso_t: str, folder: Path) -> Iterator[Virtuoso]:
    """Start ``virtuoso-t`` with a database in *folder*; yield it once /sparql answers;
    stop it at the end."""
    folder.mkdir(parents=True, exist_ok=True)
    http_port = free_port()
    ini = folder / "virtuoso.ini"
    ini.write_text(_ini(folder, free_port(), http_port), encoding="utf-8")
    output = (folder / "stdout.log").open("wb")
    process = subprocess.Popen(
        [virtuoso_t, "+foreground", "+configfile", str(ini)],
        cwd=folder,
        stdout=output,
        stderr=subprocess.STDOUT,
    )
    server = Virtuoso(http_port, folder)
    try:
        deadline = time.monotonic() + STARTUP_LIMIT
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"virtuoso-t exited {process.returncode}: {server.log()}")
            try:
                urllib.request.urlopen(f"{server.sparql}?query=ASK%7B%7D", timeout=2).close()
                break
            except (urllib.error.URLError, OSError):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"Virtuoso did not answer: {server.log()}") from None
                time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        output.close()
