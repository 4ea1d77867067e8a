"""The ``hikgraph`` command line: parses options, calls library functions, prints.

Exit codes: 0 ok, 1 data or validation failure, 2 usage error. Data goes to stdout;
progress, warnings and errors go to stderr.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from hikgraph import __version__

F = TypeVar("F", bound=Callable[..., Any])

EXIT_OK = 0
EXIT_DATA = 1
EXIT_USAGE = 2


class DataFailure(click.ClickException):
    """A data or validation failure: one line on stderr, exit code 1."""

    exit_code = EXIT_DATA

    def show(self, file: object = None) -> None:
        click.echo(f"hikgraph: error: {self.format_message()}", err=True)


class UsageFailure(click.UsageError):
    """A usage error found after parsing (a bad value, an unwritable path): one line
    on stderr, exit code 2."""

    exit_code = EXIT_USAGE

    def show(self, file: object = None) -> None:
        click.echo(f"hikgraph: error: {self.format_message()}", err=True)


def _format_option(*choices: str) -> Callable[[F], F]:
    return click.option(
        "--format",
        "output_format",
        type=click.Choice(choices),
        default=choices[0],
        show_default=True,
        help="How to print the result.",
    )


def _graph_option(verb: str) -> Callable[[F], F]:
    return click.option(
        "--graph",
        "graph_path",
        type=click.Path(path_type=Path, dir_okay=False),
        default=None,
        help=f"N-Triples file to {verb} [default: exports/hikgraph.nt].",
    )


@click.group(
    epilog="""Exit codes: 0 ok, 1 data or validation failure, 2 usage error.

\b
Example:
    hikgraph build && hikgraph stats"""
)
@click.version_option(__version__, prog_name="hikgraph")
def main() -> None:
    """Build, validate and describe the hikgraph knowledge graph of IPVM's
    Hikvision Global News Reports Directory."""


#: Unreviewed outlet names a build's warning names before it says "and N more".
_NAMES_SHOWN = 10


@main.command(
    epilog="""\b
Example:
    hikgraph build
    hikgraph build later-edition.txt --out /tmp/hikgraph-exports --strict
    hikgraph build big.txt --out /tmp/big --no-store
    hikgraph push --endpoint http://127.0.0.1:8890/sparql-graph-crud-auth --exports /tmp/big"""
)
@click.argument("sources", nargs=-1, type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Folder to write the exports to [default: exports/ of the checkout].",
)
@click.option("--strict", is_flag=True, help="Fail (exit 1) on any parser warning.")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Processes that classify and serialise a large directory [default: CPU count].",
)
@click.option(
    "--json-summary",
    "json_summary",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Also write the counts, seconds and peak memory of each stage to this JSON file.",
)
@click.option(
    "--store/--no-store",
    default=True,
    help="Load the embedded query store (and draw the network files from it). "
    "--no-store writes the dumps only, for pushing them to another store; the first "
    "`hikgraph query` or `serve` then loads it. [default: --store]",
)
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors (and no progress).")
def build(
    sources: tuple[Path, ...],
    out_dir: Path | None,
    strict: bool,
    workers: int | None,
    json_summary: Path | None,
    store: bool,
    quiet: bool,
) -> None:
    """Parse directory texts and write the graph's exports.

    Reads SOURCES (default: data/sources/*.txt), resolves outlets, classifies
    headlines, validates the graph against ontology/shapes.ttl and writes
    hikgraph.ttl, hikgraph.nt, hikgraph.jsonld, context.jsonld, void.ttl and the
    network files, and loads the query store. The previous exports are left
    untouched if anything fails.

    Entries stream through in chunks, so a million-entry directory builds in a few
    GB of memory. Classifications are cached (HIKGRAPH_CACHE_DIR), so a rebuild
    classifies only new headlines. Past 500 entries, SHACL checks and
    hikgraph.jsonld hold an even sample of 500 entries (a note says so; the VoID
    describes the sample). Progress bars appear on stderr when it is a terminal.
    """
    from hikgraph.build import BuildError
    from hikgraph.build import build as run_build
    from hikgraph.directory import DirectoryError
    from hikgraph.progress import wanted
    from hikgraph.registry import RegistryError

    try:
        result = run_build(
            list(sources) or None,
            out_dir,
            strict=strict,
            progress=wanted(quiet),
            workers=workers,
            store=store,
        )
    except (DirectoryError, BuildError, RegistryError, ValueError) as error:
        raise DataFailure(str(error)) from None
    if json_summary is not None:
        try:
            json_summary.write_text(json.dumps(result.as_json(), indent=2) + "\n")
        except OSError as error:
            raise DataFailure(f"{json_summary}: {error.strerror or error}") from None
    if not quiet:
        for note in result.notes:
            click.echo(f"note: {note}", err=True)
        for warning in result.warnings:
            click.echo(str(warning), err=True)
        if result.unreviewed:
            names = ", ".join(o.name for o in result.unreviewed[:_NAMES_SHOWN])
            if len(result.unreviewed) > _NAMES_SHOWN:
                # A large directory has thousands; `hikgraph stats` lists them all.
                names += f" and {len(result.unreviewed) - _NAMES_SHOWN} more (hikgraph stats)"
            click.echo(
                f"warning: {len(result.unreviewed)} outlet name(s) not in data/outlets.csv, "
                f"published as unreviewed outlets: {names}",
                err=True,
            )
        click.echo(result.summary(), err=True)


@main.command(
    epilog="""\b
Example:
    hikgraph validate
    hikgraph validate exports/hikgraph.jsonld"""
)
@click.argument(
    "path",
    type=click.Path(path_type=Path, dir_okay=False),
    required=False,
)
@click.option("--quiet", "-q", is_flag=True, help="Print nothing; use the exit code.")
def validate(path: Path | None, quiet: bool) -> None:
    """Check a graph against the SHACL shapes (ontology/shapes.ttl) with pySHACL.

    PATH is an .nt, .ttl or .jsonld file (default: exports/hikgraph.nt). Exit 0
    when it conforms, 1 when it does not (the report goes to stdout).
    """
    from hikgraph.paths import default_exports_dir
    from hikgraph.validate import validate_file

    target = path or default_exports_dir() / "hikgraph.nt"
    try:
        result = validate_file(target)
    except ValueError as error:
        raise DataFailure(str(error)) from None
    if result.conforms:
        if not quiet:
            click.echo(f"{target}: conforms to the SHACL shapes")
        return
    if not quiet:
        click.echo(result.report)
    raise DataFailure(f"{target}: {result.violations} SHACL violation(s)")


@main.command(
    epilog="""\b
Example:
    hikgraph stats
    hikgraph stats --format json
    hikgraph stats --topics
    hikgraph stats --topics --sealed
    hikgraph stats --network"""
)
@_graph_option("describe")
@click.option(
    "--network",
    is_flag=True,
    help="Print the outlet–topic network's analytics instead: weighted degree, "
    "betweenness, topic co-occurrence and communities (as network-metrics.json).",
)
@click.option(
    "--topics",
    is_flag=True,
    help="Also score the classifier against the human labels in data/labels/: "
    "precision, recall and F1 per topic and for countries, per split.",
)
@click.option(
    "--sealed",
    is_flag=True,
    help="With --topics, also score the sealed test sets (data/labels/sealed-*.csv), "
    "left out otherwise: a sealed set is scored once, at the end. The spent sets "
    "batch4 to batch16 are training data now and always listed.",
)
@_format_option("text", "json")
def stats(
    graph_path: Path | None, network: bool, topics: bool, sealed: bool, output_format: str
) -> None:
    """Print the graph's figures: entries, months, outlets, unreviewed outlet
    names, entries per topic and the entries no topic matched.

    With --topics, also the classifier's quality on each labelled split, each marked
    with what it is: the topic model is trained on every split listed without
    --sealed (seed.csv, unseen.csv, the train-2026 files and the spent sealed sets),
    so none of them is an honest estimate. The honest figures are the
    grouped cross-validation recorded in data/topic-model.json and the sealed test
    set (--sealed, scored once); docs/labelling-guide.md keeps the history.
    """
    from hikgraph.paths import data_dir, default_exports_dir
    from hikgraph.stats import (
        classifier_quality,
        format_stats,
        graph_stats,
        load_store,
        quality_as_dict,
    )

    target = graph_path or default_exports_dir() / "hikgraph.nt"
    if network:
        from hikgraph.network import read_network
        from hikgraph.network_analysis import format_metrics, network_metrics

        try:
            metrics = network_metrics(read_network(load_store(target)))
        except ValueError as error:
            raise DataFailure(str(error)) from None
        if output_format == "json":
            click.echo(json.dumps(metrics, indent=2, ensure_ascii=False, sort_keys=True))
        else:
            click.echo(format_metrics(metrics))
        return
    try:
        figures = graph_stats(load_store(target))
        quality = classifier_quality(data_dir() / "labels", sealed=sealed) if topics else []
    except ValueError as error:
        raise DataFailure(str(error)) from None
    if output_format == "json":
        document: dict[str, object] = figures.as_dict()
        if topics:
            document["classifier_quality"] = [quality_as_dict(r) for r in quality]
        click.echo(json.dumps(document, indent=2, ensure_ascii=False))
        return
    click.echo(format_stats(figures))
    if topics:
        from hikgraph.evaluation import format_report

        for report in quality:
            click.echo("")
            click.echo(format_report(report))


@main.command(
    epilog="""\b
Example:
    hikgraph viz
    hikgraph viz --out /tmp/hikgraph-view --include countries --include articles"""
)
@_graph_option("draw")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Folder to write network.html to [default: exports/ of the checkout].",
)
@click.option(
    "--include",
    "layers",
    multiple=True,
    type=click.Choice(["countries", "articles"]),
    help="Add a layer: outlet → country links, or the entries as nodes between "
    "outlets and topics. Repeat for both.",
)
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")
def viz(
    graph_path: Path | None, out_dir: Path | None, layers: tuple[str, ...], quiet: bool
) -> None:
    """Write network.html: the interactive outlet–topic network of the graph.

    One self-contained file that opens from disk in any browser with no network:
    node size by entries, colour by kind, plain-text tooltips, search, filters by
    year, topic and outlet country, the network's analytics and the timeline.
    `hikgraph build` writes the same page (without layers) into exports/.
    """
    from hikgraph.network import write_page
    from hikgraph.paths import default_exports_dir

    graph = graph_path or default_exports_dir() / "hikgraph.nt"
    try:
        target = write_page(graph, out_dir or default_exports_dir(), layers)
    except ValueError as error:
        raise DataFailure(str(error)) from None
    if not quiet:
        click.echo(f"wrote {target}", err=True)


@main.command(
    epilog="""\b
Example:
    hikgraph explain whitehall
    hikgraph explain 2022-05-the-wire-china-the-hikvision-tipping-point --format json"""
)
@click.argument("article")
@_graph_option("read")
@_format_option("text", "json")
def explain(article: str, graph_path: Path | None, output_format: str) -> None:
    """Say why an article has its topics and countries: the rules that fired and
    the words of the headline they matched, as recorded in the graph.

    ARTICLE is an article IRI, its slug, or words that all occur in the headline
    (every matching article is explained). Exit 1 when nothing matches.
    """
    from dataclasses import asdict

    from hikgraph.explain import explain as explain_article
    from hikgraph.explain import find_articles, format_explanation
    from hikgraph.paths import default_exports_dir
    from hikgraph.stats import load_store

    target = graph_path or default_exports_dir() / "hikgraph.nt"
    try:
        store = load_store(target)
    except ValueError as error:
        raise DataFailure(str(error)) from None
    found = find_articles(store, article)
    if not found:
        raise DataFailure(f"no article matches {article!r} in {target}")
    explanations = [explain_article(store, iri) for iri in found]
    if output_format == "json":
        document = [asdict(e) for e in explanations]
        click.echo(json.dumps(document, indent=2, ensure_ascii=False))
    else:
        click.echo("\n\n".join(format_explanation(e) for e in explanations))


def _check_base_url(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    from hikgraph.publish_rules import check_base_url

    try:
        return check_base_url(value) if value else None
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


@main.command(
    epilog="""\b
Example:
    hikgraph publish
    hikgraph publish --out /tmp/hikgraph-site --base-url https://example.org/hikgraph/"""
)
@click.option(
    "--exports",
    "exports_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Folder of exports to publish [default: exports/ of the checkout].",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Folder to write the site to; replaced whole, and only if publish wrote it "
    "[default: site/ beside exports/].",
)
@click.option(
    "--base-url",
    callback=_check_base_url,
    default=None,
    help="URL the site will be served at: links become absolute for that host and "
    "w3id.org/hikgraph/.htaccess (the redirect to register) is written. Without it, "
    "links are relative and the site browses from disk.",
)
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")
def publish(
    exports_dir: Path | None, out_dir: Path | None, base_url: str | None, quiet: bool
) -> None:
    """Write a static linked-data site of the graph: a page per resource (HTML
    with schema.org JSON-LD, Turtle, JSON-LD, N-Triples), a landing page with
    downloads, the ontology's documentation, content negotiation rules for Apache
    (.htaccess), nginx (nginx.conf) and _redirects hosts, sitemap.xml and robots.txt.

    Reads the exports of `hikgraph build`; exit 1 when they are missing.
    """
    from hikgraph.publish import PublishError
    from hikgraph.publish import publish as run_publish

    try:
        result = run_publish(exports_dir, out_dir, base_url)
    except PublishError as error:
        raise DataFailure(str(error)) from None
    if not quiet:
        if result.missing:
            click.echo(
                f"warning: not in the exports, so not on the site: {', '.join(result.missing)}",
                err=True,
            )
        click.echo(result.summary(), err=True)


@main.command(
    epilog="""\b
Example:
    hikgraph synth --entries 100000 /tmp/directory-100k.txt
    hikgraph synth --entries 2000 --seed 7 --labels /tmp/labels-2k.csv /tmp/directory-2k.txt"""
)
@click.argument("out", type=click.Path(path_type=Path))
@click.option("--entries", type=int, required=True, help="How many entries to write (1 or more).")
@click.option(
    "--seed", type=int, default=0, show_default=True, help="Same seed, same bytes; another differs."
)
@click.option(
    "--labels",
    "labels_path",
    type=click.Path(path_type=Path),
    default=None,
    help="Also write each entry's intended topics and countries to this CSV "
    "(the columns of data/labels/, plus month and outlet).",
)
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")
def synth(out: Path, entries: int, seed: int, labels_path: Path | None, quiet: bool) -> None:
    """Write a synthetic directory text of any size to OUT, for scale tests and
    benchmarks.

    The text has the shipped format (metadata, months newest first, "Outlet:
    Headline" lines, event lines without an outlet, page furniture, IPVM's coverage
    and the reports citing it) and reads back with no parser warning. Headlines are
    composed so their topics and countries are known. Written line by line to a
    temporary file that is renamed into place. Exit 2 for a bad value or path.
    """
    from hikgraph.synth import SynthError, write_synthetic

    if entries < 1:
        raise UsageFailure(f"--entries must be at least 1, not {entries}")
    try:
        summary = write_synthetic(out, entries, seed, labels_path)
    except SynthError as error:
        raise UsageFailure(str(error)) from None
    if not quiet:
        click.echo(f"wrote {out}: {summary.describe()}", err=True)


def _add_query_commands() -> None:
    # query, queries and serve live in cli_query.py to keep this module small.
    from hikgraph.cli_query import COMMANDS

    for command in COMMANDS:
        main.add_command(command)


_add_query_commands()
