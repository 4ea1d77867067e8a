"""Server rules for the static site: content negotiation and the w3id.org redirect.

One table (:data:`NEGOTIATED`) says which paths stand for a resource and which file
holds each of its formats; from it come the Apache ``.htaccess`` of the site, the
nginx snippet, the ``_redirects`` file of hosts such as Netlify, and the
``.htaccess`` to submit to w3id.org. They all follow one rule, :func:`negotiate`:

    the first offered media type that the ``Accept`` header names wins; none → HTML.

Neither Apache rewrite conditions nor nginx maps can weigh q-values, so the rule is
one a regular expression can state, and clients name their preferred type first in
practice (browsers ``text/html``, RDF libraries their RDF types). A request for a
resource is answered with ``303 See Other`` to the document in that format, as the
W3C's "Cool URIs for the Semantic Web" describes for things that are not documents.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Each format the site writes: the media types that ask for it, in the server's order.
ACCEPTED: dict[str, tuple[str, ...]] = {
    "html": ("text/html", "application/xhtml+xml"),
    "ttl": ("text/turtle", "application/x-turtle"),
    "jsonld": ("application/ld+json", "application/json"),
    "nt": ("application/n-triples", "text/plain"),
}
RDF_FORMATS = ("ttl", "jsonld", "nt")
_NEGOTIATED = "E=HIKGRAPH_NEGOTIATED:1"
KINDS = ("article", "outlet", "country", "topic", "report", "directory", "source", "evidence")
SLUG = "[A-Za-z0-9][A-Za-z0-9._-]*"


@dataclass(frozen=True)
class Negotiated:
    """A path pattern (relative to the site's root, one capture group for the path
    itself) that stands for a resource, and where each format of it lives (``$1``
    is the captured path)."""

    pattern: str
    html: str
    rdf: dict[str, str]


NEGOTIATED = (
    Negotiated(
        f"(id/(?:{'|'.join(KINDS)})/{SLUG})",
        "$1/",
        {fmt: f"$1/index.{fmt}" for fmt in RDF_FORMATS},
    ),
    Negotiated("(dataset)", "$1/", {fmt: f"$1/index.{fmt}" for fmt in RDF_FORMATS}),
    Negotiated("(ontology)", "ontology/", {fmt: f"ontology/hikgraph.{fmt}" for fmt in RDF_FORMATS}),
    Negotiated(
        "(ontology/topics)",
        "ontology/topics/",
        {fmt: f"ontology/topics.{fmt}" for fmt in RDF_FORMATS},
    ),
    # The shapes' own IRIs are https://w3id.org/hikgraph/shapes#…
    Negotiated(
        "(ontology/shapes|shapes)",
        "ontology/shapes/",
        {fmt: f"ontology/shapes.{fmt}" for fmt in RDF_FORMATS},
    ),
)


def negotiate(accept: str | None) -> str:
    """Return the format (``html``, ``ttl``, ``jsonld``, ``nt``) the rules serve for
    the ``Accept`` header *accept*: the first offered media type it names, else HTML."""
    for media_range in (accept or "").split(","):
        media_type = media_range.split(";", 1)[0].strip().lower()
        for fmt, types in ACCEPTED.items():
            if media_type in types:
                return fmt
    return "html"


def accept_regex(fmt: str) -> str:
    """Return the regular expression (PCRE, to match case-insensitively) that an
    ``Accept`` header matches when *fmt* is the first offered type it names.

    It uses no spaces, quotes or backslashes, so it can stand unquoted in Apache and
    nginx configuration.
    """
    others = [t for name, types in ACCEPTED.items() if name != fmt for t in types]
    return f"^(?:(?!{_alternatives(others)}).)*(?:{_alternatives(ACCEPTED[fmt])})"


def _alternatives(types: tuple[str, ...] | list[str]) -> str:
    return "|".join(t.replace("+", "[+]") for t in types)


def htaccess(target_base: str = "", *, catch_all: bool = False) -> str:
    """Return Apache 2.4 rules (mod_rewrite; an ``.htaccess`` or a ``<Directory>``)
    that send each resource path to its format by :func:`negotiate`.

    *target_base* is prepended to each target: empty for the site's own
    ``.htaccess`` (the folder's own URL path, found from the request, so the site
    can live under any path), the site's URL for w3id.org. With *catch_all*, every
    other path is redirected to the same path under *target_base* (what w3id.org
    does for the dumps and the landing page).
    """
    lines = [
        "# Content negotiation for hikgraph's linked data (written by `hikgraph publish`).",
        "# Needs mod_rewrite and AllowOverride FileInfo; mod_headers adds Vary: Accept.",
        "# A resource path answers 303 See Other with the document in the format asked for:",
        "# the first of these media types that the Accept header names wins, else HTML.",
    ]
    for fmt, types in ACCEPTED.items():
        lines.append(f"#   {fmt:<6} {', '.join(types)}")
    lines += [
        "",
        "RewriteEngine On",
        "# mod_rewrite names Accept in Vary only on answers it does not redirect.",
        "<IfModule mod_headers.c>",
        "    Header always merge Vary Accept env=HIKGRAPH_NEGOTIATED",
        "</IfModule>",
    ]
    if not catch_all:
        lines += [
            "<IfModule mod_mime.c>",
            "    AddType text/turtle .ttl",
            "    AddType application/n-triples .nt",
            "    AddType application/ld+json .jsonld",
            "    AddCharset utf-8 .html .ttl .nt .jsonld .txt .xml",
            "</IfModule>",
        ]
    if not target_base:
        # A relative target in an .htaccess redirect becomes a file-system path, and
        # RewriteBase would tie the rules to one URL path: find this folder's URL
        # path from the request instead, so the site can be served under any path.
        lines += [
            "",
            "RewriteCond %{REQUEST_URI}::$1 ^(.*?/)(.*)::\\2$",
            "RewriteRule ^(.*)$ - [E=HIKGRAPH_BASE:%1]",
        ]
        target_base = "%{ENV:HIKGRAPH_BASE}"
    for rule in NEGOTIATED:
        lines.append("")
        for fmt in RDF_FORMATS:
            lines.append(f"RewriteCond %{{HTTP:Accept}} {accept_regex(fmt)} [NC]")
            target = target_base + rule.rdf[fmt]
            lines.append(f"RewriteRule ^{rule.pattern}/?$ {target} [R=303,L,{_NEGOTIATED}]")
        html = target_base + rule.html
        lines.append(f"RewriteRule ^{rule.pattern}$ {html} [R=303,L,{_NEGOTIATED}]")
        if not catch_all:
            # The folder's page itself: served as is, but it too depends on Accept.
            lines.append(f"RewriteRule ^{rule.pattern}/$ - [{_NEGOTIATED}]")
    if catch_all:
        lines += [
            "",
            "# Everything else (the landing page, the dumps, the ontology files) is on the site.",
            f"RewriteRule ^(.*)$ {target_base}$1 [R=302,L]",
        ]
    return "\n".join(lines) + "\n"


def nginx_conf(prefix: str = "/") -> str:
    """Return nginx ``location`` blocks (to include in the ``server`` block whose
    ``root`` is the site) doing what :func:`htaccess` does; *prefix* is the URL path
    the site is served at (``/`` or ``/hikgraph/``)."""
    lines = [
        "# Content negotiation for hikgraph's linked data (written by `hikgraph publish`).",
        f"# Include inside the server {{ }} block whose root serves the site at {prefix}, e.g.",
        "#     include /srv/hikgraph/nginx.conf;",
        "# A resource path answers 303 See Other with the document in the format asked for:",
        "# the first of these media types that the Accept header names wins, else HTML.",
    ]
    for fmt, types in ACCEPTED.items():
        lines.append(f"#   {fmt:<6} {', '.join(types)}")
    for number, rule in enumerate(NEGOTIATED):
        name = f"$hikgraph_{number}"
        pattern = rule.pattern.replace("(", f"(?<hikgraph_{number}>", 1)
        lines += [
            "",
            f'location ~ "^{prefix}{pattern}(?<hikgraph_slash_{number}>/?)$" {{',
            "    absolute_redirect off;",
            "    add_header Vary Accept always;",
        ]
        for fmt in RDF_FORMATS:
            target = prefix + rule.rdf[fmt].replace("$1", name)
            lines.append(
                f'    if ($http_accept ~* "{accept_regex(fmt)}") {{ return 303 {target}; }}'
            )
        html = prefix + rule.html.replace("$1", name)
        lines += [
            f'    if ($hikgraph_slash_{number} = "") {{ return 303 {html}; }}',
            # Served here, not by an internal redirect, so it keeps Vary: Accept.
            f"    try_files {html}index.html =404;",
            "}",
        ]
    lines += [
        "",
        "# nginx's own mime.types lacks the RDF formats.",
        'location ~ "\\.ttl$" { types { } default_type "text/turtle; charset=utf-8"; }',
        'location ~ "\\.nt$" { types { } default_type "application/n-triples; charset=utf-8"; }',
        'location ~ "\\.jsonld$" { types { } default_type "application/ld+json"; }',
    ]
    return "\n".join(lines) + "\n"


def redirects_file() -> str:
    """Return a ``_redirects`` file for static hosts that read one (Netlify,
    Cloudflare Pages).

    Such hosts cannot choose by ``Accept``: there, w3id.org's rules (see
    :func:`htaccess` with a target) negotiate and send each client to a file, and
    these rules only give the shapes' namespace and the bare document paths a home.
    """
    lines = [
        "# Written by `hikgraph publish`. This host cannot negotiate on the Accept header:",
        "# the w3id.org rules do, sending clients straight to index.ttl, index.jsonld, ….",
        "/shapes    /ontology/shapes/    301",
        "/shapes/*  /ontology/shapes/    301",
    ]
    return "\n".join(lines) + "\n"


_SAFE_BASE = re.compile(r"https?://[A-Za-z0-9.-]+(?::[0-9]{1,5})?(?:/[A-Za-z0-9._~-]+)*/")


def check_base_url(base_url: str) -> str:
    """Return *base_url* with a trailing slash; raise ValueError unless it is an
    ``http``/``https`` URL of a host and a plain path (letters, digits, ``.``, ``_``,
    ``~``, ``-``), since it is written into HTML and server configuration."""
    url = base_url if base_url.endswith("/") else base_url + "/"
    if not _SAFE_BASE.fullmatch(url):
        raise ValueError(
            f"--base-url {base_url!r}: expected http(s)://host[:port][/path], with a path "
            "of letters, digits, '.', '_', '~' and '-' only"
        )
    return url
