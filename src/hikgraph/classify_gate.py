"""Skip the pattern rules that cannot match a headline, without changing what matches.

Every rule pattern is ``(?<!\\w)(?:…)(?!\\w)``; the leading look-behind stops Python's
regex engine from scanning for a first letter, so each rule costs one or two
microseconds a headline even when nothing in it is there. Most rules need words that
most headlines lack ("sold … to … police", "China's … surveillance network").

This module reads each compiled pattern (with :mod:`re`'s own parser) and derives a
**necessary** condition: groups of word pieces such that every match contains, for
each group, at least one of its pieces. A headline is then split once into its word
runs (``\\w+`` of the lower-cased text); a rule runs only when each of its groups has a
piece inside one of those runs; a pattern that is one alternation at the top
("a … | b … | c …") gets such groups per branch, and runs when any branch's hold. The
condition is only ever weakened, never guessed:
anything the derivation does not understand adds no condition, so a rule with no
usable piece always runs. Which pieces a word run contains is remembered per run, so a
word seen before costs one dictionary look-up.

Soundness, case by case: a piece is a run of word characters, so an occurrence lies
inside one maximal word run. Rules without ``(?-i:…)`` run on the lower-cased text, so
their literal characters are compared as they are. Rules with a case-sensitive part run
on the text as written with ``re.IGNORECASE``; there only ASCII letters, digits and
``_`` are kept, lower-cased (their lower-cased text holds exactly those), and in the
case-insensitive parts also ``i`` and ``s`` are dropped, because ``re.IGNORECASE``
matches them to ``İ``, ``ı`` and ``ſ``, which lower-case to something else.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable, Sequence
from typing import Any

try:  # the parser of the re module itself (Python 3.11+ keeps it in re._parser)
    _sre_parser: Any = importlib.import_module("re._parser")
    _sre_constants: Any = importlib.import_module("re._constants")
except ImportError:  # pragma: no cover - an interpreter without it gets no gates
    _sre_parser = None
    _sre_constants = None

WORD_RUN = re.compile(r"\w+")
_MIN_PIECE = 3  # shorter pieces ("a", "on") are in nearly every headline: no use as a gate
_MAX_GROUPS = 4  # more groups cost more to check than they save
_CACHE_LIMIT = 200_000  # word runs remembered; past this the memory starts over

_ASCII_WORD = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")
_ASCII_WORD_CI = _ASCII_WORD - {"i", "s"}


def _lower_ascii(char: str) -> str:
    return char.lower() if char.isascii() else char


def _pieces(run: str, mode: str) -> list[str]:
    """Return the pieces of a literal run that every occurrence of it puts inside word
    runs of the lower-cased headline (*mode*: "exact", "cs" or "ci", see the module)."""
    if mode == "exact":
        return WORD_RUN.findall(run)
    allowed = _ASCII_WORD if mode == "cs" else _ASCII_WORD_CI
    kept = "".join(c if (c := _lower_ascii(char)) in allowed else " " for char in run)
    return kept.split()


def _groups(items: Sequence[Any], ignore_case: bool, exact: bool) -> list[frozenset[str]]:
    """Return necessary piece groups of a parsed sequence (sre_parse items)."""
    c = _sre_constants
    groups: list[frozenset[str]] = []
    run: list[str] = []
    # A case-insensitive part is "ci" even in a rule on the lower-cased text ("(?i:…)").
    mode = "ci" if ignore_case else ("exact" if exact else "cs")

    def flush() -> None:
        if run:
            groups.extend(frozenset({piece}) for piece in _pieces("".join(run), mode))
            run.clear()

    for op, av in items:
        if op is c.LITERAL:
            run.append(chr(av))
            continue
        flush()
        if op is c.SUBPATTERN:
            _, add_flags, del_flags, sub = av
            inner = ignore_case
            if add_flags & c.SRE_FLAG_IGNORECASE:
                inner = True
            if del_flags & c.SRE_FLAG_IGNORECASE:
                inner = False
            groups.extend(_groups(sub, inner, exact))
        elif op is c.ATOMIC_GROUP:
            groups.extend(_groups(av, ignore_case, exact))
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
            low, _, sub = av
            if low >= 1:
                groups.extend(_groups(sub, ignore_case, exact))
        elif op is c.BRANCH:
            union: set[str] = set()
            for alternative in av[1]:
                best = _best(_groups(alternative, ignore_case, exact))
                if best is None:  # an alternative without a piece: the branch needs none
                    break
                union |= best
            else:
                groups.append(frozenset(union))
        # anything else (look-arounds, classes, anchors, back-references) needs no piece
    flush()
    return groups


def _rank(group: frozenset[str]) -> tuple[int, int]:
    """Longer shortest piece first, then fewer pieces: the more selective group."""
    return (min(len(p) for p in group), -len(group))


def _best(groups: list[frozenset[str]]) -> frozenset[str] | None:
    return max(groups, key=_rank) if groups else None


def _useful(groups: list[frozenset[str]]) -> tuple[frozenset[str], ...]:
    """Return the most selective groups worth checking (none: no condition)."""
    useful = {g for g in groups if min(len(p) for p in g) >= _MIN_PIECE}
    if not useful:  # two letters ("us", "hk") still rule out most headlines
        useful = {g for g in groups if min(len(p) for p in g) >= 2}
    return tuple(sorted(useful, key=lambda g: (_rank(g), sorted(g)), reverse=True)[:_MAX_GROUPS])


def _top_branch(items: list[Any]) -> tuple[list[Any], list[list[Any]]] | None:
    """Return (the other items, the alternatives) of the one top-level alternation of a
    pattern ("(?<!\\w)(?:(a|b|c))(?!\\w)"), or None when there is none."""
    c = _sre_constants
    for position, (op, av) in enumerate(items):
        inner = av[3] if op is c.SUBPATTERN and not (av[1] | av[2]) else [(op, av)]
        if len(inner) == 1 and inner[0][0] is c.BRANCH:
            return items[:position] + items[position + 1 :], list(inner[0][1][1])
    return None


def required_groups(regex: re.Pattern[str], exact: bool) -> tuple[tuple[frozenset[str], ...], ...]:
    """Return the alternatives of a necessary condition for *regex* to match: every
    match satisfies at least one alternative, that is, contains for each of its groups
    at least one piece inside a word run of the lower-cased headline.

    *exact* says the regex runs on the lower-cased text without re.IGNORECASE. A
    pattern that is one alternation at the top ("a … | b … | c …") gets one alternative
    per branch, others one alternative. An alternative without groups means no
    condition (the rule must always run); so does a pattern that cannot be analysed.
    """
    if _sre_parser is None:
        return ((),)
    try:
        items = list(_sre_parser.parse(regex.pattern, regex.flags))
        ignore_case = bool(regex.flags & re.IGNORECASE)
        split = _top_branch(items)
        if split is None:
            return (_useful(_groups(items, ignore_case, exact)),)
        rest, alternatives = split
        common = _groups(rest, ignore_case, exact)
        found = [_useful(common + _groups(alt, ignore_case, exact)) for alt in alternatives]
    except Exception:  # an unexpected parse tree only means "no gate"
        return ((),)
    if any(not groups for groups in found):
        return ((),)
    return tuple(dict.fromkeys(found))


class Gate:
    """Which rules may match a headline, decided from its word runs (see the module)."""

    def __init__(self, conditions: Iterable[tuple[tuple[frozenset[str], ...], ...]]) -> None:
        """*conditions*: per rule, the alternatives :func:`required_groups` returns;
        :meth:`open` answers with the positions of that sequence."""
        piece_ids: dict[str, int] = {}
        always: set[int] = set()
        first: dict[int, set[int]] = {}  # piece id -> checks whose first group holds it
        # One check per (rule, alternative): the rule and the alternative's other groups.
        self._checks: list[tuple[int, tuple[frozenset[int], ...]]] = []
        for rule, alternatives in enumerate(conditions):
            for groups in alternatives:
                ids = [
                    frozenset(piece_ids.setdefault(p, len(piece_ids)) for p in g) for g in groups
                ]
                if not ids:
                    always.add(rule)
                    continue
                for piece in ids[0]:
                    first.setdefault(piece, set()).add(len(self._checks))
                self._checks.append((rule, tuple(ids[1:])))
        self._always = frozenset(always)
        self._first = {piece: frozenset(checks) for piece, checks in first.items()}
        self._pieces = tuple(piece_ids.items())
        self._memo: dict[str, frozenset[int]] = {}

    def pieces_of(self, run: str) -> frozenset[int]:
        """Return the ids of the pieces inside one word run (``\\w+`` of the lower-cased
        text), remembered per run."""
        ids = self._memo.get(run)
        if ids is None:
            if len(self._memo) >= _CACHE_LIMIT:
                self._memo.clear()
            ids = self._memo[run] = frozenset([i for p, i in self._pieces if p in run])
        return ids

    def open(self, runs: Iterable[str]) -> frozenset[int] | set[int]:
        """Return the positions of the rules that may match a headline with these word
        *runs* (the ``\\w+`` runs of its lower-cased text)."""
        present: set[int] = set()
        for run in runs:
            present |= self.pieces_of(run)
        return self.open_present(present)

    def open_present(self, present: set[int]) -> frozenset[int] | set[int]:
        """Return the positions of the rules that may match a headline whose word runs
        hold the pieces *present* (the union of :meth:`pieces_of` over its runs)."""
        if not present:
            return self._always
        candidates: set[int] = set()
        first = self._first
        for piece in present:
            checks = first.get(piece)
            if checks:
                candidates |= checks
        opened = set(self._always)
        all_checks = self._checks
        for check in candidates:
            rule, rest = all_checks[check]
            if rule in opened:
                continue
            for group in rest:
                if group.isdisjoint(present):
                    break
            else:
                opened.add(rule)
        return opened
