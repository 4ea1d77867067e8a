"""Outlet resolution: every spelling group is one outlet; near-misses stay apart."""

from __future__ import annotations

from pathlib import Path

import pytest

from hikgraph.directory import read_directory
from hikgraph.registry import RegistryError, load_registry
from hikgraph.slugs import name_key, slugify

ALIAS_GROUPS = [
    ["FT", "Financial Times"],
    ["NY Times", "NYTimes", "New York Times", "The New York Times"],
    ["SCMP", "South China Morning Post"],
    ["UK Telegraph", "The Telegraph", "The Telegraph UK"],
    ["Nikkei Asian Review", "NIKKEI Asian Review", "Asian Nikkei Review", "Nikkei Asia"],
    ["Syndey Morning Herald", "Sydney Morning Herald"],
    ["Aktualne [Czech]", "Aktualne", "Aktuálně.cz"],
    ["Times UK", "The Times UK", "The Times"],
    ["UK Daily Mail", "The Daily Mail", "Daily Mail"],
    ["BBC", "BBC News"],
    ["Techcrunch", "TechCrunch"],
    ["BuzzFeed News", "Buzzfeed News"],
    ["WSJ", "Wall Street Journal", "The Wall Street Journal"],
    ["Daily Maverick", "Daily Maverick South Africa"],
    ["Wired Italia", "Wired Italy"],
]

NEAR_MISSES = [
    ("Wired", "Wired Italia"),
    ("Asia Times", "The Times"),
    ("Asia Times", "Nikkei Asia"),
    ("Mail on Sunday", "Daily Mail"),
    ("Taipei Times", "Japan Times"),
    ("Epoch Times", "New York Times"),
    ("ABC News", "Australia ABC News"),
    ("BBC News", "NBC15"),
    ("The Sun", "The Times"),
]


@pytest.fixture(scope="module")
def registry():
    return load_registry()


@pytest.mark.parametrize("group", ALIAS_GROUPS, ids=lambda g: g[0])
def test_alias_group_resolves_to_one_reviewed_outlet(registry, group: list[str]) -> None:
    outlets = {registry.resolve(name) for name in group}
    assert len(outlets) == 1
    (outlet,) = outlets
    assert outlet.reviewed


@pytest.mark.parametrize(("first", "second"), NEAR_MISSES)
def test_near_misses_stay_apart(registry, first: str, second: str) -> None:
    assert registry.resolve(first).slug != registry.resolve(second).slug


def test_unknown_name_becomes_its_own_unreviewed_outlet(registry) -> None:
    wired = registry.resolve("Wired")
    assert not wired.reviewed
    assert (wired.slug, wired.name, wired.aliases) == ("wired", "Wired", ("Wired",))
    annotated = registry.resolve("Le Temps [Swiss]")
    assert (annotated.slug, annotated.name, annotated.reviewed) == ("le-temps", "Le Temps", False)


def test_every_source_spelling_is_in_the_registry(registry, source: Path) -> None:
    spellings = {e.outlet for e in read_directory(source).entries if e.outlet}
    assert len(spellings) == 99
    unknown = sorted(s for s in spellings if not registry.resolve(s).reviewed)
    assert unknown == []


def test_registry_rows_are_complete(registry) -> None:
    for outlet in registry.outlets:
        assert outlet.country in registry.countries
        assert outlet.kind
        assert outlet.homepage and outlet.homepage.startswith("https://")
    assert registry.countries["GB"].name == "United Kingdom"
    assert registry.countries["US"].wikidata == "Q30"
    assert registry.countries["CN"].wikidata == "Q148"
    assert len(registry.countries) == 249


def test_name_key_and_slug() -> None:
    assert name_key("The Telegraph") == name_key("telegraph") == "telegraph"
    assert name_key("Aktualne [Czech]") == name_key("Aktuálně") == "aktualne"
    assert name_key("Wired") != name_key("Wired Italia")
    assert slugify("Vidéosurveillance: une société") == "videosurveillance-une-societe"
    with pytest.raises(ValueError, match="no letters or digits"):
        slugify("‘’ — …")


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


HEADER = "slug,name,kind,country,language,homepage,wikidata,aliases\n"
COUNTRIES = "code,name,wikidata\nGB,United Kingdom,Q145\nUS,United States,Q30\n"


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (
            "a,A,newspaper,GB,en,https://a.example,,A\nb,B,newspaper,GB,en,,,the a\n",
            "also an alias",
        ),
        ("a,A,newspaper,GB,en,,,\na,B,newspaper,GB,en,,,\n", "duplicate slug"),
        ("a,A,tabloid,GB,en,,,\n", "unknown kind"),
        ("a,A,newspaper,XX,en,,,\n", "unknown country"),
        ("a,A,newspaper,GB,English,,,\n", "bad language tag"),
        ("a,A,newspaper,GB,en,ftp://a,,\n", "homepage"),
        ("a,A,newspaper,GB,en,,123,\n", "bad Wikidata id"),
        ("A B,A,newspaper,GB,en,,,\n", "bad or duplicate slug"),
        ("a,A,newspaper,GB\n", "wrong number of fields"),
    ],
)
def test_malformed_registry_names_file_and_line(tmp_path: Path, rows: str, message: str) -> None:
    outlets = write(tmp_path / "outlets.csv", HEADER + rows)
    countries = write(tmp_path / "countries.csv", COUNTRIES)
    with pytest.raises(RegistryError, match=message) as caught:
        load_registry(outlets, countries)
    assert str(caught.value).startswith(str(outlets))


def test_malformed_countries(tmp_path: Path) -> None:
    outlets = write(tmp_path / "outlets.csv", HEADER)
    countries = write(tmp_path / "countries.csv", "code,name,wikidata\ngb,x,\n")
    with pytest.raises(RegistryError, match=r"countries\.csv:2: bad or duplicate country code"):
        load_registry(outlets, countries)
    with pytest.raises(RegistryError, match="cannot read"):
        load_registry(outlets, tmp_path / "missing.csv")
    missing_column = write(tmp_path / "c2.csv", "code,name\nGB,x\n")
    with pytest.raises(RegistryError, match="missing columns wikidata"):
        load_registry(outlets, missing_column)


def test_a_name_in_another_script_is_its_own_outlet_not_caixin() -> None:
    # Caixin's registry alias "财新" has no Latin letters; other such names used to
    # share its empty key and so resolved to Caixin.
    registry = load_registry()
    assert registry.resolve("财新").slug == "caixin"
    other = registry.resolve("中文媒体")
    assert other.slug != "caixin" and not other.reviewed
    assert other.name == "中文媒体"
    assert registry.resolve("中文媒体") == other  # the same slug every time
    with pytest.raises(ValueError, match="no letters or digits"):
        registry.resolve("!!!")


def test_a_headline_or_outlet_without_letters_fails_the_plan_at_its_line(tmp_path: Path) -> None:
    from hikgraph.directory import DirectoryError
    from hikgraph.enrich import plan

    text = (
        "Hikvision Global News Reports Directory\n\n"
        "By IPVM Team, Published May 13, 2022, 07:40am EDT\n\n"
        "May 2022\n\n"
        "中文媒体: 海康威视被列入实体清单\n\n"
        "!!!: Hikvision results\n"
    )
    source = tmp_path / "directory.txt"
    source.write_text(text, encoding="utf-8")
    with pytest.raises(DirectoryError) as caught:
        plan([read_directory(source)], load_registry())
    assert caught.value.line == 9
    assert "'!!!'" in str(caught.value)
    source.write_text(text.replace("!!!: Hikvision results\n", ""), encoding="utf-8")
    (entry,) = plan([read_directory(source)], load_registry()).entries
    assert entry.outlet is not None and entry.outlet.name == "中文媒体"
    assert entry.slug.startswith(f"2022-05-{entry.outlet.slug}-u")
