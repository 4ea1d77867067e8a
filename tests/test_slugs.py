"""Slugs: the ASCII fast path folds exactly as the Unicode path does."""

from __future__ import annotations

import unicodedata

import pytest

from hikgraph.slugs import ascii_fold, cut_slug, slugify


def _folded_the_long_way(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def test_ascii_text_folds_as_unicode_text_would() -> None:
    every_ascii = "".join(map(chr, range(128)))
    assert ascii_fold(every_ascii) == _folded_the_long_way(every_ascii)
    headline = "China's Hikvision Embroiled In New Row With Britain's CCTV Watchdog"
    assert ascii_fold(headline) == _folded_the_long_way(headline)


def test_accented_and_non_latin_text_still_folds() -> None:
    assert ascii_fold("Aktuálně") == "aktualne"
    assert ascii_fold("STRAßE") == "strasse"
    assert (
        slugify("Le Monde: caméras chinoises à l'Élysée") == "le-monde-cameras-chinoises-a-l-elysee"
    )


def test_cut_slug_cuts_at_a_word_boundary() -> None:
    slug = "hikvision-sanctions-signal-uncharted-waters"
    assert cut_slug(slug, 100) == slug
    assert cut_slug(slug, 25) == "hikvision-sanctions"
    assert cut_slug("abcdefghij", 4) == "abcd"


def test_text_in_another_script_gets_a_digest_slug() -> None:
    slug = slugify("海康威视被列入实体清单")
    assert len(slug) == 13 and slug[0] == "u" and int(slug[1:], 16) >= 0
    assert slugify("海康威视被列入实体清单") == slug
    assert slugify("中文媒体") != slug
    assert slugify("Hikvision 海康威视") == "hikvision"  # Latin letters win, as before
    with pytest.raises(ValueError):
        slugify("!!! ???")
