"""JSON-LD for the static site: resource files compacted against the dataset's own
context, and the schema.org block each page embeds for search engines.

Both are written here, term by term, rather than by a JSON-LD processor: rdflib's
compaction takes milliseconds per document, which is minutes for a site of ten
thousand pages, and the shapes needed are few. The tests expand every file and every
block with jsonld.js and compare the triples with the graph.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping
from typing import Any

from pyoxigraph import BlankNode, Literal, NamedNode, Triple

from hikgraph.model import DCAT, DCTERMS, HIK, PROV, RDF, RDFS, SCHEMA, SKOS, VOID, XSD

_TYPE = RDF + "type"
_XSD_STRING = XSD + "string"
_PREFIX_ENDINGS = ("/", "#")

#: The inline context of the embedded blocks: schema.org as the vocabulary, so a
#: search engine reads plain schema.org names; prefixes for the few other terms.
SCHEMA_CONTEXT: dict[str, str] = {
    "@vocab": SCHEMA,
    "dcat": DCAT,
    "dcterms": DCTERMS,
    "hik": HIK,
    "prov": PROV,
    "rdfs": RDFS,
    "skos": SKOS,
    "void": VOID,
    "xsd": XSD,
}

#: What a page's block says of its resource besides schema.org terms: its names and
#: definition, so a topic (a SKOS concept) is not a bare identifier.
_EXTRA_PREDICATES = frozenset(
    {
        SKOS + "prefLabel",
        SKOS + "definition",
        RDFS + "label",
        DCTERMS + "title",
    }
)

JsonValue = Any
"""A JSON value as :func:`json.dumps` takes it."""

#: How many linked resources of one property a block names (with type and name);
#: past that, only their IRIs: a directory of 10,000 entries would otherwise put
#: megabytes of JSON-LD in its page's head.
NAMED_LINKS = 100


def _term_value(term: NamedNode | BlankNode) -> str:
    return term.value if isinstance(term, NamedNode) else f"_:{term.value}"


def _json_key(value: JsonValue) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _collapse(values: list[JsonValue]) -> JsonValue:
    # JSON-LD arrays of values are unordered sets: sort them so bytes are stable.
    unique = {_json_key(v): v for v in values}
    ordered = [unique[k] for k in sorted(unique)]
    return ordered[0] if len(ordered) == 1 else ordered


class Compactor:
    """Writes triples as JSON-LD node objects using the terms of a JSON-LD context
    (``context.jsonld``): a term where one fits the predicate and the value, else a
    ``prefix:local`` name, else the full IRI, so every triple survives expansion.

    Raises ValueError for a context that sets ``@vocab``, ``@base`` or
    ``@language``, which would change how the plain names written here expand.
    """

    def __init__(self, context: Mapping[str, object]) -> None:
        for keyword in ("@vocab", "@base", "@language"):
            if keyword in context:
                raise ValueError(f"the JSON-LD context sets {keyword}; the site cannot use it")
        self._context = context
        self.id_key, self.type_key = "@id", "@type"
        self.prefixes: dict[str, str] = {}
        self._plain: dict[str, str] = {}  # IRI → term without coercion
        self._ids: dict[str, str] = {}  # IRI → term whose values are IRIs
        self._typed: dict[tuple[str, str], str] = {}  # (IRI, datatype) → term
        for term in sorted(context):
            definition = context[term]
            if term.startswith("@"):
                continue
            if definition == "@id":
                self.id_key = term
                continue
            if definition == "@type":
                self.type_key = term
                continue
            if isinstance(definition, str):
                iri = self._expand(definition)
                if iri.endswith(_PREFIX_ENDINGS):
                    self.prefixes[term] = iri
                self._plain.setdefault(iri, term)
            elif isinstance(definition, dict) and set(definition) <= {"@id", "@type"}:
                iri = self._expand(str(definition.get("@id", term)))
                coercion = definition.get("@type")
                if coercion is None:
                    self._plain.setdefault(iri, term)
                elif coercion == "@id":
                    self._ids.setdefault(iri, term)
                elif isinstance(coercion, str):
                    self._typed.setdefault((iri, self._expand(coercion)), term)
            # Anything else (containers, reverse properties) is left unused.

    def _expand(self, value: str) -> str:
        prefix, colon, local = value.partition(":")
        definition = self._context.get(prefix)
        if colon and not local.startswith("//") and isinstance(definition, str):
            return self._expand(definition) + local
        return value

    def compact_iri(self, iri: str) -> str:
        """Return *iri* as ``prefix:local`` with the context's longest matching prefix,
        or unchanged."""
        best = ""
        for prefix, namespace in self.prefixes.items():
            if iri.startswith(namespace) and len(namespace) > len(self.prefixes.get(best, "")):
                local = iri[len(namespace) :]
                if local and not local.startswith("//"):
                    best = prefix
        return f"{best}:{iri[len(self.prefixes[best]) :]}" if best else iri

    def _type_name(self, iri: str) -> str:
        return self._plain.get(iri) or self.compact_iri(iri)

    def _entry(self, predicate: str, obj: NamedNode | BlankNode | Literal) -> tuple[str, JsonValue]:
        plain = self._plain.get(predicate) or self.compact_iri(predicate)
        if isinstance(obj, (NamedNode, BlankNode)):
            if predicate in self._ids:
                return self._ids[predicate], _term_value(obj)
            return plain, {self.id_key: _term_value(obj)}
        datatype = obj.datatype.value
        if obj.language:
            return plain, {"@value": obj.value, "@language": obj.language}
        if datatype == _XSD_STRING:
            return plain, obj.value
        if (predicate, datatype) in self._typed:
            return self._typed[(predicate, datatype)], obj.value
        return plain, {"@value": obj.value, "@type": self.compact_iri(datatype)}

    def nodes(self, triples: Iterable[Triple]) -> list[dict[str, JsonValue]]:
        """Return one node object per subject of *triples*, sorted by subject."""
        grouped: dict[str, dict[str, list[JsonValue]]] = {}
        for triple in triples:
            source = triple.subject
            assert isinstance(source, (NamedNode, BlankNode))  # no RDF-star here
            node = grouped.setdefault(_term_value(source), {})
            obj = triple.object
            assert isinstance(obj, (NamedNode, BlankNode, Literal))
            if triple.predicate.value == _TYPE and isinstance(obj, NamedNode):
                node.setdefault(self.type_key, []).append(self._type_name(obj.value))
                continue
            key, value = self._entry(triple.predicate.value, obj)
            node.setdefault(key, []).append(value)
        out = []
        for subject in sorted(grouped):
            node_object: dict[str, JsonValue] = {self.id_key: subject}
            for key, values in grouped[subject].items():
                node_object[key] = _collapse(values)
            out.append(node_object)
        return out

    def document(self, triples: Iterable[Triple], context_ref: str) -> bytes:
        """Return *triples* as a JSON-LD document whose ``@context`` is the link
        *context_ref* (relative to the document, so no remote context is needed)."""
        document = {"@context": context_ref, "@graph": self.nodes(triples)}
        text = json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True)
        return (text + "\n").encode("utf-8")


def _schema_key(iri: str) -> str:
    if iri.startswith(SCHEMA):
        return iri[len(SCHEMA) :]
    for prefix, namespace in SCHEMA_CONTEXT.items():
        if prefix != "@vocab" and iri.startswith(namespace) and len(iri) > len(namespace):
            return f"{prefix}:{iri[len(namespace) :]}"
    return iri


def _schema_literal(literal: Literal) -> JsonValue:
    if literal.language:
        return {"@value": literal.value, "@language": literal.language}
    if literal.datatype.value == _XSD_STRING:
        return literal.value
    return {"@value": literal.value, "@type": _schema_key(literal.datatype.value)}


def _in_block(predicate: str) -> bool:
    return predicate == _TYPE or predicate.startswith(SCHEMA) or predicate in _EXTRA_PREDICATES


class SchemaBlocks:
    """Builds the ``<script type="application/ld+json">`` block of a page: the
    resource's types, its schema.org statements and its names; each linked resource
    the graph describes comes with its types and name, so a search engine sees the
    publisher of a ``NewsArticle`` as a named organisation. Every statement is one
    of the graph's own triples."""

    def __init__(
        self,
        by_subject: Mapping[str, list[Triple]],
        labels: Mapping[str, str],
    ) -> None:
        self._by_subject = by_subject
        self._labels = labels
        # A linked resource reads the same on every page: the directory, linked from
        # each of thousands of entries, is summed up once, not once per entry.
        self._summaries: dict[str, dict[str, JsonValue]] = {}

    def block(self, iri: str, *, expand: Collection[str] = ()) -> dict[str, JsonValue]:
        """Return the JSON-LD object describing *iri* with an inline context.

        The objects of the predicates in *expand* are described in full (their own
        schema.org statements), not only by type and name.
        """
        node = self._node(iri, expand, full=True)
        context: dict[str, JsonValue] = dict(SCHEMA_CONTEXT)
        for key in sorted(_link_keys(node)):
            # Written as plain strings, as in search engines' examples; the term says
            # they are IRIs, so the triples stay those of the graph.
            context[key] = {"@type": "@id"}
        return {"@context": context, **_plain_links(node, context)}

    def _node(self, iri: str, expand: Collection[str], *, full: bool) -> dict[str, JsonValue]:
        if not full and iri in self._summaries:
            return self._summaries[iri]
        node: dict[str, list[JsonValue]] = {}
        label = self._labels.get(iri)
        for triple in self._by_subject.get(iri, ()):
            predicate = triple.predicate.value
            obj = triple.object
            if not _in_block(predicate):
                continue
            if predicate == _TYPE and isinstance(obj, NamedNode):
                node.setdefault("@type", []).append(_schema_key(obj.value))
                continue
            if not full:
                # A linked resource: its types and the one name the pages show.
                if isinstance(obj, Literal) and obj.value == label and label is not None:
                    node.setdefault(_schema_key(predicate), []).append(_schema_literal(obj))
                    label = None
                continue
            if isinstance(obj, Literal):
                value: JsonValue = _schema_literal(obj)
            elif (
                isinstance(obj, NamedNode)
                and obj.value in self._by_subject
                and obj.value != iri
                and len(node.get(_schema_key(predicate), ())) < NAMED_LINKS
            ):
                value = self._node(obj.value, (), full=predicate in expand)
            elif isinstance(obj, NamedNode):
                value = {"@id": obj.value}
            else:
                continue  # blank nodes have no name outside their document
            node.setdefault(_schema_key(predicate), []).append(value)
        out: dict[str, JsonValue] = {"@id": iri}
        for key in sorted(node):
            out[key] = _collapse(node[key])
        if not full:
            self._summaries[iri] = out
        return out


def _link_keys(node: JsonValue) -> set[str]:
    """Return the schema.org names in *node* (nested) whose values include a bare
    ``{"@id": …}`` link and never a plain string."""
    links: set[str] = set()
    strings: set[str] = set()

    def walk(value: JsonValue, key: str | None) -> None:
        if isinstance(value, list):
            for item in value:
                walk(item, key)
        elif isinstance(value, dict):
            if key is not None and set(value) == {"@id"}:
                links.add(key)
            for name, item in value.items():
                if not name.startswith("@"):
                    walk(item, name)
        elif isinstance(value, str) and key is not None:
            strings.add(key)

    walk(node, None)
    return {key for key in links - strings if ":" not in key}


def _plain_links(value: JsonValue, context: Mapping[str, JsonValue], key: str = "") -> JsonValue:
    if isinstance(value, list):
        return [_plain_links(item, context, key) for item in value]
    if isinstance(value, dict):
        if set(value) == {"@id"} and isinstance(context.get(key), dict):
            return value["@id"]
        return {name: _plain_links(item, context, name) for name, item in value.items()}
    return value
