"""Where hikgraph finds its reference data (ontology, registries) and default sources."""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent
_CHECKOUT_ROOT = _PACKAGE_DIR.parents[1]


def reference_root() -> Path:
    """Return the folder holding ``ontology/`` and ``data/``.

    In a source checkout (or an editable install) that is the repository root, so a
    reviewer's edit to a data file takes effect at once; a wheel carries a copy under
    ``hikgraph/_reference``.
    """
    if (_CHECKOUT_ROOT / "ontology" / "hikgraph.ttl").is_file():
        return _CHECKOUT_ROOT
    return _PACKAGE_DIR / "_reference"


def ontology_dir() -> Path:
    """Return the folder with hikgraph.ttl, topics.ttl, shapes.ttl and context.jsonld."""
    return reference_root() / "ontology"


def data_dir() -> Path:
    """Return the folder with the registries and the shipped directory sources."""
    return reference_root() / "data"


def is_checkout() -> bool:
    """Return True when running from a source checkout rather than an installed wheel."""
    return reference_root() == _CHECKOUT_ROOT


def default_sources() -> list[Path]:
    """Return the shipped directory texts, ``data/sources/*.txt``, sorted by name."""
    return sorted((data_dir() / "sources").glob("*.txt"))


def default_exports_dir() -> Path:
    """Return ``exports/`` of the checkout, or ``./exports`` for an installed wheel."""
    return _CHECKOUT_ROOT / "exports" if is_checkout() else Path.cwd() / "exports"


def queries_dir() -> Path:
    """Return the folder of named SPARQL queries, ``queries/*.rq``."""
    return reference_root() / "queries"


def cache_dir() -> Path:
    """Return the folder for rebuildable state such as the embedded query store.

    ``$HIKGRAPH_CACHE_DIR`` when set; in a source checkout ``.cache/hikgraph`` of the
    checkout (ignored by git); otherwise ``$XDG_CACHE_HOME/hikgraph`` (by default
    ``~/.cache/hikgraph``). Nothing in it is published; deleting it is always safe.
    """
    if os.environ.get("HIKGRAPH_CACHE_DIR"):
        return Path(os.environ["HIKGRAPH_CACHE_DIR"])
    if is_checkout():
        return _CHECKOUT_ROOT / ".cache" / "hikgraph"
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg) / "hikgraph"
