"""Readable, stable ASCII slugs for resource IRIs and alias keys."""

from __future__ import annotations

import re
import unicodedata

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_ANNOTATION = re.compile(r"\s*\[[^\]]*\]\s*$")
_LEADING_THE = re.compile(r"^the\s+")
_SLUG_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")
# Every other ASCII character becomes a space, so str.split() finds the runs
# _NON_ALNUM would replace: half the time of the regex on ASCII text.
_ASCII_TO_SPACE = str.maketrans({chr(c): " " for c in range(128) if chr(c) not in _SLUG_CHARS})


def ascii_fold(text: str) -> str:
    """Return *text* casefolded with accents removed (``Aktuálně`` → ``aktualne``)."""
    if text.isascii():  # most headlines: nothing to decompose (and 10× faster)
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def slugify(text: str, max_length: int = 80) -> str:
    """Return a lowercase kebab-case ASCII slug of *text*, cut at a word boundary.

    Raises ValueError when *text* has no letters or digits to make a slug from.
    """
    folded = ascii_fold(text)
    if folded.isascii():
        slug = "-".join(folded.translate(_ASCII_TO_SPACE).split())
    else:  # what is left of non-Latin script is no slug character either
        slug = _NON_ALNUM.sub("-", folded).strip("-")
    if not slug:
        raise ValueError(f"cannot make a slug from {text!r}: no letters or digits")
    return cut_slug(slug, max_length)


def cut_slug(slug: str, max_length: int) -> str:
    """Return *slug* cut to at most *max_length* characters at a word boundary."""
    if len(slug) > max_length:
        slug = slug[:max_length].rsplit("-", 1)[0] or slug[:max_length]
    return slug


def name_key(name: str) -> str:
    """Return the key two spellings of one name share.

    Casefolded, accents removed, a trailing ``[annotation]`` and a leading "The"
    dropped, punctuation and spaces removed: "The Telegraph" and "telegraph" share a
    key, "Aktualne [Czech]" and "Aktuálně" too; "Wired" and "Wired Italia" do not.
    """
    folded = ascii_fold(_ANNOTATION.sub("", name)).strip()
    folded = _LEADING_THE.sub("", folded)
    return _NON_ALNUM.sub("", folded)
