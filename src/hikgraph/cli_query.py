"""The ``query``, ``queries``, ``serve`` and ``push`` commands (registered on
:data:`hikgraph.cli.main`).

Thin like the rest of the CLI: options → :mod:`hikgraph.store`, :mod:`hikgraph.server`
→ bytes on stdout. Every result is written in full before anything is printed, so a
failure never leaves half a result behind.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from hikgraph.cli import DataFailure

F = TypeVar("F", bound=Callable[..., Any])

_FORMAT_NAMES = ("table", "json", "xml", "csv", "tsv", "turtle", "nt", "jsonld")


def _engine_options(function: F) -> F:
    options = [
        click.option(
            "--engine",
            type=click.Choice(["oxigraph", "rdflib"]),
            default="oxigraph",
            show_default=True,
            help="Which engine answers: the embedded Oxigraph store (kept in the cache "
            "folder, rebuilt when the exports change) or rdflib's own SPARQL engine.",
        ),
        click.option(
            "--endpoint",
            metavar="URL",
            default=None,
            help="Send queries to this SPARQL 1.1 endpoint instead (http or https).",
        ),
        click.option(
            "--exports",
            "exports_dir",
            type=click.Path(path_type=Path, file_okay=False),
            default=None,
            help="Folder of the built graph [default: exports/ of the checkout].",
        ),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def _engine(engine: str, endpoint: str | None, exports_dir: Path | None) -> Any:
    from hikgraph.store import Engine

    return Engine("endpoint" if endpoint else engine, exports_dir, endpoint)


def _announce_store_load(chosen: Any) -> None:
    # The embedded store is loaded on first use after a build that did not load it
    # (--no-store) or after the exports changed: a minute at a million entries.
    from hikgraph.store import graph_to_load

    graph = graph_to_load(chosen.exports_dir) if chosen.name == "oxigraph" else None
    if graph is not None:
        size = graph.stat().st_size / 1e6
        click.echo(f"loading the query store from {graph} ({size:,.0f} MB)…", err=True)


def _write(data: bytes) -> None:
    click.echo(data, nl=False)  # bytes go to the binary stream, untouched


@click.command(
    epilog="""\b
Example:
    hikgraph query --name articles-per-outlet
    hikgraph query 'PREFIX schema: <http://schema.org/>
      SELECT ?name WHERE { ?o a schema:Country ; schema:name ?name }' --format csv
    hikgraph query --file my.rq --engine rdflib --format json
    echo 'ASK { ?s ?p ?o }' | hikgraph query -"""
)
@click.argument("text", metavar="[QUERY]", required=False)
@click.option(
    "--file",
    "-f",
    "query_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Read the query from this file.",
)
@click.option("--name", "-n", help="Run the named query NAME of queries/ (see `hikgraph queries`).")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(_FORMAT_NAMES),
    default=None,
    help="SELECT/ASK: table, json, xml, csv or tsv (the W3C SPARQL 1.1 result formats); "
    "CONSTRUCT/DESCRIBE: turtle, nt or jsonld. [default: table on a terminal, json "
    "otherwise; turtle for graphs]",
)
@_engine_options
def query(
    text: str | None,
    query_file: Path | None,
    name: str | None,
    output_format: str | None,
    engine: str,
    endpoint: str | None,
    exports_dir: Path | None,
) -> None:
    """Run a SPARQL query on the graph and print the result.

    QUERY is the query text, or - to read it from stdin; or use --file or --name.
    Exit 1 on a syntax error (the message gives line and column), on a refused query
    (updates, SERVICE, FROM and FROM NAMED are never run) or when the graph is not
    built; exit 2 when the format does not fit the query's form.
    """
    from hikgraph.queries import NamedQueryError, named_query
    from hikgraph.resultformats import FormatError, render
    from hikgraph.sparql import QueryError, check_query
    from hikgraph.store import StoreError

    given = [value for value in (text, query_file, name) if value is not None]
    if len(given) != 1:
        raise click.UsageError("give exactly one of QUERY, -, --file or --name")
    try:
        if name is not None:
            source = named_query(name).text
        elif query_file is not None:
            source = query_file.read_text(encoding="utf-8")
        elif text == "-":
            source = sys.stdin.read()
        else:
            source = str(text)
    except (NamedQueryError, OSError, UnicodeDecodeError) as error:
        raise DataFailure(str(error)) from None
    try:
        checked = check_query(source)
        if output_format is None:
            if checked.returns_graph:
                output_format = "turtle"
            else:
                output_format = "table" if sys.stdout.isatty() else "json"
        chosen = _engine(engine, endpoint, exports_dir)
        _announce_store_load(chosen)
        store = chosen.open()
        result = store.query(source)
        output = render(result, output_format)
    except FormatError as error:
        raise click.UsageError(str(error)) from None
    except (QueryError, StoreError) as error:
        raise DataFailure(str(error)) from None
    _write(output)


@click.command(
    epilog="""\b
Example:
    hikgraph queries
    hikgraph queries --format json"""
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="How to print the list.",
)
def queries(output_format: str) -> None:
    """List the named queries of queries/ with their titles and descriptions.

    Run one with `hikgraph query --name NAME`; the query page of `hikgraph serve`
    offers them as examples.
    """
    from hikgraph.queries import NamedQueryError, named_queries

    try:
        library = named_queries()
    except NamedQueryError as error:
        raise DataFailure(str(error)) from None
    if output_format == "json":
        document = [
            {"name": q.name, "title": q.title, "description": q.description, "query": q.text}
            for q in library
        ]
        click.echo(json.dumps(document, indent=2, ensure_ascii=False))
        return
    for named in library:
        click.echo(f"{named.name}\n    {named.title}: {named.description}")


@click.command(
    epilog="""\b
Example:
    hikgraph serve
    hikgraph serve --port 8080 --timeout 5 --cors
    hikgraph serve --get '/sparql?query=ASK%20%7B%20%3Fs%20%3Fp%20%3Fo%20%7D'
    hikgraph serve --get /id/outlet/reuters --accept text/turtle"""
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on. The default answers this machine only; to publish the "
    "endpoint, put it behind a reverse proxy rather than binding 0.0.0.0.",
)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--timeout",
    default=10.0,
    show_default=True,
    type=click.FloatRange(min=0.1),
    help="Seconds a query may run; a longer one is stopped (its worker process is "
    "killed) and answered with 503, while other queries go on.",
)
@click.option(
    "--max-rows",
    default=10_000,
    show_default=True,
    type=click.IntRange(min=1),
    help="Most solutions (or triples) returned; a longer result is cut and flagged "
    'with a Hikgraph-Truncated header ("truncated": true in JSON results).',
)
@click.option(
    "--max-body",
    default=64 * 1024,
    show_default=True,
    type=click.IntRange(min=1),
    help="Largest request body accepted, in bytes (larger: 413).",
)
@click.option(
    "--workers",
    default=2,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Queries evaluated at once, each in its own process.",
)
@click.option(
    "--cors",
    is_flag=True,
    help="Let web pages of other origins call the endpoint (Access-Control-Allow-Origin: "
    "*). Off by default.",
)
@click.option(
    "--get",
    "get_path",
    metavar="PATH",
    default=None,
    help="Answer one GET request for PATH, print the body and exit (no port is opened). "
    "Exit 1 when the status is 400 or more.",
)
@click.option(
    "--accept",
    default="",
    help="The Accept header of the --get request.",
)
@click.option("--quiet", "-q", is_flag=True, help="Do not log requests.")
@_engine_options
def serve(
    host: str,
    port: int,
    timeout: float,
    max_rows: int,
    max_body: int,
    workers: int,
    cors: bool,
    get_path: str | None,
    accept: str,
    quiet: bool,
    engine: str,
    endpoint: str | None,
    exports_dir: Path | None,
) -> None:
    """Serve the graph: a SPARQL 1.1 endpoint at /sparql, a page per resource at
    /id/… (HTML, Turtle, JSON-LD, N-Triples by content negotiation), /ontology,
    /dataset, and a query page at /.

    The service is read-only and closed: updates, SERVICE, FROM and FROM NAMED are
    refused with 400 before evaluation, so a query never opens a file or a
    connection. Restart it after `hikgraph build` to serve the new graph.
    """
    from hikgraph.protocol import Request
    from hikgraph.server import App, HikgraphHTTPServer, ListenError
    from hikgraph.server import serve as run_server
    from hikgraph.store import StoreError

    chosen = _engine(engine, endpoint, exports_dir)
    if not quiet:
        _announce_store_load(chosen)
    if get_path is not None:
        path, _, query_string = get_path.partition("?")
        try:
            app = App(chosen.open(), exports_dir=exports_dir, max_rows=max_rows, cors=cors)
        except StoreError as error:
            raise DataFailure(str(error)) from None
        headers = {"accept": accept, "host": f"{host}:{port}"}
        response = app.handle(Request("GET", path or "/", query_string, headers))
        _write(response.body)
        if response.status >= 400:
            raise DataFailure(f"GET {get_path}: HTTP {response.status}")
        return

    def ready(server: HikgraphHTTPServer) -> None:
        click.echo(f"hikgraph: serving {server.url} (Ctrl-C stops)", err=True)
        click.echo(f"hikgraph: answering from the {server.app.store.label}", err=True)

    try:
        run_server(
            chosen,
            host=host,
            port=port,
            workers=workers,
            timeout=timeout,
            max_rows=max_rows,
            max_body=max_body,
            cors=cors,
            quiet=quiet,
            ready=ready,
        )
    except StoreError as error:
        raise DataFailure(str(error)) from None
    except ListenError as error:
        raise DataFailure(str(error)) from None


@click.command(
    epilog="""\b
Example:
    export HIKGRAPH_ENDPOINT_USER=dba HIKGRAPH_ENDPOINT_PASSWORD=dba
    hikgraph push --endpoint http://127.0.0.1:8890/sparql-graph-crud-auth
    hikgraph push --endpoint http://127.0.0.1:8890/sparql-graph-crud-auth --append \\
      --exports /tmp/hikgraph-exports --chunk-size 100000"""
)
@click.option(
    "--endpoint",
    metavar="URL",
    required=True,
    help="The store's SPARQL 1.1 Graph Store HTTP Protocol endpoint (http or https), "
    "e.g. Virtuoso's /sparql-graph-crud-auth or Fuseki's /DATASET/data.",
)
@click.option(
    "--graph",
    "graph_iri",
    metavar="IRI",
    default="https://w3id.org/hikgraph/dataset",
    show_default=True,
    help="The named graph to load into.",
)
@click.option(
    "--query-endpoint",
    metavar="URL",
    default=None,
    help="SPARQL query endpoint that counts the graph afterwards [default: from "
    "--endpoint: Fuseki /DATASET/data → /DATASET/sparql, GraphDB "
    ".../rdf-graphs/service → /repositories/REPO, otherwise /sparql on the same host].",
)
@click.option(
    "--exports",
    "exports_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Folder holding hikgraph.nt [default: exports/ of the checkout].",
)
@click.option(
    "--user",
    default=None,
    help="User name for HTTP Basic or Digest auth [default: $HIKGRAPH_ENDPOINT_USER].",
)
@click.option(
    "--password",
    default=None,
    help="Password [default: $HIKGRAPH_ENDPOINT_PASSWORD, which is better: a command "
    "line is visible to other users of the machine]. Never printed.",
)
@click.option(
    "--replace/--append",
    default=True,
    show_default=True,
    help="Replace the graph (the first chunk is a PUT) or merge into it (POST only).",
)
@click.option(
    "--chunk-size",
    default=50_000,
    show_default=True,
    type=click.IntRange(min=1),
    help="Lines (triples) per request; memory holds one chunk at a time.",
)
@click.option(
    "--retries",
    default=3,
    show_default=True,
    type=click.IntRange(0, 10),
    help="Times a chunk is sent again after a passing failure (no connection, timeout, "
    "5xx, 429), waiting 1, 2, 4 … s.",
)
@click.option(
    "--timeout",
    default=60.0,
    show_default=True,
    type=click.FloatRange(min=0.1),
    help="Seconds any request may stay silent before it counts as failed.",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bar and no summary.")
def push(
    endpoint: str,
    graph_iri: str,
    query_endpoint: str | None,
    exports_dir: Path | None,
    user: str | None,
    password: str | None,
    replace: bool,
    chunk_size: int,
    retries: int,
    timeout: float,
    quiet: bool,
) -> None:
    """Load the graph (hikgraph.nt) into a SPARQL 1.1 store: Virtuoso, Fuseki,
    GraphDB, Oxigraph or any store with the Graph Store HTTP Protocol.

    The file goes out in chunks of --chunk-size lines, the first replacing the
    graph; then the store's own COUNT of the graph must equal the triples sent
    (with --append: be at least that), or the command fails. HTTP Basic and Digest
    auth are answered with --user and the password. Progress goes to stderr when it
    is a terminal. Exit 1 when a chunk fails for good or the count differs.
    """
    from tqdm import tqdm

    from hikgraph.httpauth import CredentialsError, resolve_credentials
    from hikgraph.paths import default_exports_dir
    from hikgraph.push import PushError
    from hikgraph.push import push as run_push

    try:
        credentials = resolve_credentials(user, password)
    except CredentialsError as error:
        raise click.UsageError(str(error)) from None
    source = (exports_dir or default_exports_dir()) / "hikgraph.nt"
    size = source.stat().st_size if source.is_file() else 0
    show = not quiet and sys.stderr.isatty()
    with tqdm(
        total=size, unit="B", unit_scale=True, desc="push", disable=not show, leave=False
    ) as bar:
        try:
            result = run_push(
                source,
                endpoint,
                graph=graph_iri,
                query_endpoint=query_endpoint,
                credentials=credentials,
                replace=replace,
                chunk_lines=chunk_size,
                retries=retries,
                timeout=timeout,
                progress=bar.update,
            )
        except PushError as error:
            bar.close()
            raise DataFailure(str(error)) from None
    if not quiet:
        click.echo(result.summary(), err=True)


COMMANDS = (query, queries, serve, push)
