"""Synthetic directory texts of any size, in the shipped format, with known labels.

:func:`synthesize` writes, line by line, a text :func:`hikgraph.directory.read_directory`
reads like the shipped edition: title, byline and intro; month headings from a fixed
start month back in time; "Outlet: Headline" lines; outlet-less event lines; the page
furniture the parser skips (images, the newsletter sign-up, the coverage intro, the
comment count); IPVM's coverage list and the reports citing the directory. It is for
scale tests and benchmarks: a seed gives the same bytes in any process, and nothing is
held in memory but the current month.

Headlines are composed from phrases whose topics and countries are stated beside them,
so every entry's intended labels are known (:func:`synthesize_with_labels`); the
phrasing of each topic is unambiguous under the topic definitions of DESIGN.md, so a
classifier can be scored on the output. Outlets are the registry's (spelt as its
aliases) plus invented ones; countries are the registry's, named as in
``data/country-terms.csv``.
"""

from __future__ import annotations

import csv
import math
import os
import random
import re
import tempfile
from bisect import bisect_left
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import accumulate, count
from pathlib import Path
from typing import NamedTuple, TextIO

from hikgraph.directory import MONTHS
from hikgraph.paths import data_dir
from hikgraph.registry import load_registry
from hikgraph.slugs import name_key, slugify

# The synthetic edition is dated like the shipped one, and its months run back from it.
START_YEAR, START_MONTH = 2022, 5
PUBLISHED = "May 13, 2022, 07:40am EDT"
# Month headings have four-digit years; the mean entries per month grows with the size
# so that even 10 M entries stay above the year 1000 (about 10,000 months are used).
_MIN_MEAN_PER_MONTH = 4
_MONTHS_BUDGET = 10_000
_SKIP_MONTH = 0.05  # a month with no news has no heading, as in the source
_WITHOUT_OUTLET = 0.02  # the source: 3 event lines among 184 entries
_WITH_IMAGE = 0.01  # "Outlet: Headline:" introduces an image shown below it
_WITH_NOTE = 0.003  # "(Note: …)" after the headline
_QUALIFIED = 0.3  # a second clause with its own topic ("… over Uyghur abuses")
_TITLE_CASE = 0.4  # the source mixes "Title Case" and sentence case
_REGION = 0.12  # a place that is no country ("Europe"), so no country is intended
_NEWSLETTER_AFTER = 7  # the sign-up block sits after the 7th entry, as in the source
_MONTH_NAMES = {number: name for name, number in MONTHS.items()}
_KEY = re.compile(r"[\W_]+")


class SynthError(ValueError):
    """A request that cannot be synthesised; the message is one line."""


class Label(NamedTuple):
    """What an entry line is meant to say: its month, outlet, headline, topics and
    countries (sorted topic ids and ISO codes)."""

    month: str  # YYYY-MM
    outlet: str | None
    headline: str
    topics: tuple[str, ...]
    countries: tuple[str, ...]


class Line(NamedTuple):
    """One non-blank line of the text, its kind and, for an entry, its label.

    Kinds: ``metadata``, ``furniture`` (skipped by the parser), ``month``, ``entry``,
    ``coverage``, ``citing`` (a citing report's title), ``snippet``, ``note`` (the
    first-published note), ``heading`` (a section heading).
    """

    text: str
    kind: str
    label: Label | None = None


@dataclass(frozen=True)
class SynthSummary:
    """What a synthetic text holds, as written."""

    entries: int
    months: int
    without_outlet: int
    coverage: int
    citing: int

    def describe(self) -> str:
        """Return the one-line description the CLI prints."""
        return (
            f"{self.entries} entries in {self.months} months ({self.without_outlet} without "
            f"an outlet), {self.coverage} coverage reports, {self.citing} citing reports"
        )


# --- headline phrases ---------------------------------------------------------------
# (text, topics, countries). {p} and {q} are places: a country's name or a region that
# names no country. Countries listed here are named by the words themselves: "Uyghur",
# "Xinjiang" and "Communist Party" reference China (DESIGN.md, "Countries of a headline").
# "Chinese" is used only for the company's origin, which references no country.
_CLAUSES: tuple[tuple[str, str, str], ...] = (
    ("{p} adds Hikvision to its sanctions list", "sanctions", ""),
    ("{p} weighs sanctions on Hikvision", "sanctions", ""),
    ("{p} puts Hikvision on a trade blacklist", "sanctions", ""),
    ("Hikvision blacklisted by regulators in {p}", "sanctions", ""),
    ("{p} and {q} weigh joint sanctions on Hikvision", "sanctions", ""),
    ("{p} tender rules exclude Hikvision", "government-bans", ""),
    ("{p} procurement law bars Hikvision equipment", "government-bans", ""),
    ("{p} bans Hikvision from government contracts", "government-bans", ""),
    ("Lawmakers in {p} target Hikvision purchases", "government-bans", ""),
    ("{p} lawmakers condemn Hikvision over Uyghur abuses", "human-rights", "CN"),
    ("Hikvision faces human rights criticism in {p}", "human-rights", ""),
    ("Rights groups in {p} link Hikvision to Xinjiang camps", "human-rights", "CN"),
    ("Researchers in {p} find backdoor in Hikvision firmware", "cybersecurity", ""),
    ("{p} agency warns of Hikvision vulnerability", "cybersecurity", ""),
    ("{p} and {q} share warnings on Hikvision hacking", "cybersecurity", ""),
    ("Hikvision devices pose national security risk, {p} says", "cybersecurity", ""),
    ("{p} pension fund divests from Hikvision", "investment", ""),
    ("Fund managers in {p} reduce Hikvision stake", "investment", ""),
    ("Hikvision shares fall as investors in {p} retreat", "investment", ""),
    ("Hikvision hires lobbyists in {p}", "lobbying", ""),
    ("Hikvision steps up lobbying in {p}", "lobbying", ""),
    ("Officials in {p} question Hikvision influence campaign", "lobbying", ""),
    ("{p} report details Hikvision's Communist Party ties", "state-ties", "CN"),
    ("Hikvision's state-owned status questioned in {p}", "state-ties", ""),
    ("Hikvision's military ties scrutinised in {p}", "state-ties", ""),
    ("Hikvision facial recognition rollout sparks debate in {p}", "ai-analytics", ""),
    ("{p} regulator probes Hikvision emotion detection software", "ai-analytics", ""),
    ("Hikvision pitches AI analytics in {p}", "ai-analytics", ""),
    ("Hikvision cameras found in {p} hospitals", "public-deployment", ""),
    ("{p} schools use Hikvision cameras", "public-deployment", ""),
    ("Hikvision cameras installed at police stations in {p}", "public-deployment", ""),
    ("Hikvision expands sales network in {p}", "business", ""),
    ("Hikvision opens new factory in {p}", "business", ""),
    ("Hikvision signs distributor deal in {p}", "business", ""),
    ("Hikvision reports strong demand in {p}", "business", ""),
    ("{p} journalists face pressure over Hikvision reporting", "press-freedom", ""),
    ("Hikvision accused of censorship in {p}", "press-freedom", ""),
)
_QUALIFIERS: tuple[tuple[str, str, str], ...] = (
    (" over Uyghur abuses", "human-rights", "CN"),
    (" after Xinjiang revelations", "human-rights", "CN"),
    (" citing national security", "cybersecurity", ""),
    (" amid spying fears", "cybersecurity", ""),
    (" amid sanctions threat", "sanctions", ""),
    (" as Hikvision shares slide", "investment", ""),
)
# Event lines name no outlet and end with a colon (an image follows), as in the source.
_EVENTS: tuple[tuple[str, str, str], ...] = (
    ("{p} Lawmakers Call Out Hikvision Over Human Rights Abuses", "human-rights", ""),
    ("{p} Senator Calls For Hikvision Sanctions", "sanctions", ""),
    ("{p} Hearing Discusses Hikvision Hacking Risk", "cybersecurity", ""),
    ("{p} Officials Call Out Hikvision Lobbying", "lobbying", ""),
)
# Words in {p} position that name no country (DESIGN.md: regions map to no country).
_REGIONS = ("Europe", "the EU", "the Gulf", "Southeast Asia", "Latin America", "Africa")
_NOTES = (
    "Note: The outlet later corrected this story.",
    "Note: The company disputed this report.",
)
_NEWSWORTHY_WEIGHT = 12  # a country an outlet of the registry is based in is in the news more

# --- invented outlets ---------------------------------------------------------------
_OUTLET_PLACES = (
    "Northbridge", "Eastwick", "Westmoor", "Southgate", "Highfield", "Riverside",
    "Lakeshore", "Clearwater", "Harbourside", "Summit", "Granite", "Silverton", "Maple",
    "Cedar", "Pinewood", "Ironbridge", "Copperfield", "Amberley", "Coral Bay", "Falcon",
    "Kestrel", "Meridian", "Pinnacle", "Beacon", "Compass", "Bayview", "Oakridge",
    "Stonehaven", "Fairmont", "Redcliff",
)  # fmt: skip
_OUTLET_TITLES = (
    "Courier", "Gazette", "Herald", "Tribune", "Chronicle", "Observer", "Sentinel",
    "Dispatch", "Monitor", "Review", "Journal", "Ledger", "Post", "Examiner", "Bulletin",
    "Register", "Record", "Wire", "Daily", "Weekly", "Insider", "Digest", "Press",
    "Standard", "Star",
)  # fmt: skip
_OUTLET_BEATS = ("", "Security", "Tech", "Business", "Online", "Tonight", "Asia", "Europe")
_INVENTED_PER_ENTRIES = 50  # one invented outlet per 50 entries, within the bounds below
_INVENTED_MIN, _INVENTED_MAX = 20, len(_OUTLET_PLACES) * len(_OUTLET_TITLES) * len(_OUTLET_BEATS)
_REGISTRY_SHARE = 0.6  # of the entries that have an outlet

# --- IPVM's reports -----------------------------------------------------------------
_COVERAGE_TITLES = (
    "Hikvision And The Chinese Government", "Hikvision Backdoor Exploit",
    "Hikvision Minority Analytics", "Hikvision Firmware Vulnerability Explained",
    "Hikvision Ban Rules Released", "Hikvision Chairman Joins National Government",
    "Hikvision Party Training Examined", "Hikvision Cloud Security Review",
    "Hikvision OEM Relabelers Exposed", "Hikvision Export Controls Analysis",
    "Hikvision Pension Fund Holdings", "Hikvision Lobbying Disclosures",
)  # fmt: skip
_CITING_TITLES = (
    "Video Surveillance History", "Hikvision USA Fights Distributor",
    "Banned Products Sold To Government", "Hikvision Aims For Number One Brand",
    "Camera Market Shares Estimated", "Surveillance Industry Outlook",
    "Entity List Impact Reviewed", "OEM Camera Sourcing Guide",
)  # fmt: skip
_SNIPPETS = (
    "The video surveillance market has changed significantly since 2000, going",
    "The company's US subsidiary is fighting with a distributor, having recently quietly",
    "Banned products are being widely and illegally sold to the US",
    "The company's chairman told a state meeting that his goal",
)
_COVERAGE_BASE, _COVERAGE_PER_ENTRIES = 14, 1000
_CITING_BASE, _CITING_PER_ENTRIES = 4, 2500
_CITING_FIRST = date(2012, 1, 1)
_CITING_LAST = date(2022, 5, 12)

_HEADER_TITLE = "Hikvision Global News Reports Directory (Synthetic Edition, Seed {seed})"
_INTRO = (
    "Hikvision has received the most global news reporting of any video surveillance "
    "company, ever. This synthetic directory catalogs {entries:,} of those reports, "
    "composed for scale tests."
)
_NEWSLETTER = (
    "Join IPVM Newsletter?",
    "IPVM is the authority on physical security technology including video surveillance, "
    "access control, weapons detection and more.",
    "Enter your email to get notified of new shootouts, tests, investigations, online "
    "shows and more.",
)
_IMAGE = "IPVM Image"
_COVERAGE_INTRO = (
    "IPVM has provided the most in-depth coverage of Hikvision and has been cited by most "
    "of the global publications listed above.",
    "Below is a selection of some of IPVM's most newsworthy Hikvision coverage:",
)
_FIRST_PUBLISHED = (
    "[Note: this directory is periodically updated and was first published in Summer 2019.]"
)
_COMMENTS = "Comments ({count}) : Subscribers only. Login. or Join."
_RELATED = "Loading Related Reports"


@dataclass(frozen=True)
class _Phrase:
    text: str
    topics: frozenset[str]
    countries: frozenset[str]
    places: int  # how many {p}/{q} slots


@dataclass(frozen=True)
class _Place:
    text: str
    countries: frozenset[str]


@dataclass(frozen=True)
class _Outlet:
    key: int  # one per outlet, whatever its spelling
    spellings: tuple[str, ...]


def _phrases(table: tuple[tuple[str, str, str], ...]) -> tuple[_Phrase, ...]:
    return tuple(
        _Phrase(
            text,
            frozenset(topics.split()),
            frozenset(countries.split()),
            text.count("{p}") + text.count("{q}"),
        )
        for text, topics, countries in table
    )


class _Reference:
    """The registry's outlets and countries, as the generator draws them."""

    def __init__(self, entries: int) -> None:
        registry = load_registry()
        names = _country_names(data_dir() / "country-terms.csv")
        busy = {outlet.country for outlet in registry.outlets}
        # A country is used only where its registry name is itself a plain name term
        # of the classifier's data, so the intended country is stated, not guessed;
        # China is referenced through the phrases ("Xinjiang"), never as a {p}.
        self.countries = tuple(
            _Place(country.name, frozenset({code}))
            for code, country in sorted(registry.countries.items())
            if country.name in names.get(code, ()) and code != "CN" and "(" not in country.name
        )
        weights = [_NEWSWORTHY_WEIGHT if p.countries <= busy else 1 for p in self.countries]
        self.country_weights = list(accumulate(weights))
        self.regions = tuple(_Place(region, frozenset()) for region in _REGIONS)
        self.registry_outlets = tuple(
            _Outlet(index, tuple(s for s in (o.name, *o.aliases) if _usable_outlet(s)))
            for index, o in enumerate(registry.outlets)
        )
        taken = {name_key(s) for o in registry.outlets for s in (o.name, *o.aliases)}
        taken_slugs = {o.slug for o in registry.outlets}
        wanted = min(_INVENTED_MAX, max(_INVENTED_MIN, entries // _INVENTED_PER_ENTRIES))
        invented: list[_Outlet] = []
        for name in _invented_names():
            if len(invented) == wanted:
                break
            if name_key(name) in taken or slugify(name) in taken_slugs:
                continue
            invented.append(_Outlet(len(self.registry_outlets) + len(invented), (name,)))
        self.invented_outlets = tuple(invented)


def _country_names(country_terms: Path) -> dict[str, set[str]]:
    names: dict[str, set[str]] = {}
    with country_terms.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["kind"] == "name" and not row["pattern"]:
                names.setdefault(row["code"], set()).add(row["term"])
    return names


def _usable_outlet(spelling: str) -> bool:
    # The parser reads a longer prefix, or one with a colon, as a sentence.
    return ":" not in spelling and len(spelling.split()) <= 6 and len(spelling) <= 48


def _invented_names() -> Iterator[str]:
    # Beats vary slowest, so the first few hundred names are the plainest ones.
    for beat in _OUTLET_BEATS:
        for title in _OUTLET_TITLES:
            for place in _OUTLET_PLACES:
                yield " ".join(part for part in (place, title, beat) if part)


def _zipf(count: int, exponent: float = 0.9) -> list[float]:
    # A few outlets publish most of the reports, as in the source.
    return list(accumulate(1.0 / (rank + 1) ** exponent for rank in range(count)))


def synthesize_with_labels(entries: int, seed: int = 0) -> Iterator[Line]:
    """Yield the lines of a synthetic directory text of *entries* entries, each with
    its kind and, for an entry, its intended :class:`Label`.

    The same *entries* and *seed* give the same lines in any process. Raises
    :class:`SynthError` when *entries* is below 1.
    """
    if entries < 1:
        raise SynthError(f"entries must be at least 1, not {entries}")
    rng = random.Random(f"hikgraph-synth:{seed}")
    reference = _Reference(entries)
    clauses = _phrases(_CLAUSES)
    qualifiers = _phrases(_QUALIFIERS)
    events = _phrases(_EVENTS)
    countries, country_weights = reference.countries, reference.country_weights
    total_country_weight = country_weights[-1]

    outlets = list(reference.registry_outlets)
    rng.shuffle(outlets)  # which registry outlets are the busy ones depends on the seed
    invented = list(reference.invented_outlets)
    registry_weights = _zipf(len(outlets))
    invented_weights = _zipf(len(invented))

    def place() -> _Place:
        if rng.random() < _REGION:
            return rng.choice(reference.regions)
        index = bisect_left(country_weights, rng.random() * total_country_weight)
        return countries[index]

    def compose(phrase: _Phrase) -> tuple[str, frozenset[str], frozenset[str]]:
        first = place()
        named = phrase.countries | first.countries
        if phrase.places == 2:
            second = place()
            while second.text == first.text:
                second = place()
            text = phrase.text.format(p=first.text, q=second.text)
            named = named | second.countries
        else:
            text = phrase.text.format(p=first.text)
        topics = phrase.topics
        return text[0].upper() + text[1:], topics, named

    yield Line(_HEADER_TITLE.format(seed=seed), "metadata")
    yield Line(f"By IPVM Team, Published {PUBLISHED}", "metadata")
    yield Line(_INTRO.format(entries=entries), "metadata")
    yield Line(_IMAGE, "furniture")

    mean = max(_MIN_MEAN_PER_MONTH, math.ceil(entries / _MONTHS_BUDGET))
    year, month = START_YEAR, START_MONTH
    written = 0
    while written < entries:
        if written and rng.random() < _SKIP_MONTH:
            year, month = _previous(year, month)
            continue
        if year < 1000:
            raise SynthError(f"{entries} entries do not fit in four-digit years")
        # News comes in bursts: a gamma-distributed count with the wanted mean.
        in_month = max(1, round(rng.gammavariate(2.0, mean / 2.0)))
        in_month = min(in_month, entries - written)
        yield Line(f"{_MONTH_NAMES[month]} {year}", "month")
        year_month = f"{year:04d}-{month:02d}"
        seen: set[tuple[int, str]] = set()
        for _ in range(in_month):
            written += 1
            outlet: _Outlet | None
            if rng.random() < _WITHOUT_OUTLET:
                outlet, phrase = None, rng.choice(events)
            else:
                pool, weights = (
                    (outlets, registry_weights)
                    if rng.random() < _REGISTRY_SHARE
                    else (invented, invented_weights)
                )
                outlet = pool[bisect_left(weights, rng.random() * weights[-1])]
                phrase = rng.choice(clauses)
            for attempt in count():
                headline, topics, named = compose(phrase)
                if outlet is not None and rng.random() < _QUALIFIED:
                    qualifier = rng.choice(qualifiers)
                    if not qualifier.topics <= topics:
                        headline += qualifier.text
                        topics, named = topics | qualifier.topics, named | qualifier.countries
                if rng.random() < _TITLE_CASE:
                    headline = " ".join(word[:1].upper() + word[1:] for word in headline.split())
                if attempt >= 50:
                    # Practically never: a busy outlet drew the same headline 50 times.
                    headline += f", update {attempt}"
                # Two lines with one slug (month, outlet, headline) would be duplicates.
                key = (outlet.key if outlet is not None else -1, _KEY.sub("", headline.lower()))
                if key not in seen:
                    seen.add(key)
                    break
            label = Label(
                year_month,
                None if outlet is None else rng.choice(outlet.spellings),
                headline,
                tuple(sorted(topics)),
                tuple(sorted(named)),
            )
            if label.outlet is None:
                yield Line(f"{headline}:", "entry", label)
                yield Line(_IMAGE, "furniture")
            else:
                chance = rng.random()
                if chance < _WITH_IMAGE:
                    yield Line(f"{label.outlet}: {headline}:", "entry", label)
                    yield Line(_IMAGE, "furniture")
                elif chance < _WITH_IMAGE + _WITH_NOTE:
                    note = rng.choice(_NOTES)
                    yield Line(f"{label.outlet}: {headline} ({note})", "entry", label)
                else:
                    yield Line(f"{label.outlet}: {headline}", "entry", label)
            if written == min(_NEWSLETTER_AFTER, entries):
                for text in _NEWSLETTER:
                    yield Line(text, "furniture")
        year, month = _previous(year, month)

    yield from _reports(entries, rng)


def _previous(year: int, month: int) -> tuple[int, int]:
    return (year, month - 1) if month > 1 else (year - 1, 12)


def _reports(entries: int, rng: random.Random) -> Iterator[Line]:
    yield Line("IPVM Coverage", "heading")
    for text in _COVERAGE_INTRO:
        yield Line(text, "furniture")
    for index in range(_COVERAGE_BASE + entries // _COVERAGE_PER_ENTRIES):
        yield Line(_numbered(_COVERAGE_TITLES, index), "coverage")
    yield Line(_FIRST_PUBLISHED, "note")
    citing = _CITING_BASE + entries // _CITING_PER_ENTRIES
    yield Line(f"{citing} report{'s' if citing != 1 else ''} cite this report:", "heading")
    span = (_CITING_LAST - _CITING_FIRST).days
    days = sorted((rng.randrange(span + 1) for _ in range(citing)), reverse=True)
    for index, day in enumerate(days):
        published = _CITING_FIRST + timedelta(days=day)
        when = f"{_MONTH_NAMES[published.month][:3]} {published.day:02d}, {published.year}"
        yield Line(f"{_numbered(_CITING_TITLES, index)} on {when}", "citing")
        if rng.random() < 0.9:
            yield Line(f"{rng.choice(_SNIPPETS)}...", "snippet")
    yield Line(_COMMENTS.format(count=rng.randrange(1, 40)), "furniture")
    yield Line(_RELATED, "furniture")


def _numbered(titles: tuple[str, ...], index: int) -> str:
    # Every report title is unique (reports are known by their title's slug).
    title = titles[index % len(titles)]
    return title if index < len(titles) else f"{title}, Part {index // len(titles) + 1}"


def synthesize(entries: int, seed: int = 0) -> Iterator[str]:
    """Yield the non-blank lines of a synthetic directory text (see
    :func:`synthesize_with_labels`). Raises :class:`SynthError` when *entries* < 1."""
    for line in synthesize_with_labels(entries, seed):
        yield line.text


def write_synthetic(
    path: Path, entries: int, seed: int = 0, labels_path: Path | None = None
) -> SynthSummary:
    """Write a synthetic directory text of *entries* entries to *path* and, if given,
    the intended labels to *labels_path* (CSV: month, outlet, headline, topics,
    countries, language; topics and countries space-separated, as in data/labels/).

    Lines are separated by blank lines, as in the shipped source. Each file is written
    to a temporary file beside it and renamed into place, so a failed run leaves no
    partial file. Returns a :class:`SynthSummary`. Raises :class:`SynthError` (one
    line, naming the file) for *entries* < 1, one path given twice, or a file that
    cannot be written.
    """
    if labels_path is not None and Path(labels_path).resolve() == Path(path).resolve():
        raise SynthError(f"the text and the labels cannot both be written to {path}")
    lines = synthesize_with_labels(entries, seed)  # raises before any file is touched
    first = next(lines)
    counts = {"entry": 0, "month": 0, "coverage": 0, "citing": 0}
    without_outlet = 0
    labels_file: AbstractContextManager[TextIO | None] = (
        _atomic(labels_path) if labels_path is not None else nullcontext(None)
    )
    with _atomic(path) as text, labels_file as labels:
        writer = csv.writer(labels, lineterminator="\n") if labels is not None else None
        if writer is not None:
            writer.writerow(("month", "outlet", "headline", "topics", "countries", "language"))
        text.write(first.text)
        buffer: list[str] = []
        for line in lines:
            buffer.append(line.text)
            if line.kind in counts:
                counts[line.kind] += 1
            label = line.label
            if label is not None:
                without_outlet += label.outlet is None
                if writer is not None:
                    writer.writerow(
                        (
                            label.month,
                            label.outlet or "",
                            label.headline,
                            " ".join(label.topics),
                            " ".join(label.countries),
                            "en",
                        )
                    )
            if len(buffer) >= 4096:
                text.write("\n\n" + "\n\n".join(buffer))
                buffer.clear()
        if buffer:
            text.write("\n\n" + "\n\n".join(buffer))
        text.write("\n")
    return SynthSummary(
        entries=counts["entry"],
        months=counts["month"],
        without_outlet=without_outlet,
        coverage=counts["coverage"],
        citing=counts["citing"],
    )


@contextmanager
def _atomic(path: Path) -> Iterator[TextIO]:
    # A temporary file beside *path*, renamed onto it only when the block succeeds.
    if path.is_dir():
        raise SynthError(f"cannot write {path}: it is a folder")
    try:
        descriptor, temporary = tempfile.mkstemp(
            prefix=f".{path.name}.", suffix=".tmp", dir=path.parent
        )
    except OSError as error:
        raise SynthError(f"cannot write {path}: {error.strerror}") from None
    try:
        # mkstemp makes the file private; give it the mode open() would have.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="\n") as handle:
            yield handle
        os.replace(temporary, path)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise SynthError(f"cannot write {path}: {error.strerror}") from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
