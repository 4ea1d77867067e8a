"""Ready copies of objects that are slow to make from their files, kept in the cache
folder (:func:`hikgraph.paths.cache_dir`): the language identifier and the classifier.

A copy is named by a digest of everything the object is made from (its files, the code
that makes it, the versions of the libraries it uses), so a change to any of them makes
a new copy; the copies of other names in its folder are then removed. A copy that
cannot be read is made again, and a folder that cannot be written to only means that
the object is made again next time.

A copy is a pickle, which can run code when read: it is read back only when it is the
user's own file and nobody else may write to it (as ssh treats its keys), so a cache
folder shared with others (``HIKGRAPH_CACHE_DIR=/tmp/...``) cannot hand this process
someone else's pickle; a copy that fails the check is made again.
"""

from __future__ import annotations

import os
import pickle
import stat
import tempfile
import time
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


def load_or_make(folder: Path, name: str, kind: type[T], make: Callable[[], T]) -> T:
    """Return the *kind* kept as *name* in *folder*, or ``make()`` it and keep it there.

    Raises what *make* raises; nothing is kept then.
    """
    copy = folder / f"{name}.pickle"
    kept = _read(copy)
    if isinstance(kept, kind):
        return kept
    made = make()
    _keep(copy, made)
    return made


def _read(copy: Path) -> object:
    try:
        with copy.open("rb") as handle:
            if not trusted(os.fstat(handle.fileno())):
                return None
            return pickle.load(handle)
    except FileNotFoundError:
        return None
    # Unpickling a damaged or foreign file can raise almost anything: made again.
    except Exception:
        return None


def _keep(copy: Path, value: object) -> None:
    """Write *value* to *copy* whole or not at all, and remove the copies of other
    names beside it; a folder that cannot be written to is left as it is."""
    try:
        copy.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(
            dir=copy.parent, prefix=".writing-", suffix=".pickle", delete=False
        ) as handle:
            written = Path(handle.name)
            try:
                pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
            except BaseException:
                handle.close()
                written.unlink(missing_ok=True)
                raise
        os.replace(written, copy)
        for other in copy.parent.glob("*.pickle"):
            if other != copy and not _being_written(other):
                with suppress(OSError):
                    other.unlink()
    except OSError:
        pass


def trusted(status: os.stat_result) -> bool:
    """Return whether a file with *status* may be unpickled: this user's own (where
    files have owners), and writable by nobody else."""
    if hasattr(os, "getuid") and status.st_uid != os.getuid():
        return False
    return not status.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


#: A partly written copy this old was left by a process that died writing it.
ABANDONED_SECONDS = 3600


def _being_written(path: Path) -> bool:
    # Another process may be writing a copy of its own beside this one right now.
    if not path.name.startswith(".writing-"):
        return False
    try:
        return time.time() - path.stat().st_mtime < ABANDONED_SECONDS
    except OSError:
        return True  # gone already
