"""`hikgraph query`, `hikgraph queries` and `hikgraph serve --get`: inputs, formats,
engines and exit codes (0 ok, 1 data failure, 2 usage error)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from hikgraph.cli import main
from hikgraph.queries import named_queries

from conftest import ROOT

ASK = "ASK { ?s ?p ?o }"


def cli(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(main, list(args), input=stdin)


def test_named_query_as_csv(built: Path) -> None:
    result = cli("query", "--name", "articles-per-year", "--exports", str(built), "--format", "csv")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout_bytes.decode("utf-8").split("\r\n")
    assert lines[0] == "year,articles,outlets"
    assert lines[1] == "2016,4,3"  # September–November 2016: four entries by hand
    assert len(lines) == 1 + 7 + 1


def test_query_from_stdin_file_and_argument_agree(built: Path, tmp_path: Path) -> None:
    query_file = tmp_path / "q.rq"
    query_file.write_text(ASK, encoding="utf-8")
    outputs = {
        cli("query", ASK, "--exports", str(built)).stdout,
        cli("query", "-", "--exports", str(built), stdin=ASK).stdout,
        cli("query", "--file", str(query_file), "--exports", str(built)).stdout,
    }
    assert outputs == {'{\n "head": {},\n "boolean": true\n}\n'}  # json off a terminal


def test_engines_print_the_same_bytes(built: Path) -> None:
    def run(*engine: str) -> str:
        result = cli("query", "--name", "articles-per-month", "--exports", str(built), *engine)
        assert result.exit_code == 0, result.stderr
        return result.stdout

    assert run() == run("--engine", "rdflib") == run("--engine", "oxigraph")


def test_construct_prints_turtle_by_default(built: Path) -> None:
    query = "DESCRIBE <https://w3id.org/hikgraph/id/country/VN>"
    result = cli("query", query, "--exports", str(built))
    assert result.exit_code == 0
    assert result.stdout.startswith("@prefix ")
    assert 'schema:name "Vietnam"@en' in result.stdout
    as_jsonld = json.loads(
        cli("query", query, "--exports", str(built), "--format", "jsonld").stdout
    )
    assert isinstance(as_jsonld["@context"], dict)


def test_table_format(built: Path) -> None:
    result = cli(
        "query", "--name", "entries-without-outlet", "--exports", str(built), "--format", "table"
    )
    assert result.exit_code == 0
    assert result.stdout.splitlines()[-1] == "(3 rows)"


def test_syntax_error_exits_1_with_line_and_column_and_prints_nothing(built: Path) -> None:
    result = cli("query", "SELECT * WHERE {\n  ?s ?p\n}", "--exports", str(built))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("hikgraph: error: syntax error at line 2, column 3: ")
    assert result.stderr.count("\n") == 1


@pytest.mark.parametrize(
    "query",
    [
        "LOAD <file:///etc/passwd>",
        "SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }",
        "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
    ],
)
def test_refused_queries_exit_1(built: Path, query: str) -> None:
    result = cli("query", query, "--exports", str(built))
    assert result.exit_code == 1
    assert "not supported" in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "exactly one of"),
        ((ASK, "--name", "topics"), "exactly one of"),
        ((ASK, "--format", "csv"), "no form for an ASK result"),
        (("CONSTRUCT WHERE { ?s ?p ?o }", "--format", "json"), "is a graph"),
        ((ASK, "--format", "yaml"), "Invalid value"),
    ],
)
def test_usage_errors_exit_2(built: Path, args: tuple[str, ...], message: str) -> None:
    result = cli("query", *args, "--exports", str(built))
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stdout == ""


def test_data_failures_exit_1(built: Path, tmp_path: Path) -> None:
    unknown = cli("query", "--name", "no-such-query", "--exports", str(built))
    assert unknown.exit_code == 1
    assert "articles-per-outlet" in unknown.stderr  # it lists the names there are
    missing = cli("query", ASK, "--exports", str(tmp_path))
    assert missing.exit_code == 1
    assert "run `hikgraph build` first" in missing.stderr
    bad_endpoint = cli("query", ASK, "--endpoint", "file:///etc/passwd")
    assert bad_endpoint.exit_code == 1


def test_queries_lists_the_library() -> None:
    result = cli("queries")
    assert result.exit_code == 0
    for named in named_queries():
        assert f"{named.name}\n    {named.title}: " in result.stdout
    document = json.loads(cli("queries", "--format", "json").stdout)
    assert [q["name"] for q in document] == [q.name for q in named_queries()]


def test_serve_get_answers_one_request(built: Path) -> None:
    ok = cli("serve", "--exports", str(built), "--get", "/id/country/VN", "--accept", "text/turtle")
    assert ok.exit_code == 0
    assert 'schema:name "Vietnam"@en' in ok.stdout
    missing = cli("serve", "--exports", str(built), "--get", "/id/country/XX")
    assert missing.exit_code == 1
    assert "HTTP 404" in missing.stderr
    sparql = cli("serve", "--exports", str(built), "--get", "/sparql?query=ASK%20%7B%7D")
    assert json.loads(sparql.stdout) == {"head": {}, "boolean": True}


def test_query_in_a_fresh_process_uses_the_cached_store(built: Path) -> None:
    """As a user runs it: a new process, the store found in the cache folder."""
    result = subprocess.run(
        [sys.executable, "-m", "hikgraph", "query", "--name", "topics", "--exports", str(built)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=dict(os.environ),
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert len(document["results"]["bindings"]) == 11
