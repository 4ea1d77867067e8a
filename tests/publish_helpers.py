"""Helpers for the static site's tests: reading pages as a browser's parser would,
expanding JSON-LD with jsonld.js, and running a static server."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest
from pyoxigraph import Quad, RdfFormat, Triple, parse

from conftest import ROOT, require_tool

JSONLD_BATCH = ROOT / "tests" / "js" / "jsonld-batch-to-nquads.mjs"
VNU_JAR = ROOT / "tests" / "js" / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
STARTUP_LIMIT = 60  # seconds; a guard against a hung server, not a timing assertion


@dataclass
class Page:
    """What a page holds: its links (tag, attribute, value), element ids, JSON-LD
    blocks, the elements it has and the text of its <title>."""

    links: list[tuple[str, str, str]] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)
    blocks: list[str] = field(default_factory=list)
    tags: list[tuple[str, dict[str, str | None]]] = field(default_factory=list)
    title: str = ""


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self._in: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.page.tags.append((tag, attributes))
        if attributes.get("id"):
            self.page.ids.add(str(attributes["id"]))
        for name in ("href", "src"):
            value = attributes.get(name)
            if value is not None:
                self.page.links.append((tag, name, value))
        if tag == "script" and attributes.get("type") == "application/ld+json":
            self._in, self._text = "block", []
        elif tag == "title":
            self._in, self._text = "title", []

    def handle_data(self, data: str) -> None:
        if self._in:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if self._in == "block" and tag == "script":
            self.page.blocks.append("".join(self._text))
            self._in = None
        elif self._in == "title" and tag == "title":
            self.page.title = "".join(self._text)
            self._in = None


def read_page(html: str) -> Page:
    """Return the links, ids, JSON-LD blocks and elements of *html*."""
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return reader.page


def jsonld_to_triples(items: list[dict[str, object]]) -> dict[str, set[Triple]]:
    """Expand each item (``{"name", "file"}`` or ``{"name", "document", "base"}``)
    with jsonld.js in safe mode; return name → triples. Fails on any error."""
    node = require_tool("node")
    if not (ROOT / "tests" / "js" / "node_modules" / "jsonld").is_dir():
        pytest.fail("jsonld.js is not installed: run `npm ci --prefix tests/js` (.ci/run does)")
    result = subprocess.run(
        [node, str(JSONLD_BATCH)],
        input=json.dumps(items).encode("utf-8"),
        capture_output=True,
        check=True,
    )
    out = json.loads(result.stdout)
    errors = {name: value for name, value in out.items() if not isinstance(value, str)}
    assert errors == {}
    return {name: nquads_triples(text) for name, text in out.items()}


def nquads_triples(text: str) -> set[Triple]:
    """Return the triples of N-Quads *text* (all in the default graph)."""
    quads = parse(text.encode("utf-8"), RdfFormat.N_QUADS)
    return {_triple(q) for q in quads}


def _triple(quad: Quad) -> Triple:
    return Triple(quad.subject, quad.predicate, quad.object)


def file_triples(path: Path, rdf_format: RdfFormat) -> set[Triple]:
    """Return the triples of the RDF file at *path*."""
    return {_triple(q) for q in parse(path=str(path), format=rdf_format)}


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    """Return once something listens on 127.0.0.1:*port*; fail if *process* ends
    or nothing listens within the startup limit."""
    deadline = time.monotonic() + STARTUP_LIMIT
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            text = log.read_text(errors="replace") if log.is_file() else ""
            pytest.fail(f"the server did not start: {text}")
        time.sleep(0.05)


@contextmanager
def static_server(folder: Path, log: Path) -> Iterator[str]:
    """Serve *folder* with ``python -m http.server`` on 127.0.0.1 (a free port);
    yield its base URL."""
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-u", "-m", "http.server", "--bind", "127.0.0.1", "0"],
            cwd=folder,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + STARTUP_LIMIT
        while not (match := re.search(r"port (\d+)", log.read_text())):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"http.server did not start: {log.read_text()}")
            time.sleep(0.05)
        yield f"http://127.0.0.1:{match[1]}/"
    finally:
        process.terminate()
        process.wait(timeout=30)
