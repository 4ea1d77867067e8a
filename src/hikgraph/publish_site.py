"""The shape of the static site: which resources get a page, what a resource's
description is, and where every IRI links to.

:class:`GraphIndex` reads the graph once and answers what the server's
``GraphStore.describe`` answers, from dictionaries (one query per page would cost
seconds at ten thousand pages). :class:`SiteLinks` is the one place that turns an
IRI into a link: relative links without a base URL, so the site browses from disk,
absolute links for the host with one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import quote

from pyoxigraph import NamedNode, Triple

from hikgraph.export import sort_triples
from hikgraph.linkeddata import labels_in
from hikgraph.model import BASE, DATASET, HIK, ID, RDF
from hikgraph.pages import Href, safe_href
from hikgraph.publish_rules import KINDS, SLUG

_TYPE = RDF + "type"
_RESOURCE = re.compile(f"({'|'.join(KINDS)})/({SLUG})")
_SHAPES = BASE + "shapes#"
#: The documents of the site, by IRI: each ``#term`` of theirs is on their page.
_DOCUMENTS = {
    HIK.rstrip("#"): "ontology/",
    BASE + "ontology/topics": "ontology/topics/",
    BASE + "ontology/shapes": "ontology/shapes/",
    DATASET: "dataset/",
}


def resource_folder(iri: str) -> str | None:
    """Return the site folder (``id/outlet/reuters/``) of the resource *iri*, or None
    when it is not one of hikgraph's resources or its slug could not be a folder
    name (nothing from the data can make a path like ``../``)."""
    if not iri.startswith(ID):
        return None
    match = _RESOURCE.fullmatch(iri[len(ID) :])
    return f"id/{match[1]}/{match[2]}/" if match else None


class GraphIndex:
    """The graph's triples indexed by subject and by object, with labels."""

    def __init__(self, triples: Iterable[Triple]) -> None:
        self.triples = sort_triples(triples)
        self.by_subject: dict[str, list[Triple]] = {}
        self.by_object: dict[str, list[Triple]] = {}
        resources: set[str] = set()
        for triple in self.triples:
            for term in (triple.subject, triple.object):
                if isinstance(term, NamedNode) and term.value.startswith(ID):
                    resource = term.value.partition("#")[0]
                    if resource_folder(resource):
                        resources.add(resource)
            if isinstance(triple.subject, NamedNode):
                self.by_subject.setdefault(triple.subject.value, []).append(triple)
            if isinstance(triple.object, NamedNode):
                self.by_object.setdefault(triple.object.value, []).append(triple)
        self.labels = labels_in(self.triples)
        #: Every resource with a page: each IRI of the ``id/`` space the graph
        #: mentions, as subject or object (its ``#parts`` go on its page).
        self.resources = sorted(resources)

    def describe(self, iri: str) -> list[Triple]:
        """Return what ``GraphStore.describe`` returns for *iri*: its triples, those
        of the ``#parts`` it links to, and the triples pointing at it; sorted."""
        own = self.by_subject.get(iri, [])
        described = list(own)
        for triple in own:
            part = triple.object
            if isinstance(part, NamedNode) and part.value.startswith(iri + "#"):
                described += self.by_subject.get(part.value, [])
        described += self.by_object.get(iri, [])
        return sort_triples(described)

    def types_of(self, iri: str) -> set[str]:
        """Return the IRIs of the classes *iri* is typed with."""
        return {
            t.object.value
            for t in self.by_subject.get(iri, ())
            if t.predicate.value == _TYPE and isinstance(t.object, NamedNode)
        }


class SiteLinks:
    """Links between the site's files.

    Paths inside the site are written relative to its root: ``""`` for the landing
    page, ``id/outlet/reuters/`` for a folder's page, ``hikgraph.ttl`` for a file.
    Without *base_url* a link is relative to the page it is on and names
    ``index.html`` (a browser opening files from disk shows no folder's index);
    with it, a link is absolute and a page's link is its folder URL.
    """

    def __init__(self, base_url: str | None, files: Iterable[str] = ()) -> None:
        self.base_url = base_url
        #: Files at the root that IRIs under the dataset's base may name (the dumps).
        self.files = frozenset(files)

    @property
    def public_base(self) -> str:
        """Return the URL the site is reached at: the base URL, or else the
        dataset's persistent base on w3id.org, which redirects to it."""
        return self.base_url or BASE

    def url(self, path: str, page: str) -> str:
        """Return the link to the site path *path* from the page at site path *page*
        (a file path such as ``id/outlet/reuters/index.html``)."""
        if self.base_url:
            return self.base_url + path
        if path == "" or path.endswith("/"):
            path += "index.html"
        folder = page.rpartition("/")[0] + "/" if "/" in page else ""
        if folder and path.startswith(folder):
            return path[len(folder) :]  # the page's own files: index.ttl, index.html#part
        return "../" * page.count("/") + path

    def public_url(self, path: str) -> str:
        """Return the absolute URL of the site path *path* (for sitemaps and rules)."""
        return self.public_base + path

    def target(self, iri: str) -> tuple[str, str] | None:
        """Return the site path and the fragment where *iri* is shown, or None when
        the site has no place for it."""
        resource, _, fragment = iri.partition("#")
        folder = resource_folder(resource)
        if folder:
            return folder, fragment
        if iri.startswith(HIK):
            return "ontology/", iri[len(HIK) :]
        if resource in _DOCUMENTS:
            return _DOCUMENTS[resource], fragment
        if iri.startswith(_SHAPES):
            return "ontology/shapes/", iri[len(_SHAPES) :]
        if iri == BASE:
            return "", ""
        if iri.startswith(BASE) and iri[len(BASE) :] in self.files:
            return iri[len(BASE) :], ""
        return None

    def href(self, page: str) -> Href:
        """Return the function that links IRIs from the page at *page*: site paths
        for what the site shows, the IRI itself for other web IRIs."""

        def link(iri: str) -> str | None:
            found = self.target(iri)
            if found is None:
                # An IRI of ours that the site does not show would be a dead link.
                return None if iri.startswith(ID) else safe_href(iri)
            path, fragment = found
            anchor = "#" + quote(fragment, safe="-._~!$&'()*+,;=:@/?") if fragment else ""
            return self.url(path, page) + anchor

        return link

    def nav(self, page: str) -> list[tuple[str, str]]:
        """Return the header links of the page at *page*."""
        links = [
            ("dataset", self.url("dataset/", page)),
            ("ontology", self.url("ontology/", page)),
            ("topics", self.url("ontology/topics/", page)),
        ]
        if "network.html" in self.files:
            links.append(("network", self.url("network.html", page)))
        return [*links, ("downloads", self.url("", page) + "#downloads")]
