"""``hikgraph publish``: the built graph as a static linked-data site.

:func:`publish` reads the exports (the graph is the source of truth) and writes a
folder any static host can serve, or a browser can open from disk:

- ``index.html``: the landing page, with a schema.org ``Dataset`` block;
- ``id/{kind}/{slug}/index.{html,ttl,jsonld,nt}``: every resource, its page
  embedding its schema.org description as JSON-LD;
- ``dataset/``, ``ontology/`` (with ``topics/`` and ``shapes/``): the documents;
- the dumps, the network view and the timeline, copied from the exports;
- ``.htaccess``, ``nginx.conf`` and ``_redirects``: content negotiation rules, and
  with a base URL ``w3id.org/hikgraph/.htaccess``, the redirect to register;
- ``sitemap.xml`` and ``robots.txt``.

The same exports and options give the same bytes. The folder is replaced whole, and
only when every file is written; a folder that ``publish`` did not write is never
replaced.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

from pyoxigraph import BlankNode, Literal, NamedNode, RdfFormat, Triple, parse

from hikgraph import export
from hikgraph.model import DATASET, DCTERMS
from hikgraph.pages import render_resource
from hikgraph.paths import default_exports_dir, ontology_dir
from hikgraph.publish_docs import (
    ALTERNATES,
    Download,
    dataset_page,
    format_links,
    landing_page,
    page_head,
    schema_dataset,
)
from hikgraph.publish_jsonld import Compactor, SchemaBlocks
from hikgraph.publish_ontology import ontology_page, shapes_page, topics_page
from hikgraph.publish_rules import check_base_url, htaccess, nginx_conf, redirects_file
from hikgraph.publish_site import GraphIndex, SiteLinks, resource_folder

#: Marks a folder as written by ``publish``, so a rerun may replace it.
MARKER = ".hikgraph-site"
REQUIRED = ("hikgraph.ttl", "hikgraph.nt", "hikgraph.jsonld", "context.jsonld", "void.ttl")
OPTIONAL = (
    "network.html",
    "network-metrics.json",
    "network.graphml",
    "network.gexf",
    "timeline.svg",
    "timeline.png",
)
DOWNLOADS = {
    "hikgraph.ttl": ("text/turtle", "The graph in Turtle"),
    "hikgraph.nt": ("application/n-triples", "The graph in N-Triples"),
    "hikgraph.jsonld": ("application/ld+json", "The graph in JSON-LD"),
    "context.jsonld": ("application/ld+json", "The JSON-LD context of the graph"),
    "void.ttl": ("text/turtle", "The dataset description (VoID and DCAT)"),
    "network.graphml": ("application/graphml+xml", "The outlet–topic network (GraphML)"),
    "network.gexf": ("application/gexf+xml", "The outlet–topic network (GEXF)"),
    "network-metrics.json": ("application/json", "The network's analytics"),
    "ontology/hikgraph.ttl": ("text/turtle", "The ontology"),
    "ontology/topics.ttl": ("text/turtle", "The topic scheme"),
    "ontology/shapes.ttl": ("text/turtle", "The SHACL shapes"),
}


class PublishError(Exception):
    """The site cannot be written; the message is one line naming the cause."""


@dataclass
class PublishResult:
    """What :func:`publish` wrote."""

    out_dir: Path
    base_url: str | None
    resources: int
    pages: int
    files: int
    missing: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        """Return the one-line summary: counts, where, how long."""
        where = f" for {self.base_url}" if self.base_url else " (relative links)"
        return (
            f"published {self.resources} resources, {self.pages} pages, {self.files} files "
            f"→ {self.out_dir}{where} in {self.seconds:.2f}s"
        )


def default_site_dir() -> Path:
    """Return ``site/`` beside the default exports folder."""
    return default_exports_dir().parent / "site"


def publish(
    exports_dir: Path | None = None,
    out_dir: Path | None = None,
    base_url: str | None = None,
) -> PublishResult:
    """Write the static site of the exports in *exports_dir* (default ``exports/``)
    to *out_dir* (default ``site/``), with absolute links for *base_url* if given.

    Returns a :class:`PublishResult`. Raises :class:`PublishError` when an export is
    missing or unreadable, *base_url* is not a plain http(s) URL, *out_dir* exists
    and was not written by ``publish``, or a file cannot be written; *out_dir* is
    unchanged then.
    """
    start = time.perf_counter()
    exports_dir = exports_dir or default_exports_dir()
    out_dir = out_dir or default_site_dir()
    try:
        base = check_base_url(base_url) if base_url else None
    except ValueError as error:
        raise PublishError(str(error)) from None
    _check_folders(exports_dir, out_dir)
    missing = [name for name in OPTIONAL if not (exports_dir / name).is_file()]
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".hikgraph-publish-", dir=out_dir.parent))
    # mkdtemp makes a private folder; a web server running as another user must be
    # able to read the site, so give it the mode any new folder would get.
    umask = os.umask(0)
    os.umask(umask)
    staging.chmod(0o777 & ~umask)
    try:
        site = _Site(staging, exports_dir, base)
        site.write_all()
        _replace(staging, out_dir)
    except OSError as error:
        raise PublishError(f"cannot write the site: {error}") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return PublishResult(
        out_dir=out_dir,
        base_url=base,
        resources=site.resources,
        pages=len(site.pages),
        files=site.files,
        missing=missing,
        seconds=time.perf_counter() - start,
    )


def _check_folders(exports_dir: Path, out_dir: Path) -> None:
    absent = [name for name in REQUIRED if not (exports_dir / name).is_file()]
    if absent:
        raise PublishError(
            f"{exports_dir}: {', '.join(absent)} missing; run `hikgraph build` first"
        )
    exports, out = exports_dir.resolve(), out_dir.resolve()
    if out == exports or out in exports.parents:
        raise PublishError(f"--out {out_dir} would replace the exports it reads")
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / MARKER).is_file())):
        raise PublishError(
            f"{out_dir} exists and was not written by `hikgraph publish`; "
            "choose another --out or remove it"
        )


def _replace(staging: Path, out_dir: Path) -> None:
    # The new site is complete in the staging folder; swap it in with renames so a
    # reader never sees a half-written site.
    old = None
    if out_dir.exists():
        old = Path(tempfile.mkdtemp(prefix=".hikgraph-old-", dir=out_dir.parent))
        os.replace(out_dir, old / "site")
    os.replace(staging, out_dir)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _read_triples(path: Path, rdf_format: RdfFormat) -> list[Triple]:
    try:
        quads = parse(path=str(path), format=rdf_format)
        triples = [Triple(q.subject, q.predicate, q.object) for q in quads]
    except (OSError, SyntaxError, ValueError) as error:
        raise PublishError(f"{path}: cannot read: {error}") from None
    return _stable_blank_nodes(triples)


def _stable_blank_nodes(triples: list[Triple]) -> list[Triple]:
    # Parsers name blank nodes at random; number them in document order instead, so
    # the files written from them have the same bytes every time.
    names: dict[str, BlankNode] = {}

    def stable(node: BlankNode) -> BlankNode:
        return names.setdefault(node.value, BlankNode(f"b{len(names)}"))

    out = []
    for triple in triples:
        subject, obj = triple.subject, triple.object
        if isinstance(subject, BlankNode):
            subject = stable(subject)
        if isinstance(obj, BlankNode):
            obj = stable(obj)
        out.append(Triple(subject, triple.predicate, obj))
    return out


class _Site:
    """Writes every file of the site into *root*."""

    def __init__(self, root: Path, exports_dir: Path, base_url: str | None) -> None:
        self.root = root
        self.exports_dir = exports_dir
        present = [n for n in (*REQUIRED, *OPTIONAL) if (exports_dir / n).is_file()]
        self.links = SiteLinks(base_url, present)
        self.pages: list[str] = []  # site paths of the HTML pages, for the sitemap
        self.folders: set[str] = set()  # made already: a site has 40,000 files at 10k entries
        self.files = 0
        self.resources = 0
        self.downloads: list[Download] = []
        self.compactor = Compactor(export.load_context(exports_dir / export.CONTEXT_FILE))

    def write(self, path: str, content: bytes | str) -> bytes:
        data = content.encode("utf-8") if isinstance(content, str) else content
        folder = path.rpartition("/")[0]
        if folder not in self.folders:
            (self.root / folder).mkdir(parents=True, exist_ok=True)
            self.folders.add(folder)
        with open(os.path.join(self.root, path), "wb") as file:
            file.write(data)
        self.files += 1
        if path.endswith(".html"):
            self.pages.append(path)
        if path in DOWNLOADS:
            media_type, title = DOWNLOADS[path]
            digest = hashlib.sha256(data).hexdigest()
            self.downloads.append(Download(path, title, media_type, len(data), digest))
        return data

    def write_all(self) -> None:
        for name in sorted(self.links.files):
            self.write(name, (self.exports_dir / name).read_bytes())
        graph = _read_triples(self.exports_dir / "hikgraph.nt", RdfFormat.N_TRIPLES)
        void = _read_triples(self.exports_dir / "void.ttl", RdfFormat.TURTLE)
        index = GraphIndex(graph)
        description = export.sort_triples([*void, *schema_dataset(void, index)])
        self.write_ontology()
        self.write_resources(index)
        self.write_dataset(index, description)
        self.write(MARKER, "Written by `hikgraph publish`; the next run may replace this folder.\n")
        self.write_rules()
        self.downloads.sort(key=lambda d: list(DOWNLOADS).index(d.path))
        self.write("index.html", landing_page(index, description, self.downloads, self.links))
        self.write("sitemap.xml", self.sitemap(description))
        self.write(
            "robots.txt",
            f"User-agent: *\nAllow: /\nSitemap: {self.links.public_url('sitemap.xml')}\n",
        )

    def write_rdf(self, stem: str, triples: list[Triple], context_ref: str) -> None:
        """Write *triples* as ``{stem}.ttl``, ``.nt`` and ``.jsonld`` (unless the
        Turtle was written already, as the ontology's files are: verbatim)."""
        if not (self.root / f"{stem}.ttl").exists():
            self.write(f"{stem}.ttl", export.to_turtle(triples))
        self.write(f"{stem}.nt", export.to_ntriples(triples))
        self.write(f"{stem}.jsonld", self.compactor.document(triples, context_ref))

    def write_resources(self, index: GraphIndex) -> None:
        blocks = SchemaBlocks(index.by_subject, index.labels)
        for iri in index.resources:
            folder = resource_folder(iri)
            assert folder is not None
            page = folder + "index.html"
            triples = index.describe(iri)
            self.write_rdf(folder + "index", triples, "../../../" + export.CONTEXT_FILE)
            paths = {ext: f"{folder}index.{ext}" for ext in ALTERNATES}
            head = page_head(
                self.links,
                page,
                alternates=paths,
                block=blocks.block(iri),
                description=index.labels.get(iri, ""),
            )
            html = render_resource(
                iri,
                triples,
                index.labels,
                href=self.links.href(page),
                formats=format_links(self.links, page, paths),
                home=self.links.url("", page),
                head=head,
                nav=self.links.nav(page),
            )
            self.write(page, html)
            self.resources += 1

    def write_dataset(self, index: GraphIndex, description: list[Triple]) -> None:
        self.write_rdf("dataset/index", description, "../" + export.CONTEXT_FILE)
        self.write("dataset/index.html", dataset_page(index, description, self.links))

    def write_ontology(self) -> None:
        documents = {}
        for name in ("hikgraph", "topics", "shapes"):
            source = ontology_dir() / f"{name}.ttl"
            self.write(f"ontology/{name}.ttl", source.read_bytes())
            triples = export.sort_triples(_read_triples(source, RdfFormat.TURTLE))
            self.write_rdf(f"ontology/{name}", triples, "../" + export.CONTEXT_FILE)
            documents[name] = triples
        ontology, topics, shapes = documents["hikgraph"], documents["topics"], documents["shapes"]
        self.write("ontology/index.html", ontology_page(ontology, topics, shapes, self.links))
        self.write("ontology/topics/index.html", topics_page(topics, self.links))
        self.write("ontology/shapes/index.html", shapes_page(shapes, self.links))

    def write_rules(self) -> None:
        self.write(".htaccess", htaccess())
        prefix = "/"
        if self.links.base_url:
            prefix = "/" + self.links.base_url.split("/", 3)[3]
            self.write("w3id.org/hikgraph/.htaccess", htaccess(self.links.base_url, catch_all=True))
        self.write("nginx.conf", nginx_conf(prefix))
        self.write("_redirects", redirects_file())

    def sitemap(self, description: Iterable[Triple]) -> str:
        modified = next(
            (
                t.object.value[:10]
                for t in description
                if t.subject == NamedNode(DATASET)
                and t.predicate.value == DCTERMS + "modified"
                and isinstance(t.object, Literal)
            ),
            "",
        )
        lastmod = f"<lastmod>{escape(modified)}</lastmod>" if modified else ""
        urls = []
        for page in sorted(self.pages):
            if page.startswith("w3id.org/"):
                continue
            path = page.removesuffix("index.html")
            urls.append(f"<url><loc>{escape(self.links.public_url(path))}</loc>{lastmod}</url>")
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
            + "\n".join(urls)
            + "\n</urlset>\n"
        )
