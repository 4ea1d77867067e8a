"""Shared fixtures, and a guard that fails any test opening a non-loopback socket."""

from __future__ import annotations

import atexit
import ipaddress
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "data" / "sources" / "ipvm-hikvision-news-directory-2022-05-13.txt"
EXPORTS = ROOT / "exports"
# The classifier's shipped files, which the classifier, model and evaluation tests load.
TOPICS = ROOT / "ontology" / "topics.ttl"
TERMS = ROOT / "data" / "country-terms.csv"
WORDS = ROOT / "data" / "language-words.csv"
MODEL = ROOT / "data" / "topic-model.json"
LABELS = ROOT / "data" / "labels"

# Builds made by tests would each leave an embedded query store in the checkout's
# cache folder (.cache/hikgraph); give the session its own, removed at exit.
if "HIKGRAPH_CACHE_DIR" not in os.environ:
    os.environ["HIKGRAPH_CACHE_DIR"] = tempfile.mkdtemp(prefix="hikgraph-test-cache-")
    atexit.register(shutil.rmtree, os.environ["HIKGRAPH_CACHE_DIR"], ignore_errors=True)


def _is_loopback(address: object) -> bool:
    if isinstance(address, tuple) and address:
        host = address[0]
    else:
        return True  # Unix sockets and the like never leave the machine.
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _no_network(event: str, args: tuple[object, ...]) -> None:
    if event == "socket.connect" and not _is_loopback(args[1]):
        raise RuntimeError(f"test tried to open a network connection to {args[1]!r}")
    if (
        event == "socket.getaddrinfo"
        and args
        and args[0] not in (None, "localhost", "127.0.0.1", "::1")
    ):
        raise RuntimeError(f"test tried to resolve the host name {args[0]!r}")


sys.addaudithook(_no_network)


@pytest.fixture(scope="session")
def source() -> Path:
    """The shipped directory text."""
    return SOURCE


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh build of the shipped source into a temporary folder."""
    from hikgraph.build import build

    out = tmp_path_factory.mktemp("exports")
    build([SOURCE], out)
    return out


def require_tool(name: str) -> str:
    """Return the path of command-line tool *name*; fail (never skip) when missing,
    since .ci/run installs every tool the tests use."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed; .ci/run installs it (see README)")
    return path


# Untrusted text for the network page's safety tests: an outlet and headlines that
# try to inject markup and script, and the word "href", which makes pyvis 0.3.2
# switch every tooltip to innerHTML. Each payload would set window.__pwned or the
# document title if it ever ran.
HOSTILE_TITLE = 'Hikvision </script><script>window.__pwned="heading"</script><b>href</b> Directory'
HOSTILE_OUTLET = "<img src=x onerror=window.__pwned=1> href"
HOSTILE_HEADLINE = (
    "</script><script>window.__pwned=2</script> "
    "<img src=x onerror=\"document.title='pwned'\"> Hikvision sanctions href"
)
HOSTILE_OUTLET_2 = "</script><script>window.__pwned=3</script>"
HOSTILE_HEADLINE_2 = 'Hikvision cameras banned <a href="javascript:window.__pwned=4">click</a>'


@pytest.fixture(scope="session")
def hostile_built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A build of the shipped source with hostile names and headlines swapped in."""
    from hikgraph.build import build

    folder = tmp_path_factory.mktemp("hostile")
    lines = SOURCE.read_text(encoding="utf-8").split("\n")
    lines[0] = HOSTILE_TITLE
    text = (
        "\n".join(lines)
        .replace(
            "The Wire China: The Hikvision Tipping Point?",
            f"{HOSTILE_OUTLET}: {HOSTILE_HEADLINE}",
        )
        .replace(
            "Bloomberg: Blacklisted Chinese Tech Found Inside Top Secret UK Lab",
            f"{HOSTILE_OUTLET_2}: {HOSTILE_HEADLINE_2}",
        )
    )
    source = folder / "hostile.txt"
    source.write_text(text, encoding="utf-8")
    build([source], folder / "exports")
    return folder / "exports"


SPARQL_PREFIXES = """
PREFIX schema: <http://schema.org/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
"""


def sparql(folder: Path, query: str) -> list[tuple[str, ...]]:
    """Answer *query* on the N-Triples export in *folder*, with pyoxigraph directly
    (not through hikgraph's own code), values as strings ("" when unbound)."""
    from pyoxigraph import QuerySolutions, RdfFormat, Store

    store = Store()
    store.bulk_load(path=str(folder / "hikgraph.nt"), format=RdfFormat.N_TRIPLES)
    solutions = store.query(SPARQL_PREFIXES + query)
    assert isinstance(solutions, QuerySolutions)
    return [tuple(term.value if term else "" for term in row) for row in solutions]
