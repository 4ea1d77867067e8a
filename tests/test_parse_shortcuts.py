"""The parser's and planner's shortcuts give what a plain reading gives.

The parser tries one union of its special-line patterns before the patterns one by
one, looks for a trailing note only on lines ending in ")", and pauses the garbage
collector; the planner resolves each outlet spelling and slugs each headline once and
sorts month by month; slugify folds ASCII text with str.translate. The expected
records below were written by hand from the text (line numbers counted by hand); the
plain readings the shortcuts are compared with are written out here, not taken from
the code under test.
"""

from __future__ import annotations

import gc
import hashlib
import re
from datetime import date
from pathlib import Path

import pytest

from hikgraph.directory import (
    _CITING_HEADER,
    _COMMENTS,
    _COVERAGE_HEADING,
    _FIRST_PUBLISHED,
    _MONTH_HEADING,
    _SPECIAL,
    BOILERPLATE,
    CitingReport,
    CoverageReport,
    Directory,
    DirectoryError,
    Entry,
    Month,
    SkippedLine,
    parse_directory,
    read_directory,
)
from hikgraph.enrich import entry_slug, plan
from hikgraph.registry import Registry, load_registry
from hikgraph.slugs import ascii_fold, slugify
from hikgraph.synth import write_synthetic

HEADER = """Hikvision Global News Reports Directory

By IPVM Team, Published May 13, 2022, 07:40am EDT

Intro paragraph.

"""

# Lines 7 onwards, one per line, no blank lines between them.
TRAPS = [
    "May 2022",  # 7
    "Reuters: Plain headline",  # 8
    "SCMP: A headline (Note: A later correction.)",  # 9
    "Reuters (Note: the only colon is the note's)",  # 10
    "Axios: A headline ending in brackets (see below)",  # 11
    "Tab\tOutlet:\tTabbed headline\u00a0",  # 12
    "Seven words here are not an outlet: x",  # 13
    "IPVM Image",  # 14
    "Join IPVM Newsletter?",  # 15
    "Comments (3)",  # 16
    "[note: this report was first published in 2019.]",  # 17
    "Members see more. Subscribers only. Login. or Join.",  # 18
    "April 2022",  # 19
    "Loading Related Reports later",  # 20
    "Mayday 2022: not a month heading",  # 21
    "Wired: An image follows:",  # 22
    "IPVM Coverage",  # 23
    "A coverage title: with a colon",  # 24
    "June 2021",  # 25
    "2 reports cite this report:",  # 26
    "Title one on Jan 05, 2021",  # 27
    "snippet one",  # 28
    "Title two on Feb 06, 2021",  # 29
]


def test_trap_lines_give_the_records_read_by_hand() -> None:
    directory = parse_directory(HEADER + "\n".join(TRAPS) + "\n", source="t.txt")
    assert directory.months == [Month(2022, 5, 7), Month(2022, 4, 19)]
    assert directory.entries == [
        Entry(2022, 5, "Reuters", "Plain headline", None, 8, "t.txt"),
        Entry(2022, 5, "SCMP", "A headline", "Note: A later correction.", 9, "t.txt"),
        # The note goes first; what is left has no colon, so it is an event line.
        Entry(2022, 5, None, "Reuters", "Note: the only colon is the note's", 10, "t.txt"),
        Entry(2022, 5, "Axios", "A headline ending in brackets (see below)", None, 11, "t.txt"),
        Entry(2022, 5, "Tab\tOutlet", "Tabbed headline", None, 12, "t.txt"),
        Entry(2022, 4, "Mayday 2022", "not a month heading", None, 21, "t.txt"),
        Entry(2022, 4, "Wired", "An image follows", None, 22, "t.txt"),
    ]
    assert [(w.line, w.text, w.reason) for w in directory.warnings] == [
        (13, "Seven words here are not an outlet: x", "not an 'Outlet: Headline' line"),
        (20, "Loading Related Reports later", "not an 'Outlet: Headline' line"),
    ]
    assert directory.skipped == [
        SkippedLine(14, "IPVM Image", "image placeholder"),
        SkippedLine(15, "Join IPVM Newsletter?", "newsletter sign-up"),
        SkippedLine(16, "Comments (3)", "comment count (kept)"),
        SkippedLine(18, TRAPS[18 - 7], "subscriber note"),
    ]
    # A month name under the coverage heading is a coverage title, not a month.
    assert directory.coverage == [
        CoverageReport("A coverage title: with a colon", 24, "t.txt"),
        CoverageReport("June 2021", 25, "t.txt"),
    ]
    assert directory.citing_count_stated == 2
    assert directory.citing == [
        CitingReport("Title one", date(2021, 1, 5), "snippet one", 27, "t.txt"),
        CitingReport("Title two", date(2021, 2, 6), None, 29, "t.txt"),
    ]
    assert directory.metadata.comment_count == 3
    assert directory.metadata.first_published == "2019"
    assert directory.metadata.first_published_note == "this report was first published in 2019."


def _lines_of(*paths: Path) -> list[str]:
    return [
        line.strip()
        for path in paths
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("synth") / "synth-3k.txt"
    write_synthetic(path, 3000, seed=11)
    return path


def test_special_union_matches_where_one_pattern_matches(source: Path, synthetic: Path) -> None:
    near_misses = [
        "IPVM Coverage ",
        "IPVM Coverage.",
        "ipvm coverage",
        "IPVM Image x",
        "Comments (x)",
        "Comments (12) : 3 new",
        "[NOTE: First Published In March 2020]",
        "[Note: not first published]",
        "12 reports cite this report:",
        "1 report cites this report: x",
        "Mai 2022",
        "May 22",
        "May 2022 x",
        "MAY 2022",
        "x Subscribers only. Login. or Join.",
        "Subscribers only. Login. or Join. x",
        "Below is a selection of reports",
        "Below is a selection",
    ]
    patterns = [p for p, _ in BOILERPLATE] + [
        _COMMENTS,
        _FIRST_PUBLISHED,
        _CITING_HEADER,
        _MONTH_HEADING,
    ]
    lines = _lines_of(source, synthetic) + near_misses + TRAPS
    specials = 0
    for line in lines:
        one_by_one = line == _COVERAGE_HEADING or any(p.match(line) for p in patterns)
        assert bool(_SPECIAL.match(line)) == one_by_one, line
        specials += one_by_one
    assert specials > 100  # the comparison saw special lines, not only entries


_SLUG_RUNS = re.compile(r"[^a-z0-9]+")


def _plain_slug(text: str) -> str:
    return _SLUG_RUNS.sub("-", ascii_fold(text)).strip("-")


def test_slugify_ascii_shortcut_equals_the_regex(source: Path, synthetic: Path) -> None:
    texts = [
        "".join(map(chr, range(128))),
        *(f"a{chr(c)}b{chr(c)}" for c in range(128)),
        *(line.partition(":")[2] for line in _lines_of(source, synthetic)),
        "Ärger über Überwachung – Straße ①",
        "ℌikvision",  # folds to an ASCII capital, which is no slug character
        "海康威视 Hikvision",
        "  --Already--slugged--  ",
    ]
    for text in texts:
        expected = _plain_slug(text)
        if not expected:
            with pytest.raises(ValueError, match="no letters or digits"):
                slugify(text)
        else:
            assert slugify(text, max_length=10_000) == expected, text
    assert slugify("ℌikvision") == "ikvision"
    assert slugify("Ärger über Überwachung – Straße ①") == "arger-uber-uberwachung-strasse-1"


def _plain_plan(directories: list[Directory], registry: Registry) -> list[tuple[str, Entry]]:
    kept: dict[str, Entry] = {}
    newest_first = sorted(directories, key=lambda d: (d.metadata.published, d.source))[::-1]
    for directory in newest_first:
        for entry in directory.entries:
            outlet = None if entry.outlet is None else registry.resolve(entry.outlet)
            kept.setdefault(entry_slug(entry, outlet), entry)
    return sorted(kept.items(), key=lambda item: (-item[1].year, -item[1].month, item[0]))


def test_plan_equals_a_plain_reading(source: Path, synthetic: Path, tmp_path: Path) -> None:
    registry = load_registry()
    later = tmp_path / "later.txt"
    later.write_text(
        source.read_text(encoding="utf-8")
        .replace("Published May 13, 2022", "Published January 9, 2023")
        .replace(
            "IPVM Image\n\nMay 2022\n", "IPVM Image\n\nJune 2022\n\nReuters: New\n\nMay 2022\n"
        ),
        encoding="utf-8",
    )
    for paths in ([source], [source, later], [synthetic]):
        directories = [read_directory(path) for path in paths]
        planned = plan(directories, registry)
        expected = _plain_plan(directories, registry)
        assert [(p.slug, p.entry) for p in planned.entries] == expected
        for p in planned.entries:
            raw = p.entry.outlet
            assert p.outlet == (None if raw is None else registry.resolve(raw))
        spellings: dict[str, set[str]] = {}
        for _, entry in expected:
            if entry.outlet is not None:
                slug = registry.resolve(entry.outlet).slug
                spellings.setdefault(slug, set()).add(entry.outlet)
        assert planned.spellings == {s: tuple(sorted(n)) for s, n in sorted(spellings.items())}
        months = sorted({e.year_month for _, e in expected})
        assert planned.months == tuple(months)
    assert len(plan([read_directory(source)], registry).entries) == 184


def test_slugs_read_by_hand(source: Path) -> None:
    planned = plan([read_directory(source)], load_registry())
    slugs = {p.entry.line: p.slug for p in planned.entries}
    # Cut at a word boundary within 60 characters, so a digest of the headline follows.
    headline = "Hikvision Sanctions Signal Uncharted Waters From UK To Vietnam"
    digest = hashlib.sha256(headline.encode("utf-8")).hexdigest()[:6]
    assert slugs[11] == (
        f"2022-05-al-jazeera-hikvision-sanctions-signal-uncharted-waters-from-uk-to-{digest}"
    )
    assert slugs[49] == (
        "2022-04-associated-press-uk-concerns-raised-over-chinese-surveillance-camera-firm"
    )
    assert slugs[465] == "2018-01-congressional-hearing-discusses-hikvision"  # no outlet


@pytest.mark.parametrize("enabled", [True, False])
def test_garbage_collector_state_is_restored(enabled: bool, source: Path) -> None:
    was = gc.isenabled()
    try:
        if not enabled:
            gc.disable()
        read_directory(source)
        assert gc.isenabled() is enabled
        plan([read_directory(source)], load_registry())
        assert gc.isenabled() is enabled
        with pytest.raises(DirectoryError, match="appears twice"):
            parse_directory(HEADER + "May 2022\n\nReuters: a\n\nMay 2022\n")
        assert gc.isenabled() is enabled
    finally:
        if was:
            gc.enable()


def test_spellings_of_one_unknown_outlet_resolve_each_as_written() -> None:
    # Two spellings of one unknown outlet that differ only in case stay two spellings
    # of one slug, each entry's outlet named as its own line spells it.
    text = HEADER + "May 2022\n\nNew Outlet: One\n\nnew outlet: Two\n\nNew Outlet: Three\n"
    planned = plan([parse_directory(text)], load_registry())
    assert planned.spellings["new-outlet"] == ("New Outlet", "new outlet")
    assert [(p.slug, p.outlet.name if p.outlet else None) for p in planned.entries] == [
        ("2022-05-new-outlet-one", "New Outlet"),
        ("2022-05-new-outlet-three", "New Outlet"),
        ("2022-05-new-outlet-two", "new outlet"),
    ]
    assert [o.name for o in planned.unreviewed] == ["New Outlet"]
