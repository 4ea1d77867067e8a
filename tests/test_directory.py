"""The parser on the shipped source, its trap lines, later editions and bad input.

Expected figures were counted by hand from the source text (line numbers are those
of `cat -n`), not by running the parser.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from hikgraph.directory import DirectoryError, parse_directory, read_directory

HEADER = """Hikvision Global News Reports Directory

By IPVM Team, Published May 13, 2022, 07:40am EDT

Intro paragraph.

"""


@pytest.fixture(scope="module")
def shipped(source: Path):
    return read_directory(source)


def test_shipped_counts(shipped) -> None:
    assert len(shipped.entries) == 184
    assert len(shipped.months) == 54
    assert (shipped.months[0].year, shipped.months[0].month) == (2022, 5)
    assert (shipped.months[-1].year, shipped.months[-1].month) == (2016, 9)
    assert sum(entry.outlet is None for entry in shipped.entries) == 3
    assert len(shipped.coverage) == 14
    assert len(shipped.citing) == 4
    assert shipped.citing_count_stated == 4
    assert shipped.warnings == []


def test_metadata(shipped) -> None:
    meta = shipped.metadata
    assert meta.title == "Hikvision Global News Reports Directory"
    assert meta.author == "IPVM Team"
    assert meta.published == datetime(2022, 5, 13, 7, 40, tzinfo=timezone(timedelta(hours=-4)))
    assert meta.published.isoformat() == "2022-05-13T07:40:00-04:00"
    assert meta.intro.startswith("Hikvision has received the most global news reporting")
    assert meta.intro.endswith("This directory catalogs and links to 100+ of them.")
    assert meta.first_published == "Summer 2019"
    assert "first published in Summer 2019" in (meta.first_published_note or "")
    assert meta.comment_count == 2


def test_every_non_blank_line_is_accounted_for(shipped, source: Path) -> None:
    lines = {n for n, text in enumerate(source.read_text().splitlines(), 1) if text.strip()}
    meta = shipped.metadata
    used = {meta.title_line, meta.byline_line, 5, 527, 529}  # intro, note, citing heading
    used |= {m.line for m in shipped.months}
    used |= {e.line for e in shipped.entries}
    used |= {c.line for c in shipped.coverage}
    used |= {c.line for c in shipped.citing} | {c.line + 1 for c in shipped.citing}
    used |= {s.line for s in shipped.skipped}
    used.add(493)  # the "IPVM Coverage" heading
    assert lines == used
    assert {s.line for s in shipped.skipped} == {7, 25, 27, 29, 393, 495, 497, 539, 540}


def entry_at(shipped, line: int):
    (entry,) = [e for e in shipped.entries if e.line == line]
    return entry


def test_split_at_first_colon_keeps_the_headlines_own_colons(shipped) -> None:
    entry = entry_at(shipped, 49)
    assert (entry.outlet, entry.headline) == (
        "Associated Press",
        "UK: Concerns raised over Chinese surveillance camera firm",
    )
    entry = entry_at(shipped, 55)
    assert entry.outlet == "SCMP"
    assert entry.headline.startswith("US-China tech war: Chinese surveillance camera maker")


def test_headline_quotes_and_punctuation_are_kept_exactly(shipped) -> None:
    assert entry_at(shipped, 47).headline == (
        "‘Always on and watching’: A former Xinjiang prisoner describes life inside "
        "China’s detention camps"
    )
    assert entry_at(shipped, 225).headline == (
        'Hikvision Put on US DoD "Communist Chinese Military Companies" List, '
        "Faces Risk of Presidential Sanctions"
    )
    assert entry_at(shipped, 351).headline == (
        "Vidéosurveillance: une société chinoise controversée bien présente au Québec"
    )


def test_trailing_editorial_note_is_a_note_not_headline(shipped) -> None:
    entry = entry_at(shipped, 405)
    assert entry.outlet == "SCMP"
    assert entry.headline.endswith("keep a closer eye on the United States’ biggest city")
    assert "Note" not in entry.headline
    assert entry.note == "Note: The NYPD later refuted that story."


def test_event_lines_have_no_outlet(shipped) -> None:
    events = {e.line: e for e in shipped.entries if e.outlet is None}
    assert set(events) == {391, 401, 465}
    assert events[465].headline == "Congressional Hearing Discusses Hikvision"
    assert events[391].headline == "9 UK MPs call out Hikvision in public letter"
    assert (events[465].year, events[465].month) == (2018, 1)


def test_outlet_line_ending_in_colon_keeps_its_outlet(shipped) -> None:
    entry = entry_at(shipped, 399)
    assert entry.outlet == "Hudson Institute"
    assert (
        entry.headline == 'US Senator Calls Out Hikvision as "Puppets of the China Communist Party"'
    )


def test_coverage_titles_are_reports_not_entries(shipped) -> None:
    titles = [c.title for c in shipped.coverage]
    assert 'Hikvision: Chinese Government "Exert Significant Influence Over Our Business"' in titles
    assert titles[0] == "Hikvision And The Chinese Government"
    assert titles[-1] == "US Government Ban of Dahua, Hikvision, Huawei Takes Effect Now"
    assert not any(e.outlet == "Hikvision" for e in shipped.entries)


def test_citing_reports(shipped) -> None:
    first = shipped.citing[0]
    assert first.title == "Video Surveillance History"
    assert first.published == date(2020, 12, 15)
    assert (
        first.snippet
        == "The video surveillance market has changed significantly since 2000, going..."
    )
    last = shipped.citing[-1]
    assert (last.title, last.published) == ("Hikvision Aims For #1 Brand In 2020", date(2017, 4, 3))


def test_entries_are_in_their_month(shipped) -> None:
    assert entry_at(shipped, 11).year_month == "2022-05"
    assert entry_at(shipped, 491).year_month == "2016-09"
    assert entry_at(shipped, 481).year_month == "2016-11"


def test_a_later_edition_with_new_months_above(source: Path) -> None:
    text = source.read_text(encoding="utf-8")
    later = text.replace(
        "By IPVM Team, Published May 13, 2022, 07:40am EDT",
        "By IPVM Team, Published Jan 09, 2023, 10:05am EST".replace("Jan 09", "January 9"),
    ).replace(
        "IPVM Image\n\nMay 2022\n",
        "IPVM Image\n\nDecember 2022\n\nReuters: New headline: with a colon\n\n"
        "June 2022\n\nNew Outlet Weekly: Another story\n\nMay 2022\n",
    )
    directory = parse_directory(later, "later.txt")
    assert len(directory.entries) == 186
    assert directory.metadata.published.isoformat() == "2023-01-09T10:05:00-05:00"
    assert directory.entries[0].headline == "New headline: with a colon"
    assert directory.entries[0].year_month == "2022-12"
    assert directory.entries[2].line == 11 + 8  # the old first entry, 8 lines further down


def test_unknown_line_is_a_warning_with_its_line_number() -> None:
    directory = parse_directory(HEADER + "May 2022\n\nA line without any outlet separator\n")
    (warning,) = directory.warnings
    assert warning.line == 9
    assert "A line without any outlet separator" in str(warning)
    assert "<text>:9" in str(warning)


def test_long_prefix_before_a_colon_is_not_made_an_outlet() -> None:
    text = HEADER + "May 2022\n\nThis is a whole sentence that happens to continue: after a colon\n"
    directory = parse_directory(text)
    assert directory.entries == []
    assert directory.warnings[0].line == 9


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("", None, "empty file"),
        ("   \n\n", None, "empty file"),
        ("Just a title\n", 1, "not a directory"),
        ("Some text\n\nthat is not a directory at all\n", 3, "not a directory"),
        (HEADER + "Reuters: Entry before any month\n\nMay 2022\n", 7, "before any month"),
        (HEADER + "Mayy 2022\n\nReuters: x\n", 7, "unreadable month"),
        (HEADER + "May 2022\n\nReuters: a\n\nMay 2022\n", 11, "appears twice"),
        (HEADER.replace("07:40am EDT", "07:40am XYZ") + "May 2022\n", 3, "unknown time zone"),
        (HEADER.replace("May 13, 2022", "May 43, 2022") + "May 2022\n", 3, "impossible date"),
        (HEADER.replace("Published May 13", "Published Mai 13") + "May 2022\n", 3, "unknown month"),
        (HEADER.replace("07:40am", "seven") + "May 2022\n", 3, "unreadable publication date"),
        (HEADER + "May 2022\n\n1 report cites this report:\n\nNo date here\n", 11, "citing report"),
    ],
)
def test_bad_input_names_file_and_line(text: str, line: int | None, message: str) -> None:
    with pytest.raises(DirectoryError) as caught:
        parse_directory(text, source="bad.txt")
    assert caught.value.line == line
    assert message in str(caught.value)
    expected_prefix = "bad.txt" if line is None else f"bad.txt:{line}:"
    assert str(caught.value).startswith(expected_prefix)
    assert "\n" not in str(caught.value)


def test_not_utf8_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.txt"
    path.write_bytes(HEADER.encode() + b"May 2022\n\nLe Monde: Cam\xe9ras\n")
    with pytest.raises(DirectoryError, match=r"latin1\.txt:9: not UTF-8"):
        read_directory(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DirectoryError, match="no such file"):
        read_directory(tmp_path / "nope.txt")


def test_byte_order_mark_and_crlf_are_accepted(source: Path) -> None:
    text = "\ufeff" + source.read_text(encoding="utf-8").replace("\n", "\r\n")
    directory = parse_directory(text)
    assert len(directory.entries) == 184
