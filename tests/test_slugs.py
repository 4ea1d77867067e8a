"""Slugs: the ASCII fast path folds exactly as the Unicode path does."""

from __future__ import annotations

import unicodedata

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
