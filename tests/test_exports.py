"""The exports: vocabulary, round trips through independent parsers, VoID, SHACL.

Counts asserted here were taken from the source text by hand; the graph is read back
from the written files with rdflib, Debian's rapper and jsonld.js, never from the
objects the build used.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import RDF, SKOS, XSD

from conftest import ROOT, require_tool

SCHEMA = Namespace("http://schema.org/")
HIK = Namespace("https://w3id.org/hikgraph/ontology#")
CITO = Namespace("http://purl.org/spar/cito/")
PROV = Namespace("http://www.w3.org/ns/prov#")
VOID = Namespace("http://rdfs.org/ns/void#")
DCAT = Namespace("http://www.w3.org/ns/dcat#")
ID = "https://w3id.org/hikgraph/id/"
FILES = {"hikgraph.ttl", "hikgraph.nt", "hikgraph.jsonld", "context.jsonld", "void.ttl"}
# The outlet–topic network and the timeline (tests/test_network.py checks them).
NETWORK_FILES = {
    "network.html",
    "network-metrics.json",
    "network.graphml",
    "network.gexf",
    "timeline.svg",
    "timeline.png",
}


@pytest.fixture(scope="module")
def graph(built: Path) -> Graph:
    return Graph().parse(built / "hikgraph.nt", format="nt")


def jsonld_graph(path: Path) -> Graph:
    """Parse a JSON-LD dump with rdflib, giving it the local context file."""
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["@context"] == "context.jsonld"
    context = json.loads((path.parent / "context.jsonld").read_text(encoding="utf-8"))
    document["@context"] = context["@context"]
    return Graph().parse(data=json.dumps(document), format="json-ld")


def entries(graph: Graph) -> set:
    return set(graph.subjects(RDF.type, SCHEMA.CreativeWork))


def test_build_writes_every_file(built: Path) -> None:
    assert {p.name for p in built.iterdir()} == FILES | NETWORK_FILES | {".derived.json"}


def test_counts_in_the_graph(graph: Graph) -> None:
    assert len(entries(graph)) == 184
    assert len(set(graph.subjects(RDF.type, SCHEMA.NewsArticle))) == 181
    months = {str(o) for e in entries(graph) for o in graph.objects(e, SCHEMA.datePublished)}
    assert len(months) == 54
    assert min(months) == "2016-09" and max(months) == "2022-05"
    publishers = {o for e in entries(graph) for o in graph.objects(e, SCHEMA.publisher)}
    assert len(publishers) == 83
    (directory,) = set(graph.subjects(SCHEMA.hasPart, None))
    assert len(set(graph.objects(directory, CITO.cites))) == 14
    assert len(set(graph.subjects(CITO.cites, directory))) == 4


def test_no_blank_nodes_anywhere(built: Path) -> None:
    for name in ("hikgraph.nt", "hikgraph.ttl", "void.ttl"):
        fmt = "nt" if name.endswith(".nt") else "turtle"
        g = Graph().parse(built / name, format=fmt)
        assert not [t for t in g if any(isinstance(term, BNode) for term in t)], name
    g = jsonld_graph(built / "hikgraph.jsonld")
    assert not [t for t in g if any(isinstance(term, BNode) for term in t)]


def test_entry_vocabulary(graph: Graph) -> None:
    # The slug rule: month, outlet slug, headline slug cut to 60 characters at a word
    # boundary, and (when cut) the first 6 hex digits of the headline's SHA-256.
    text = "Hikvision Sanctions Signal Uncharted Waters From UK To Vietnam"
    digest = hashlib.sha256(text.encode()).hexdigest()[:6]
    al_jazeera = URIRef(
        f"{ID}article/2022-05-al-jazeera-hikvision-sanctions-signal-uncharted-waters-from-uk-to-{digest}"
    )
    assert (al_jazeera, RDF.type, SCHEMA.NewsArticle) in graph
    assert (al_jazeera, SCHEMA.publisher, URIRef(ID + "outlet/al-jazeera")) in graph
    (headline,) = graph.objects(al_jazeera, SCHEMA.headline)
    assert str(headline) == "Hikvision Sanctions Signal Uncharted Waters From UK To Vietnam"
    assert headline.language == "en"
    (month,) = graph.objects(al_jazeera, SCHEMA.datePublished)
    assert (str(month), month.datatype) == ("2022-05", XSD.gYearMonth)
    assert (al_jazeera, HIK.sourceLine, Literal(11, datatype=XSD.positiveInteger)) in graph
    (source,) = graph.objects(al_jazeera, PROV.wasDerivedFrom)
    assert str(source) == ID + "source/ipvm-hikvision-news-directory-2022-05-13"
    (directory,) = graph.objects(al_jazeera, SCHEMA.isPartOf)
    assert str(directory) == ID + "directory/hikvision-global-news-reports-directory"


def test_entries_without_outlet_have_no_publisher(graph: Graph) -> None:
    events = [e for e in entries(graph) if (e, SCHEMA.publisher, None) not in graph]
    assert len(events) == 3
    for event in events:
        assert (event, RDF.type, SCHEMA.NewsArticle) not in graph
    headlines = {str(h) for e in events for h in graph.objects(e, SCHEMA.headline)}
    assert "Congressional Hearing Discusses Hikvision" in headlines


def test_editorial_note(graph: Graph) -> None:
    notes = [(s, str(o)) for s, o in graph.subject_objects(SKOS.editorialNote)]
    assert "Note: The NYPD later refuted that story." in {n for _, n in notes}


def test_directory_metadata(graph: Graph) -> None:
    directory = URIRef(ID + "directory/hikvision-global-news-reports-directory")
    assert (directory, RDF.type, SCHEMA.Report) in graph
    (published,) = graph.objects(directory, SCHEMA.datePublished)
    assert str(published) == "2022-05-13T07:40:00-04:00"
    assert published.datatype == XSD.dateTime
    assert (directory, SCHEMA.commentCount, Literal(2, datatype=XSD.integer)) in graph
    assert (directory, SCHEMA.author, URIRef(ID + "outlet/ipvm")) in graph
    assert len(set(graph.objects(directory, SCHEMA.hasPart))) == 184
    assert (directory, HIK.firstPublished, Literal("Summer 2019")) in graph


def test_outlets(graph: Graph) -> None:
    ft = URIRef(ID + "outlet/financial-times")
    assert (ft, RDF.type, SCHEMA.NewsMediaOrganization) in graph
    assert {str(n) for n in graph.objects(ft, HIK.spellingInSource)} == {"FT", "Financial Times"}
    assert (ft, SCHEMA.location, URIRef(ID + "country/GB")) in graph
    nyt = URIRef(ID + "outlet/new-york-times")
    assert (nyt, SCHEMA.sameAs, URIRef("http://www.wikidata.org/entity/Q9684")) in graph
    names = {str(n) for n in graph.objects(nyt, SCHEMA.alternateName)}
    assert {"NY Times", "NYTimes"} <= names
    assert set(graph.subjects(HIK.reviewed, Literal(False))) == set()


def test_countries(graph: Graph) -> None:
    gb = URIRef(ID + "country/GB")
    assert (gb, RDF.type, SCHEMA.Country) in graph
    assert (gb, SCHEMA.identifier, Literal("GB")) in graph
    assert (gb, SCHEMA.sameAs, URIRef("http://www.wikidata.org/entity/Q145")) in graph


def test_reports(graph: Graph) -> None:
    influence = URIRef(
        ID + "report/hikvision-chinese-government-exert-significant-influence-over-our-business"
    )
    assert (influence, RDF.type, SCHEMA.Report) in graph
    assert (influence, SCHEMA.publisher, URIRef(ID + "outlet/ipvm")) in graph
    history = URIRef(ID + "report/video-surveillance-history")
    assert (history, SCHEMA.datePublished, Literal("2020-12-15", datatype=XSD.date)) in graph
    directory = URIRef(ID + "directory/hikvision-global-news-reports-directory")
    assert (history, CITO.cites, directory) in graph
    assert (directory, CITO.cites, influence) in graph


def test_every_topic_and_country_has_evidence_that_indicates_it(graph: Graph) -> None:
    concepts = set(graph.subjects(RDF.type, SKOS.Concept))
    assert len(concepts) == 11
    for kind, link, indicates in (
        (HIK.TopicEvidence, SCHEMA.about, HIK.indicatesTopic),
        (HIK.CountryEvidence, SCHEMA.spatialCoverage, HIK.indicatesCountry),
    ):
        evidence = set(graph.subjects(RDF.type, kind))
        assert evidence
        for item in evidence:  # one match: one target, one rule, the words it matched
            assert len(list(graph.objects(item, indicates))) == 1
            assert len(list(graph.objects(item, HIK.rule))) == 1
            assert len(list(graph.objects(item, HIK.matchedText))) == 1
            assert str(item).startswith(ID + "evidence/")
        linked = {(a, e) for a, e in graph.subject_objects(HIK.evidence) if e in evidence}
        assert {e for _, e in linked} == evidence  # no evidence described but unused
        explained = {(a, t) for a, e in linked for t in graph.objects(e, indicates)}
        tagged = {
            (a, t)
            for a, t in graph.subject_objects(link)
            if (a, RDF.type, SCHEMA.CreativeWork) in graph
        }
        assert tagged == explained


def test_the_uk_lab_headline_carries_its_evidence(graph: Graph) -> None:
    # "Blacklisted Chinese Tech Found Inside Top Secret UK Lab" (Bloomberg, May 2022):
    # by the labelling guide, "Blacklisted" is sanctions and "UK" is GB.
    article = URIRef(
        ID + "article/2022-05-bloomberg-blacklisted-chinese-tech-found-inside-top-secret-uk-lab"
    )
    found = {
        (str(graph.value(e, HIK.rule)), str(graph.value(e, HIK.matchedText)))
        for e in graph.objects(article, HIK.evidence)
    }
    assert ("sanctions/term/blacklisted", "Blacklisted") in found
    assert ("GB/name/uk", "UK") in found


def test_turtle_and_jsonld_are_isomorphic_to_ntriples(built: Path, graph: Graph) -> None:
    assert isomorphic(graph, Graph().parse(built / "hikgraph.ttl", format="turtle"))
    assert isomorphic(graph, jsonld_graph(built / "hikgraph.jsonld"))


@pytest.mark.parametrize(
    ("name", "syntax"), [("hikgraph.ttl", "turtle"), ("hikgraph.nt", "ntriples")]
)
def test_rapper_reads_the_dumps(built: Path, graph: Graph, name: str, syntax: str) -> None:
    rapper = require_tool("rapper")
    result = subprocess.run(
        [
            rapper,
            "-q",
            "-i",
            syntax,
            "-o",
            "ntriples",
            str(built / name),
            "https://w3id.org/hikgraph/",
        ],
        capture_output=True,
        check=True,
    )
    assert isomorphic(graph, Graph().parse(data=result.stdout.decode("utf-8"), format="nt"))


def test_jsonld_js_reads_the_jsonld_dump(built: Path, graph: Graph) -> None:
    node = require_tool("node")
    script = ROOT / "tests" / "js" / "jsonld-to-nquads.mjs"
    if not (ROOT / "tests" / "js" / "node_modules" / "jsonld").is_dir():
        pytest.fail("jsonld.js is not installed: run `npm ci --prefix tests/js` (.ci/run does)")
    result = subprocess.run(
        [node, str(script), str(built / "hikgraph.jsonld")], capture_output=True, check=True
    )
    from_js = Graph().parse(data=result.stdout.decode("utf-8"), format="nt")
    assert isomorphic(graph, from_js)


def test_void_describes_the_dumps(built: Path, graph: Graph) -> None:
    void = Graph().parse(built / "void.ttl", format="turtle")
    dataset = URIRef("https://w3id.org/hikgraph/dataset")
    (triples,) = void.objects(dataset, VOID.triples)
    assert int(triples) == len(graph)
    (modified,) = void.objects(dataset, URIRef("http://purl.org/dc/terms/modified"))
    assert str(modified) == "2022-05-13T07:40:00-04:00"
    partitions = {
        str(void.value(p, VOID["class"])): int(void.value(p, VOID.entities))
        for p in void.objects(dataset, VOID.classPartition)
    }
    assert partitions[str(SCHEMA.CreativeWork)] == 184
    assert partitions[str(SCHEMA.Country)] == len(set(graph.subjects(RDF.type, SCHEMA.Country)))
    distributions = list(void.objects(dataset, DCAT.distribution))
    assert len(distributions) == 3
    for distribution in distributions:
        url = str(void.value(distribution, DCAT.downloadURL))
        content = (built / url.rsplit("/", 1)[1]).read_bytes()
        assert int(void.value(distribution, DCAT.byteSize)) == len(content)
        assert str(void.value(distribution, SCHEMA.sha256)) == hashlib.sha256(content).hexdigest()
        assert void.value(distribution, DCAT.mediaType) is not None


def test_exports_conform_to_shapes(built: Path) -> None:
    from hikgraph.validate import validate_file

    for name in ("hikgraph.nt", "hikgraph.ttl", "hikgraph.jsonld"):
        result = validate_file(built / name)
        assert result.conforms, result.report


def _validate_without_one_line(built: Path, tmp_path: Path, dropped: Callable[[str], bool]) -> Any:
    """Validate hikgraph.nt less the one line *dropped* picks; return the result."""
    from hikgraph.validate import validate_file

    lines = (built / "hikgraph.nt").read_text(encoding="utf-8").splitlines()
    kept = [line for line in lines if not dropped(line)]
    assert len(kept) == len(lines) - 1
    broken = tmp_path / "broken.nt"
    broken.write_text("\n".join(kept) + "\n", encoding="utf-8")
    return validate_file(broken)


def test_shapes_catch_a_broken_graph(built: Path, tmp_path: Path) -> None:
    result = _validate_without_one_line(
        built,
        tmp_path,
        lambda line: "<http://schema.org/headline>" in line and "2022-05-al" in line,
    )
    assert not result.conforms
    assert result.violations == 1
    assert "headline" in result.report


def test_shapes_catch_a_topic_without_evidence(built: Path, tmp_path: Path) -> None:
    # Drop the one evidence link of the Al Jazeera sanctions headline to its
    # "Sanctions" match: its schema:about topic:sanctions is then unexplained.
    result = _validate_without_one_line(
        built,
        tmp_path,
        lambda line: (
            "ontology#evidence>" in line
            and "2022-05-al-jazeera" in line
            and "/evidence/sanctions-term-sanctions-sanctions-" in line
        ),
    )
    assert not result.conforms
    assert result.violations == 1
    assert "has no hik:evidence that indicates it" in result.report


def test_chunk_writer_writes_what_oxigraphs_own_writer_writes_for_hard_literals() -> None:
    # The build writes each chunk's N-Triples from the terms' own N-Triples form, not
    # through Oxigraph's writer: the bytes must be the writer's, escapes included, and
    # the Turtle body must be the same graph.
    import pyoxigraph as ox

    from hikgraph.export import serialize_chunk, turtle_header

    article = ox.NamedNode("https://w3id.org/hikgraph/id/article/2020-01-x")
    headline = ox.NamedNode("http://schema.org/headline")
    texts = [
        'a "quoted" word and a back\\slash',
        "line\nbreak, tab\t, return\r",
        "controls \x00\x01\x7f, next line \x85, separator \u2028, BOM \ufeff",
        "é, 中文, 😀, RTL \u202e",
    ]
    triples = [ox.Triple(article, headline, ox.Literal(text, language="en")) for text in texts]
    triples += [
        ox.Triple(article, headline, ox.Literal("plain")),
        ox.Triple(
            article,
            ox.NamedNode("https://w3id.org/hikgraph/ontology#sourceLine"),
            ox.Literal("45", datatype=ox.NamedNode(str(XSD.positiveInteger))),
        ),
        ox.Triple(article, ox.NamedNode(str(RDF.type)), ox.NamedNode("http://schema.org/Thing")),
    ]
    ntriples, turtle = serialize_chunk(triples)
    assert ntriples == ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
    assert serialize_chunk([(t.subject, t.predicate, t.object) for t in triples]) == (
        ntriples,
        turtle,
    )
    parsed = list(ox.parse(turtle_header() + turtle, format=ox.RdfFormat.TURTLE))
    assert sorted(map(str, parsed)) == sorted(map(str, triples))
    by_rdflib = Graph().parse(data=(turtle_header() + turtle).decode(), format="turtle")
    assert len(by_rdflib) == len(triples)


def test_chunk_writer_names_each_predicate_right_when_terms_are_made_on_the_fly() -> None:
    # A Triple hands out a new term object at each unpacking, freed after its line:
    # its id() is soon another term's. Many predicates in turn must each be written
    # as itself, as Oxigraph's own writer writes them.
    import pyoxigraph as ox

    from hikgraph.export import serialize_chunk

    predicates = [ox.NamedNode(f"http://example.org/p{i}") for i in range(7)]
    triples = [
        ox.Triple(
            ox.NamedNode(f"http://example.org/s{i // 3}"),
            predicates[(i * 5) % 7],
            ox.Literal(str(i)),
        )
        for i in range(3000)
    ]
    fresh = ((t.subject, ox.NamedNode(t.predicate.value), t.object) for t in triples)
    expected = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
    assert serialize_chunk(triples)[0] == expected
    assert serialize_chunk(fresh)[0] == expected


def test_chunk_writer_writes_each_object_as_itself_shared_or_made_on_the_fly() -> None:
    # Objects shared by many triples are written once and remembered by id(): an IRI
    # that is also a predicate, objects made anew for each triple (their ids soon
    # another term's) and literals between them must each be written as themselves,
    # as Oxigraph's own writer writes them.
    import pyoxigraph as ox

    from hikgraph.export import serialize_chunk

    knows = ox.NamedNode("http://example.org/knows")
    a = ox.NamedNode(str(RDF.type))
    shared = [ox.NamedNode(f"http://example.org/o{i}") for i in range(5)]
    objects = [*shared, knows, a, ox.Literal("x"), ox.Literal("1")]
    terms = [
        (ox.NamedNode(f"http://example.org/s{i // 4}"), knows if i % 3 else a, objects[i % 9])
        for i in range(4000)
    ]
    expected = ox.serialize([ox.Triple(*t) for t in terms], format=ox.RdfFormat.N_TRIPLES)
    assert serialize_chunk(terms)[0] == expected
    fresh = (
        (s, p, ox.NamedNode(f"http://example.org/n{i}") if i % 2 else o)
        for i, (s, p, o) in enumerate(terms)
    )
    assert serialize_chunk(fresh)[0] == ox.serialize(
        [
            ox.Triple(s, p, ox.NamedNode(f"http://example.org/n{i}") if i % 2 else o)
            for i, (s, p, o) in enumerate(terms)
        ],
        format=ox.RdfFormat.N_TRIPLES,
    )


def _chunk_files(folder: Path) -> list[tuple[Path, Path]]:
    # Three chunks' N-Triples and Turtle files, one of them empty, the last large
    # enough to take several reads when copied block by block.
    from hikgraph import export

    folder.mkdir()
    contents = [
        (b'<http://example.org/a> <http://example.org/p> "1" .\n', b"<a> <p> 1 .\n"),
        (b"", b""),
        (os.urandom(export._BLOCK + 12345), os.urandom(export._BLOCK // 3)),
    ]
    files = []
    for number, (ntriples, turtle) in enumerate(contents):
        nt, ttl = folder / f"{number}.nt", folder / f"{number}.ttl"
        nt.write_bytes(ntriples)
        ttl.write_bytes(turtle)
        files.append((nt, ttl))
    return files


def _append_all(folder: Path, files: list[tuple[Path, Path]]) -> tuple[bytes, bytes, Any]:
    from hikgraph.export import DumpWriter

    folder.mkdir()
    with DumpWriter(folder) as dumps:
        dumps.write(b'<http://example.org/head> <http://example.org/p> "h" .\n', b"head\n")
        for ntriples, turtle in files:
            dumps.append(ntriples, turtle)
        dumps.write(b'<http://example.org/tail> <http://example.org/p> "t" .\n', b"tail\n")
        described = dumps.files()
    return (folder / "hikgraph.nt").read_bytes(), (folder / "hikgraph.ttl").read_bytes(), described


@pytest.mark.parametrize("copying", ["kernel", "refused", "missing"])
def test_dump_writer_appends_chunk_files_whole_and_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, copying: str
) -> None:
    # The chunk files are copied by the kernel where it can; where it refuses (another
    # file system) or there is no such call (not Linux), block by block: the same
    # bytes, sizes and SHA-256 either way.
    from hikgraph.export import turtle_header

    files = _chunk_files(tmp_path / "chunks")
    calls: list[int] = []
    copy = os.copy_file_range

    def counted(*args: int) -> int:
        calls.append(1)
        return copy(*args)

    def refused(*args: int) -> int:
        calls.append(1)
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    if copying == "kernel":
        monkeypatch.setattr(os, "copy_file_range", counted)
    elif copying == "refused":
        monkeypatch.setattr(os, "copy_file_range", refused)
    else:
        monkeypatch.delattr(os, "copy_file_range")
    ntriples, turtle, (nt_file, ttl_file) = _append_all(tmp_path / "out", files)
    assert (len(calls) > 0) == (copying != "missing")
    head = b'<http://example.org/head> <http://example.org/p> "h" .\n'
    tail = b'<http://example.org/tail> <http://example.org/p> "t" .\n'
    assert ntriples == head + b"".join(nt.read_bytes() for nt, _ in files) + tail
    assert turtle == (
        turtle_header() + b"head\n" + b"".join(ttl.read_bytes() for _, ttl in files) + b"tail\n"
    )
    assert (nt_file.size, nt_file.sha256) == (len(ntriples), hashlib.sha256(ntriples).hexdigest())
    assert (ttl_file.size, ttl_file.sha256) == (len(turtle), hashlib.sha256(turtle).hexdigest())


def test_dump_writer_fails_on_a_copy_error_it_cannot_work_around(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing(*args: int) -> int:
        raise OSError(errno.EIO, "Input/output error")

    files = _chunk_files(tmp_path / "chunks")
    monkeypatch.setattr(os, "copy_file_range", failing)
    with pytest.raises(OSError, match="Input/output error"):
        _append_all(tmp_path / "out", files)
