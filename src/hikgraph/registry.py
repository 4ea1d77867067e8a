"""Reference data: the outlet registry and the countries, and resolving raw names.

Both live in CSV files under ``data/`` that a reviewer reads in a diff. An outlet
name the registry does not know is never dropped and never fuzzily merged into a
different outlet: it becomes an outlet of its own, marked unreviewed.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from hikgraph.paths import data_dir
from hikgraph.slugs import name_key, slugify

OUTLET_KINDS = frozenset(
    {
        "newspaper",
        "broadcaster",
        "public-broadcaster",
        "news-agency",
        "magazine",
        "online-publication",
        "trade-publication",
        "think-tank",
        "ngo",
        "blog",
    }
)
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_QID = re.compile(r"^Q[1-9][0-9]*$")
_COUNTRY_CODE = re.compile(r"^[A-Z]{2}$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")
_ANNOTATION = re.compile(r"\s*\[[^\]]*\]\s*$")


class RegistryError(ValueError):
    """A registry file that cannot be used; the message names the file and line."""


@dataclass(frozen=True)
class Country:
    """A country by its ISO 3166-1 alpha-2 code."""

    code: str
    name: str
    wikidata: str | None


@dataclass(frozen=True)
class Outlet:
    """A news outlet (or other publisher) of directory entries."""

    slug: str
    name: str
    kind: str | None
    country: str | None
    language: str | None
    homepage: str | None
    wikidata: str | None
    aliases: tuple[str, ...]
    reviewed: bool = True


@dataclass(frozen=True)
class Registry:
    """The outlets and countries, with lookup of raw outlet names."""

    outlets: tuple[Outlet, ...]
    countries: dict[str, Country]
    _by_key: dict[str, Outlet]

    def resolve(self, raw_name: str) -> Outlet:
        """Return the outlet *raw_name* denotes.

        A name whose normalised key matches no alias gives a new outlet, marked
        ``reviewed=False``, named as written (less any "[annotation]").
        """
        key = name_key(raw_name)
        outlet = self._by_key.get(key) if key else None  # "!!!" names no outlet
        if outlet is not None:
            return outlet
        name = _ANNOTATION.sub("", raw_name).strip() or raw_name.strip()
        return Outlet(
            slug=slugify(name),
            name=name,
            kind=None,
            country=None,
            language=None,
            homepage=None,
            wikidata=None,
            aliases=(raw_name.strip(),),
            reviewed=False,
        )


def load_registry(outlets_csv: Path | None = None, countries_csv: Path | None = None) -> Registry:
    """Load the outlet registry and the countries from their CSV files.

    Defaults to ``data/outlets.csv`` and ``data/countries.csv``. Returns a
    :class:`Registry`. Raises :class:`RegistryError` naming the file and line of a
    malformed row, a duplicate slug or alias, or an outlet in an unknown country.
    """
    outlets_csv = outlets_csv or data_dir() / "outlets.csv"
    countries_csv = countries_csv or data_dir() / "countries.csv"
    countries = {c.code: c for c in _load_countries(countries_csv)}
    outlets = tuple(_load_outlets(outlets_csv, countries))
    by_key: dict[str, Outlet] = {}
    for outlet in outlets:
        for alias in (outlet.name, *outlet.aliases):
            key = name_key(alias)
            if not key:
                continue  # nothing to match a spelling by
            other = by_key.get(key)
            if other is not None and other.slug != outlet.slug:
                raise RegistryError(
                    f"{outlets_csv}: alias {alias!r} of {outlet.slug!r} "
                    f"is also an alias of {other.slug!r}"
                )
            by_key[key] = outlet
    return Registry(outlets, countries, by_key)


def _rows(path: Path, columns: Iterable[str]) -> Iterable[tuple[int, dict[str, str]]]:
    try:
        handle = path.open(encoding="utf-8", newline="")
    except OSError as error:
        raise RegistryError(f"{path}: cannot read: {error.strerror}") from None
    with handle:
        reader = csv.DictReader(handle)
        missing = set(columns) - set(reader.fieldnames or ())
        if missing:
            raise RegistryError(f"{path}:1: missing columns {', '.join(sorted(missing))}")
        for row in reader:
            if None in row or any(value is None for value in row.values()):
                raise RegistryError(f"{path}:{reader.line_num}: wrong number of fields")
            yield reader.line_num, {key: value.strip() for key, value in row.items()}


def _load_countries(path: Path) -> Iterable[Country]:
    seen: set[str] = set()
    for line, row in _rows(path, ("code", "name", "wikidata")):
        code = row["code"]
        if not _COUNTRY_CODE.match(code) or code in seen:
            raise RegistryError(f"{path}:{line}: bad or duplicate country code {code!r}")
        if row["wikidata"] and not _QID.match(row["wikidata"]):
            raise RegistryError(f"{path}:{line}: bad Wikidata id {row['wikidata']!r}")
        seen.add(code)
        yield Country(code, row["name"], row["wikidata"] or None)


def _load_outlets(path: Path, countries: dict[str, Country]) -> Iterable[Outlet]:
    columns = ("slug", "name", "kind", "country", "language", "homepage", "wikidata", "aliases")
    seen: set[str] = set()
    for line, row in _rows(path, columns):
        where = f"{path}:{line}"
        slug = row["slug"]
        if not _SLUG.match(slug) or slug in seen:
            raise RegistryError(f"{where}: bad or duplicate slug {slug!r}")
        if row["kind"] not in OUTLET_KINDS:
            raise RegistryError(f"{where}: unknown kind {row['kind']!r}")
        if row["country"] not in countries:
            raise RegistryError(f"{where}: unknown country {row['country']!r}")
        if not _LANGUAGE.match(row["language"]):
            raise RegistryError(f"{where}: bad language tag {row['language']!r}")
        if row["homepage"] and not row["homepage"].startswith(("https://", "http://")):
            raise RegistryError(f"{where}: homepage must be an http(s) URL")
        if row["wikidata"] and not _QID.match(row["wikidata"]):
            raise RegistryError(f"{where}: bad Wikidata id {row['wikidata']!r}")
        if not row["name"]:
            raise RegistryError(f"{where}: empty name")
        seen.add(slug)
        aliases = tuple(a.strip() for a in row["aliases"].split("|") if a.strip())
        yield Outlet(
            slug=slug,
            name=row["name"],
            kind=row["kind"],
            country=row["country"],
            language=row["language"],
            homepage=row["homepage"] or None,
            wikidata=row["wikidata"] or None,
            aliases=aliases,
        )
