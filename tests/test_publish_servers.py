"""Content negotiation as written: the site's rules run in real Apache and nginx.

Each server starts from a fixture with its own configuration in a temporary folder
(port chosen free on 127.0.0.1, pid and logs beside it), serving the site under
``/hikgraph/`` so the rules are shown to work below the root of a host. Every
resource path is requested with each Accept header of a table; the answer must be
the 303 that :func:`hikgraph.publish_rules.negotiate` predicts, and the document it
points to must come back in that format. The w3id.org rules run in Apache too.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from pyoxigraph import RdfFormat, parse

from hikgraph.publish import publish
from hikgraph.publish_rules import ACCEPTED, NEGOTIATED, accept_regex, negotiate
from publish_helpers import free_port, wait_for_port

from conftest import require_tool

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8"
RDFLIB = (
    "application/rdf+xml, text/n3, text/turtle, application/n-triples, application/ld+json, "
    "application/n-quads, text/html;q=0.5"
)
# (Accept header or None, the format the rules must choose)
ACCEPTS = [
    (BROWSER, "html"),
    (None, "html"),
    ("*/*", "html"),
    ("text/turtle", "ttl"),
    ("TEXT/Turtle; charset=utf-8", "ttl"),
    ("application/x-turtle", "ttl"),
    ("application/ld+json", "jsonld"),
    ('application/ld+json;profile="http://www.w3.org/ns/json-ld#compacted"', "jsonld"),
    ("application/json", "jsonld"),
    ("application/n-triples", "nt"),
    ("text/plain", "nt"),
    (RDFLIB, "ttl"),  # rdflib's Accept: the first type offered that it names
    ("application/ld+json, text/turtle;q=0.5", "jsonld"),
    ("text/turtle;q=0.5, application/ld+json", "ttl"),  # order wins, not q (documented)
    ("application/rdf+xml", "html"),  # not offered: the page
    ("image/png", "html"),
]
CONTENT_TYPES = {
    "html": "text/html",
    "ttl": "text/turtle",
    "jsonld": "application/ld+json",
    "nt": "application/n-triples",
}
RDF_FORMATS = {"ttl": RdfFormat.TURTLE, "nt": RdfFormat.N_TRIPLES}
PATHS = [
    "id/outlet/reuters",
    "id/article/2016-09-the-times-communist-state-funded-cctv-company-has-eyes-across-the-b21c51",
    "id/country/GB",
    "id/topic/sanctions",
    "id/directory/hikvision-global-news-reports-directory",
    "dataset",
    "ontology",
    "ontology/topics",
    "ontology/shapes",
    "shapes",
]


def expected_target(path: str, fmt: str) -> str:
    """Where the rules send *path* for *fmt*, from the table they are written from."""
    for rule in NEGOTIATED:
        match = re.fullmatch(rule.pattern, path)
        if match:
            template = rule.html if fmt == "html" else rule.rdf[fmt]
            return template.replace("$1", match[1])
    raise AssertionError(path)


@pytest.mark.parametrize(("accept", "fmt"), ACCEPTS)
def test_negotiate_and_the_regular_expressions_agree(accept: str | None, fmt: str) -> None:
    """The rule in words (:func:`negotiate`) and the expressions the servers run
    choose the same format for every header of the table."""
    assert negotiate(accept) == fmt
    matched = [
        name
        for name in ("ttl", "jsonld", "nt")
        if re.search(accept_regex(name), accept or "", re.IGNORECASE)
    ]
    assert matched == ([] if fmt == "html" else [fmt])
    for name in ACCEPTED:
        assert not re.search(r"[\s\"'\\]", accept_regex(name))  # safe unquoted in configs


def server_tool(name: str) -> str:
    """Return the path of the server program *name*, looking in /usr/sbin too (not
    on every user's PATH); fail (never skip) when missing: .ci/run installs it."""
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/local/sbin")
    return found or require_tool(name)


def readable_folder(prefix: str) -> Path:
    """A temporary folder that a server dropping root privileges can still read."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    folder.chmod(0o755)
    return folder


@pytest.fixture(scope="module")
def docroot(built: Path) -> Iterator[tuple[Path, int, int]]:
    """A document root holding the site at /hikgraph/, published for the Apache
    port (absolute links) — and the ports Apache and nginx will listen on."""
    root = readable_folder("hikgraph-docroot-")
    apache_port, nginx_port = free_port(), free_port()
    publish(built, root / "hikgraph", f"http://127.0.0.1:{apache_port}/hikgraph/")
    for path in root.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    yield root, apache_port, nginx_port
    shutil.rmtree(root, ignore_errors=True)


APACHE_MODULES = ("mpm_event", "authz_core", "mime", "rewrite", "dir", "headers")


@pytest.fixture(scope="module")
def apache(docroot: tuple[Path, int, int]) -> Iterator[int]:
    """Apache 2.4 serving the document root, with .htaccess files allowed."""
    binary = server_tool("apache2")
    root, port, _ = docroot
    state = readable_folder("hikgraph-apache-")
    modules = Path("/usr/lib/apache2/modules")
    loads = "\n".join(
        f"LoadModule {name}_module {modules / f'mod_{name}.so'}" for name in APACHE_MODULES
    )
    mime_types = "/etc/mime.types" if Path("/etc/mime.types").is_file() else "/dev/null"
    (state / "httpd.conf").write_text(
        f"""
ServerRoot "{state}"
ServerName 127.0.0.1
Listen 127.0.0.1:{port}
PidFile "{state}/httpd.pid"
ErrorLog "{state}/error.log"
LogLevel warn
{loads}
TypesConfig {mime_types}
DocumentRoot "{root}"
DirectoryIndex index.html
<Directory />
    AllowOverride None
    Require all denied
</Directory>
<Directory "{root}">
    AllowOverride All
    Require all granted
</Directory>
""",
        encoding="utf-8",
    )
    process = subprocess.Popen(
        [binary, "-f", str(state / "httpd.conf"), "-DFOREGROUND"],
        stdout=subprocess.DEVNULL,
        stderr=(state / "stderr.log").open("w"),
    )
    try:
        wait_for_port(port, process, state / "error.log")
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)
        shutil.rmtree(state, ignore_errors=True)


@pytest.fixture(scope="module")
def nginx(docroot: tuple[Path, int, int]) -> Iterator[int]:
    """nginx serving the document root with the site's nginx.conf included."""
    binary = server_tool("nginx")
    root, _, port = docroot
    state = readable_folder("hikgraph-nginx-")
    temp_paths = "\n".join(
        f"    {name}_temp_path {state / name};"
        for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        if name == "client_body" or f"--without-http_{name}_module" not in _nginx_build(binary)
    )
    user = "user root;" if os.geteuid() == 0 else ""
    (state / "nginx.conf").write_text(
        f"""
{user}
worker_processes 1;
pid {state / "nginx.pid"};
error_log {state / "error.log"} warn;
daemon off;
events {{ worker_connections 64; }}
http {{
    access_log off;
{temp_paths}
    types {{ text/html html; image/svg+xml svg; image/png png; application/json json;
             text/plain txt; application/xml xml; }}
    server {{
        listen 127.0.0.1:{port};
        root {root};
        include {root / "hikgraph" / "nginx.conf"};
    }}
}}
""",
        encoding="utf-8",
    )
    process = subprocess.Popen(
        [binary, "-p", str(state), "-c", str(state / "nginx.conf")],
        stdout=subprocess.DEVNULL,
        stderr=(state / "stderr.log").open("w"),
    )
    try:
        wait_for_port(port, process, state / "stderr.log")
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)
        shutil.rmtree(state, ignore_errors=True)


def _nginx_build(binary: str) -> str:
    return subprocess.run([binary, "-V"], capture_output=True, text=True).stderr


def request(port: int, path: str, accept: str | None) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Accept": accept} if accept is not None else {}
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    response.read()
    return response


def fetch(url: str, accept: str | None) -> tuple[int, str, bytes]:
    """GET *url* (an http://127.0.0.1 URL) and return status, type and body."""
    match = re.fullmatch(r"http://127\.0\.0\.1:(\d+)(/.*)", url)
    assert match, url
    connection = http.client.HTTPConnection("127.0.0.1", int(match[1]), timeout=30)
    connection.request("GET", match[2], headers={"Accept": accept} if accept else {})
    response = connection.getresponse()
    return response.status, response.getheader("Content-Type", ""), response.read()


def check_negotiation(port: int, served_at: str) -> None:
    """Request every path with every Accept header; check each 303 and the file."""
    base = f"http://127.0.0.1:{port}{served_at}"
    for path in PATHS:
        for accept, fmt in ACCEPTS:
            response = request(port, served_at + path, accept)
            assert response.status == 303, (path, accept, response.status)
            location = response.getheader("Location", "")
            if location.startswith("/"):
                location = f"http://127.0.0.1:{port}{location}"
            assert location == base + expected_target(path, fmt), (path, accept)
            assert "accept" in response.getheader("Vary", "").lower(), (path, accept)
            status, content_type, body = fetch(location, accept)
            assert status == 200, (location, status)
            assert content_type.split(";")[0] == CONTENT_TYPES[fmt], (location, content_type)
            if fmt in RDF_FORMATS:
                assert list(parse(body, RDF_FORMATS[fmt], base_iri=location)), location
            elif fmt == "jsonld":  # expanded by jsonld.js in test_publish.py
                assert "@graph" in json.loads(body), location
            else:
                assert body.startswith(b"<!DOCTYPE html>"), location
        # With the trailing slash, the folder's page is served as is; RDF still redirects.
        if expected_target(path, "html") == path + "/":
            response = request(port, served_at + path + "/", BROWSER)
            assert response.status == 200, path
            assert response.getheader("Content-Type", "").startswith("text/html"), path
            assert "accept" in response.getheader("Vary", "").lower(), path
            response = request(port, served_at + path + "/", "text/turtle")
            assert response.status == 303, path


def test_apache_negotiates_with_the_sites_htaccess(apache: int) -> None:
    check_negotiation(apache, "/hikgraph/")


def test_nginx_negotiates_with_the_sites_snippet(nginx: int) -> None:
    check_negotiation(nginx, "/hikgraph/")


def test_apache_serves_rdf_with_its_media_type(apache: int) -> None:
    for name, media_type in (
        ("hikgraph.ttl", "text/turtle"),
        ("hikgraph.nt", "application/n-triples"),
        ("hikgraph.jsonld", "application/ld+json"),
    ):
        status, content_type, _ = fetch(f"http://127.0.0.1:{apache}/hikgraph/{name}", None)
        assert (status, content_type.split(";")[0]) == (200, media_type)


def test_the_w3id_rules_send_each_iri_to_the_site(apache: int) -> None:
    """The .htaccess written for w3id.org, run in Apache at /hikgraph/w3id.org/hikgraph/
    as w3id.org would run it at /hikgraph/: each IRI goes to its document on the site
    in the format asked for, and everything else to the same path on the site."""
    w3id = "/hikgraph/w3id.org/hikgraph/"
    site = f"http://127.0.0.1:{apache}/hikgraph/"
    for path in PATHS:
        for accept, fmt in ACCEPTS:
            response = request(apache, w3id + path, accept)
            assert response.status == 303, (path, accept)
            location = response.getheader("Location")
            assert location == site + expected_target(path, fmt), (path, accept)
            assert fetch(location, accept)[0] == 200
    for path, status in (("", 302), ("hikgraph.ttl", 302), ("ontology/hikgraph.ttl", 302)):
        response = request(apache, w3id + path, "text/turtle")
        assert (response.status, response.getheader("Location")) == (status, site + path)
