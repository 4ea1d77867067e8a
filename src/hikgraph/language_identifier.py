"""py3langid's language identifier, loaded from a ready copy in the cache folder.

py3langid ships its model compressed with LZMA: each load decompresses and indexes
68 MB (~0.6 s), in every process that classifies a headline, and in the build it
holds back the worker processes until it is done. The first load keeps the ready
identifier in the cache folder (:mod:`hikgraph.ready_copy`), named by the model file,
the languages it is narrowed to and the versions of Python, py3langid and NumPy; later
loads read it back (~0.1 s).
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Sequence
from importlib.metadata import version
from pathlib import Path
from typing import Any

from hikgraph.paths import cache_dir
from hikgraph.ready_copy import load_or_make

#: The cache folder's subfolder of ready identifiers.
FOLDER = "language-identifier"


def load_identifier(languages: Sequence[str], folder: Path | None = None) -> Any:
    """Return py3langid's identifier with normalised probabilities, narrowed to those of
    *languages* its model knows: read from the ready copy in *folder* (default: the
    cache folder's ``language-identifier``), or made from the model and kept there."""
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    model = Path(MODEL_FILE)
    if not model.is_absolute():
        model = MODEL_DIR / model

    def make() -> LanguageIdentifier:
        identifier = LanguageIdentifier.from_model_file(model, norm_probs=True)
        identifier.set_languages([code for code in languages if code in identifier.nb_classes])
        return identifier

    folder = folder if folder is not None else cache_dir() / FOLDER
    return load_or_make(folder, _digest(model, languages), LanguageIdentifier, make)


def _digest(model: Path, languages: Sequence[str]) -> str:
    digest = hashlib.sha256(model.read_bytes())
    digest.update("\0".join(languages).encode())
    python = ".".join(map(str, sys.version_info[:2]))
    for library in ("py3langid", "numpy"):
        python += f"\0{library}={version(library)}"
    digest.update(python.encode())
    return digest.hexdigest()[:32]
