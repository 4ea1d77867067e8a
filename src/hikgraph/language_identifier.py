"""py3langid's language identifier, loaded from a ready copy in the cache folder.

py3langid ships its model compressed with LZMA: each load decompresses and indexes
68 MB (~0.6 s), in every process that classifies a headline, and in the build it
holds back the worker processes until it is done. The first load keeps the ready
identifier in the cache folder (:func:`hikgraph.paths.cache_dir`), under a name made
from the model file, the languages it is narrowed to and the versions of Python,
py3langid and NumPy; later loads read it back (~0.1 s). A copy that cannot be read is
made again, copies of other names are removed, and a cache folder that cannot be
written to only means that the next load decompresses again.

The copy is a pickle, read back only from the user's own cache folder, as Python reads
its compiled modules from ``__pycache__``.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import tempfile
from collections.abc import Sequence
from contextlib import suppress
from importlib.metadata import version
from pathlib import Path
from typing import Any

from hikgraph.paths import cache_dir

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
    folder = folder if folder is not None else cache_dir() / FOLDER
    copy = folder / f"{_digest(model, languages)}.pickle"
    identifier = _read(copy)
    if not isinstance(identifier, LanguageIdentifier):
        identifier = LanguageIdentifier.from_model_file(model, norm_probs=True)
        identifier.set_languages([code for code in languages if code in identifier.nb_classes])
        _keep(copy, identifier)
    return identifier


def _digest(model: Path, languages: Sequence[str]) -> str:
    digest = hashlib.sha256(model.read_bytes())
    digest.update("\0".join(languages).encode())
    python = ".".join(map(str, sys.version_info[:2]))
    for library in ("py3langid", "numpy"):
        python += f"\0{library}={version(library)}"
    digest.update(python.encode())
    return digest.hexdigest()[:32]


def _read(copy: Path) -> object:
    try:
        with copy.open("rb") as handle:
            return pickle.load(handle)
    except FileNotFoundError:
        return None
    # Unpickling a damaged or foreign file can raise almost anything: made again.
    except Exception:
        return None


def _keep(copy: Path, identifier: object) -> None:
    """Write *identifier* to *copy* whole or not at all, and remove the copies of other
    names beside it; a folder that cannot be written to is left as it is."""
    try:
        copy.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(
            dir=copy.parent, prefix=".writing-", suffix=".pickle", delete=False
        ) as handle:
            written = Path(handle.name)
            try:
                pickle.dump(identifier, handle, protocol=pickle.HIGHEST_PROTOCOL)
            except BaseException:
                handle.close()
                written.unlink(missing_ok=True)
                raise
        os.replace(written, copy)
        for other in copy.parent.glob("*.pickle"):
            if other != copy and not other.name.startswith(".writing-"):
                with suppress(OSError):
                    other.unlink()
    except OSError:
        pass
