"""Parse the text of an IPVM news-reports directory into plain records.

This module is pure Python: it knows nothing of RDF. It reads the directory as it is
published ("Outlet: Headline" lines under month headings, then IPVM's own coverage,
then the reports that cite the directory) and returns a :class:`Directory` whose
records each remember the source line they came from. Every non-blank line ends up in
a record or in :attr:`Directory.skipped`; anything else is a :class:`ParseWarning`.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

MONTHS = {
    name: number
    for number, name in enumerate(
        [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ],
        start=1,
    )
}
_MONTH_ABBREVIATIONS = {name[:3]: number for name, number in MONTHS.items()}

# US and European zone abbreviations IPVM and similar publishers print after a time.
# An abbreviation outside this table is an error rather than a guess.
ZONE_OFFSETS = {
    "UTC": 0,
    "GMT": 0,
    "EST": -5,
    "EDT": -4,
    "CST": -6,
    "CDT": -5,
    "MST": -7,
    "MDT": -6,
    "PST": -8,
    "PDT": -7,
    "BST": 1,
    "CET": 1,
    "CEST": 2,
}

_MONTH_HEADING = re.compile(r"^(?P<month>[A-Z][a-z]+) (?P<year>\d{4})$")
_BYLINE = re.compile(
    r"^By (?P<author>.+?), Published (?P<month>[A-Z][a-z]+) (?P<day>\d{1,2}), (?P<year>\d{4}),"
    r" (?P<hour>\d{1,2}):(?P<minute>\d{2})(?P<ampm>am|pm) (?P<zone>[A-Z]{2,5})$"
)
_FIRST_PUBLISHED = re.compile(
    r"^\[Note: (?P<text>.*first published in (?P<when>[^.\]]+)\.?)\]$", re.IGNORECASE
)
_CITING_HEADER = re.compile(r"^(?P<count>\d+) reports? cites? this report:$")
_CITING_TITLE = re.compile(
    r"^(?P<title>.+) on (?P<month>[A-Z][a-z]{2}) (?P<day>\d{2}), (?P<year>\d{4})$"
)
_COMMENTS = re.compile(r"^Comments \((?P<count>\d+)\)(?: :.*)?$")
_TRAILING_NOTE = re.compile(r"^(?P<headline>.*\S)\s+\((?P<note>Note:[^()]*)\)$")
_COVERAGE_HEADING = "IPVM Coverage"

# Lines of page furniture that carry no data. Each is skipped on purpose and listed
# in Directory.skipped with the reason, so a reviewer can see nothing was lost.
BOILERPLATE: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^IPVM Image$"), "image placeholder"),
    (re.compile(r"^Join IPVM Newsletter\?$"), "newsletter sign-up"),
    (re.compile(r"^IPVM is the authority on .*"), "newsletter sign-up"),
    (re.compile(r"^Enter your email to get notified .*"), "newsletter sign-up"),
    (re.compile(r"^Loading Related Reports$"), "related-reports widget"),
    (re.compile(r"^IPVM has provided the most in-depth coverage .*"), "coverage section intro"),
    (re.compile(r"^Below is a selection of .*"), "coverage section intro"),
    (re.compile(r".*Subscribers only\. Login\. or Join\.$"), "subscriber note"),
)


def _union(patterns: tuple[re.Pattern[str], ...]) -> re.Pattern[str]:
    # Group names are dropped (two patterns name a group "count") and each pattern
    # keeps its own case-insensitivity, so the union matches exactly where one of
    # *patterns* matches.
    branches = []
    for pattern in patterns:
        text = re.sub(r"\(\?P<\w+>", "(?:", pattern.pattern)
        flags = "i" if pattern.flags & re.IGNORECASE else ""
        branches.append(f"(?{flags}:{text})" if flags else f"(?:{text})")
    return re.compile("|".join(branches))


# Every pattern the parser tries before taking a line as an entry, a coverage title or
# a citing report: a line this does not match is none of the special lines.
_SPECIAL = _union(
    (
        *(pattern for pattern, _ in BOILERPLATE),
        _COMMENTS,
        _FIRST_PUBLISHED,
        _CITING_HEADER,
        re.compile(re.escape(_COVERAGE_HEADING) + r"\Z"),
        _MONTH_HEADING,
    )
)

# An outlet name is short; a longer prefix before the first colon is a sentence that
# happens to contain a colon, which the parser reports instead of inventing an outlet.
_MAX_OUTLET_WORDS = 6
_MAX_OUTLET_CHARS = 48


class DirectoryError(ValueError):
    """A directory text that cannot be read; the message names the file and line."""

    def __init__(self, source: str, line: int | None, message: str) -> None:
        self.source = source
        self.line = line
        self.reason = message
        where = f"{source}:{line}" if line is not None else source
        super().__init__(f"{where}: {message}")

    def __reduce__(self) -> tuple[type[DirectoryError], tuple[str, int | None, str]]:
        # Pickled as its arguments (the build reads texts in a process of its own).
        return (DirectoryError, (self.source, self.line, self.reason))


@dataclass(frozen=True)
class ParseWarning:
    """A non-blank line the parser could not place in any record."""

    source: str
    line: int
    text: str
    reason: str

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: warning: {self.reason}: {self.text!r}"


@dataclass(frozen=True)
class SkippedLine:
    """A line recognised as page furniture and skipped on purpose."""

    line: int
    text: str
    reason: str


@dataclass(frozen=True)
class Metadata:
    """The directory's own description, as printed at its top and bottom."""

    title: str
    author: str
    published: datetime
    intro: str
    first_published_note: str | None
    first_published: str | None
    comment_count: int | None
    title_line: int
    byline_line: int


@dataclass(frozen=True)
class Entry:
    """One "Outlet: Headline" line (or an outlet-less event line) under a month."""

    year: int
    month: int
    outlet: str | None
    headline: str
    note: str | None
    line: int
    source: str

    @property
    def year_month(self) -> str:
        """Return the month as ``YYYY-MM`` (the lexical form of ``xsd:gYearMonth``)."""
        return f"{self.year:04d}-{self.month:02d}"


@dataclass(frozen=True)
class CoverageReport:
    """A title in the "IPVM Coverage" list: one of IPVM's own reports."""

    title: str
    line: int
    source: str


@dataclass(frozen=True)
class CitingReport:
    """An IPVM report listed under "N reports cite this report"."""

    title: str
    published: date
    snippet: str | None
    line: int
    source: str


@dataclass(frozen=True)
class Month:
    """A month heading and the line it stands on."""

    year: int
    month: int
    line: int


@dataclass
class Directory:
    """Everything read from one directory text."""

    source: str
    metadata: Metadata
    months: list[Month] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)
    coverage: list[CoverageReport] = field(default_factory=list)
    citing: list[CitingReport] = field(default_factory=list)
    citing_count_stated: int | None = None
    skipped: list[SkippedLine] = field(default_factory=list)
    warnings: list[ParseWarning] = field(default_factory=list)


def read_directory(path: Path | str) -> Directory:
    """Read and parse the directory text at *path*.

    Returns the parsed :class:`Directory`. Raises :class:`DirectoryError` (naming the
    file, and the line where there is one) for a missing or unreadable file, bytes
    that are not UTF-8, an empty file, or a text that is not a directory.
    """
    path = Path(path)
    name = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DirectoryError(name, None, "no such file") from None
    except IsADirectoryError:
        raise DirectoryError(name, None, "is a folder, not a directory text") from None
    except OSError as error:
        raise DirectoryError(name, None, f"cannot read: {error.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise DirectoryError(name, line, f"not UTF-8 (byte 0x{raw[error.start]:02x})") from None
    return parse_directory(text, source=name)


def parse_directory(text: str, source: str = "<text>") -> Directory:
    """Parse directory *text*; *source* names it in records and messages.

    Returns the parsed :class:`Directory`. Raises :class:`DirectoryError` when the text
    is empty, has no title or byline, has an unreadable month heading or date, or has
    an entry before any month heading.
    """
    with collection_paused():
        return _Parser(text, source).parse()


@contextmanager
def collection_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for the block, then restore its state.

    Reading or planning a large directory makes millions of records with no cycles
    among them; the collector would walk them again and again as they pile up (a
    fifth of the time at 100,000 entries). Nothing is lost by pausing: objects are
    still freed by reference counting, and cycles on the next collection.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _lines(text: str) -> list[tuple[int, str]]:
    text = text.removeprefix("\ufeff")
    return [
        (number, stripped)
        for number, line in enumerate(text.splitlines(), start=1)
        if (stripped := line.strip())
    ]


class _Parser:
    def __init__(self, text: str, source: str) -> None:
        self.source = source
        self.lines = _lines(text)
        self.position = 0

    def error(self, line: int | None, message: str) -> DirectoryError:
        return DirectoryError(self.source, line, message)

    def parse(self) -> Directory:
        if not self.lines:
            raise self.error(None, "empty file: no directory text")
        metadata_lines = self._header()
        directory = Directory(source=self.source, metadata=metadata_lines)
        section = "months"
        current: Month | None = None
        first_published_note: str | None = None
        first_published: str | None = None
        comment_count: int | None = None
        seen_months: set[tuple[int, int]] = set()
        lines = self.lines[self.position :]
        # Looked up once: the loop runs once per line, a million times in a large text.
        special, entry_of, add_entry = _SPECIAL.match, self._entry, directory.entries.append
        index = 0
        while index < len(lines):
            number, line = lines[index]
            index += 1
            # Most lines of a large directory are entries: one match of the union of
            # the patterns below tells them apart, instead of a dozen tries per line.
            if special(line):
                reason = _boilerplate(line)
                comments = _COMMENTS.match(line)
                if comments:
                    comment_count = int(comments["count"])
                    directory.skipped.append(SkippedLine(number, line, "comment count (kept)"))
                    continue
                if reason:
                    directory.skipped.append(SkippedLine(number, line, reason))
                    continue
                note = _FIRST_PUBLISHED.match(line)
                if note:
                    first_published_note = note["text"].strip()
                    first_published = note["when"].strip()
                    continue
                citing = _CITING_HEADER.match(line)
                if citing:
                    section = "citing"
                    directory.citing_count_stated = int(citing["count"])
                    continue
                if line == _COVERAGE_HEADING:
                    section = "coverage"
                    continue
                heading = _MONTH_HEADING.match(line)
                if heading and heading["month"] in MONTHS and section == "months":
                    month = Month(int(heading["year"]), MONTHS[heading["month"]], number)
                    key = (month.year, month.month)
                    if key in seen_months:
                        raise self.error(number, f"month {line!r} appears twice")
                    seen_months.add(key)
                    directory.months.append(month)
                    current = month
                    continue
                if heading and section == "months" and _looks_like_month(line):
                    raise self.error(number, f"unreadable month heading {line!r}")
            if section == "months":
                entry = entry_of(number, line, current)
                if entry is None:
                    directory.warnings.append(
                        ParseWarning(self.source, number, line, "not an 'Outlet: Headline' line")
                    )
                else:
                    add_entry(entry)
            elif section == "coverage":
                directory.coverage.append(CoverageReport(line, number, self.source))
            else:
                snippet: str | None = None
                if index < len(lines) and not _CITING_TITLE.match(lines[index][1]):
                    following = lines[index][1]
                    if not _boilerplate(following) and not _COMMENTS.match(following):
                        snippet = following
                        index += 1
                directory.citing.append(self._citing(number, line, snippet))
        if not directory.months:
            raise self.error(None, "not a directory: no month headings such as 'May 2022'")
        directory.metadata = replace(
            metadata_lines,
            first_published_note=first_published_note,
            first_published=first_published,
            comment_count=comment_count,
        )
        return directory

    def _header(self) -> Metadata:
        title_line, title = self.lines[0]
        if len(self.lines) < 2:
            raise self.error(title_line, "not a directory: no 'By AUTHOR, Published DATE' line")
        byline_line, byline = self.lines[1]
        match = _BYLINE.match(byline)
        if not match:
            if byline.startswith("By "):
                raise self.error(byline_line, f"unreadable publication date in {byline!r}")
            raise self.error(
                byline_line, "not a directory: expected 'By AUTHOR, Published DATE' after the title"
            )
        published = self._published(byline_line, match)
        intro = ""
        self.position = 2
        if len(self.lines) > 2:
            _, line = self.lines[2]
            if not _MONTH_HEADING.match(line) and not _boilerplate(line):
                intro = line
                self.position = 3
        return Metadata(
            title=title,
            author=match["author"],
            published=published,
            intro=intro,
            first_published_note=None,
            first_published=None,
            comment_count=None,
            title_line=title_line,
            byline_line=byline_line,
        )

    def _published(self, line: int, match: re.Match[str]) -> datetime:
        month = MONTHS.get(match["month"])
        zone = ZONE_OFFSETS.get(match["zone"])
        if month is None:
            raise self.error(line, f"unknown month name {match['month']!r}")
        if zone is None:
            raise self.error(line, f"unknown time zone {match['zone']!r}")
        hour = int(match["hour"]) % 12 + (12 if match["ampm"] == "pm" else 0)
        try:
            return datetime(
                int(match["year"]),
                month,
                int(match["day"]),
                hour,
                int(match["minute"]),
                tzinfo=timezone(timedelta(hours=zone)),
            )
        except ValueError as error:
            raise self.error(line, f"impossible date: {error}") from None

    def _entry(self, number: int, line: str, month: Month | None) -> Entry | None:
        if ":" not in line:
            return None
        if month is None:
            raise self.error(number, "entry before any month heading")
        parts = _entry_parts(line)
        if parts is None:
            return None
        outlet, headline, note = parts
        return Entry(month.year, month.month, outlet, headline, note, number, self.source)

    def _citing(self, number: int, line: str, snippet: str | None) -> CitingReport:
        match = _CITING_TITLE.match(line)
        if not match:
            raise self.error(
                number, f"unreadable citing report (expected 'TITLE on Mon DD, YYYY'): {line!r}"
            )
        month = _MONTH_ABBREVIATIONS.get(match["month"])
        if month is None:
            raise self.error(number, f"unknown month {match['month']!r}")
        try:
            published = date(int(match["year"]), month, int(match["day"]))
        except ValueError as error:
            raise self.error(number, f"impossible date: {error}") from None
        return CitingReport(match["title"], published, snippet, number, self.source)


def _entry_parts(line: str) -> tuple[str | None, str, str | None] | None:
    # (outlet, headline, note) of a stripped line with a colon; None when what stands
    # before the colon is too long to name an outlet.
    note: str | None = None
    # The note pattern backtracks over the whole line; only a line ending in ")"
    # can match it (the line has no newline for "$" to stop before).
    if line[-1] == ")":
        trailing = _TRAILING_NOTE.match(line)
        if trailing:
            line, note = trailing["headline"], trailing["note"]
    outlet, _, headline = line.partition(":")
    outlet, headline = outlet.strip(), headline.strip()
    if not headline:
        # "Congressional Hearing Discusses Hikvision:" names an event shown by an
        # image below it; it has no publisher and must not be given one.
        return None, outlet, note
    if len(outlet) > _MAX_OUTLET_CHARS or len(outlet.split()) > _MAX_OUTLET_WORDS:
        return None
    # A trailing colon introduces the image the directory shows under the line.
    return outlet, headline.removesuffix(":").rstrip(), note


def entry_headlines(text: str) -> Iterator[str]:
    """Yield the headlines of the lines of *text* that read as "Outlet: Headline"
    entries, from the last line up, each once.

    A quick look, not a parse: it needs no month headings and stops at no error, so a
    caller may classify headlines while the text is still being parsed. Most lines the
    parser reads as something else (headings, boilerplate) are passed over; the few
    that are not (a report's title with a colon) are yielded too.
    """
    seen: set[str] = set()
    for line in reversed(text.splitlines()):
        line = line.strip()
        if ":" not in line or _SPECIAL.match(line):
            continue
        parts = _entry_parts(line)
        if parts is not None and parts[1] not in seen:
            seen.add(parts[1])
            yield parts[1]


def _boilerplate(line: str) -> str | None:
    for pattern, reason in BOILERPLATE:
        if pattern.match(line):
            return reason
    return None


def _looks_like_month(line: str) -> bool:
    word = line.split()[0]
    return word.lower() in {m.lower() for m in MONTHS} or word[:3].lower() in {
        m.lower() for m in _MONTH_ABBREVIATIONS
    }
