"""Facts about the shipped directory counted straight from its text and the registry
CSV, with code of its own: no hikgraph parser, no RDF, no SPARQL. The named-query
tests compare the graph's answers with these.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from conftest import ROOT, SOURCE

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
MONTH_HEADING = re.compile(rf"({'|'.join(MONTHS)}) (\d{{4}})")
# Lines of the web page that sit between entries but are not entries.
EDITORS_NOTE = re.compile(r"\s*\(Note:[^()]*\)$")
BOILERPLATE = ("Join IPVM Newsletter?", "IPVM is the authority", "Enter your email", "IPVM Image")


@dataclass(frozen=True)
class Line:
    """One entry line of the source: its number, month, outlet spelling, headline."""

    number: int
    month: str  # YYYY-MM
    spelling: str | None
    headline: str


@dataclass(frozen=True)
class Outlet:
    """A row of data/outlets.csv."""

    slug: str
    name: str
    kind: str
    country: str
    wikidata: str
    homepage: str


def key(name: str) -> str:
    """The registry's matching key (data/README.md): casefold, strip accents, drop a
    leading 'the ', drop punctuation and whitespace."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold().strip()
    text = re.sub(r"^the\s+", "", text)
    return re.sub(r"[\W_]+", "", text)


@cache
def outlets() -> dict[str, Outlet]:
    """Return data/outlets.csv by slug."""
    with (ROOT / "data" / "outlets.csv").open(encoding="utf-8", newline="") as handle:
        return {
            row["slug"]: Outlet(
                row["slug"],
                row["name"],
                row["kind"],
                row["country"],
                row["wikidata"],
                row["homepage"],
            )
            for row in csv.DictReader(handle)
        }


@cache
def spellings() -> dict[str, str]:
    """Return the registry's matching keys → slug (names and aliases)."""
    by_key = {}
    with (ROOT / "data" / "outlets.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            for name in [row["name"], *row["aliases"].split(" | ")]:
                if name.strip():
                    by_key[key(name)] = row["slug"]
    return by_key


@cache
def country_names() -> dict[str, str]:
    """Return data/countries.csv: code → name."""
    with (ROOT / "data" / "countries.csv").open(encoding="utf-8", newline="") as handle:
        return {row["code"]: row["name"] for row in csv.DictReader(handle)}


@cache
def lines() -> tuple[Line, ...]:
    """Return every entry line of the source, in the order of the text."""
    text = SOURCE.read_text(encoding="utf-8").splitlines()
    found = []
    month = None
    for number, raw in enumerate(text, start=1):
        line = raw.strip()
        if line == "IPVM Coverage":
            break
        heading = MONTH_HEADING.fullmatch(line)
        if heading:
            month = f"{heading[2]}-{MONTHS[heading[1]]:02d}"
            continue
        if month is None or not line or line.startswith(BOILERPLATE):
            continue
        prefix, separator, rest = line.partition(": ")
        if separator and key(prefix) in spellings():
            # The directory's own "(Note: …)" after a headline is an editor's remark, and
            # a trailing colon introduces an image: neither is part of the headline.
            rest = EDITORS_NOTE.sub("", rest).removesuffix(":")
            found.append(Line(number, month, prefix, rest))
        else:
            # An entry without an outlet ends in a colon where the outlet would follow.
            found.append(Line(number, month, None, line.removesuffix(":")))
    return tuple(found)


def slug_of(line: Line) -> str | None:
    """Return the outlet slug of an entry line (None when it names no outlet)."""
    return spellings()[key(line.spelling)] if line.spelling else None


def articles_per_outlet() -> Counter[str]:
    """Return entries per outlet slug."""
    return Counter(slug for line in lines() if (slug := slug_of(line)))


def coverage_reports() -> list[str]:
    """Return the titles of the 'IPVM Coverage' list."""
    text = SOURCE.read_text(encoding="utf-8").splitlines()
    start = text.index("Below is a selection of some of IPVM's most newsworthy Hikvision coverage:")
    titles = []
    for line in text[start + 1 :]:
        if line.startswith("[Note"):
            break
        if line.strip():
            titles.append(line.strip())
    return titles


def citing_reports() -> list[tuple[str, str]]:
    """Return (title, ISO date) of the reports listed under 'N reports cite this report'."""
    found = []
    for line in SOURCE.read_text(encoding="utf-8").splitlines():
        match = re.fullmatch(r"(.+) on ([A-Z][a-z]{2} \d{2}, \d{4})", line.strip())
        if match:
            date = datetime.strptime(match[2], "%b %d, %Y").date().isoformat()
            found.append((match[1], date))
    return found
