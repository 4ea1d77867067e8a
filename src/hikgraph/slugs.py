"""Readable, stable ASCII slugs for resource IRIs and alias keys."""

from __future__ import annotations

import hashlib
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

    Text in another script only (no Latin letter or digit) gets "u" and twelve hex
    digits of its SHA-256. Raises ValueError when *text* has no letters or digits.
    """
    folded = ascii_fold(text)
    if folded.isascii():
        slug = "-".join(folded.translate(_ASCII_TO_SPACE).split())
    else:  # what is left of non-Latin script is no slug character either
        slug = _NON_ALNUM.sub("-", folded).strip("-")
    if not slug:
        if any(char.isalnum() for char in text):  # letters of another script: "中文媒体"
            return "u" + hashlib.sha256(text.strip().encode("utf-8")).hexdigest()[:12]
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
    key = _NON_ALNUM.sub("", folded)
    if not key:  # no Latin letters or digits ("财新"): keep the letters of its own script
        key = "".join(char for char in folded if char.isalnum())
    return key
