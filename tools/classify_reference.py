"""Write what a classifier says about a fixed set of headlines, as a reference.

    PYTHONPATH=/tmp/old-checkout/src python tools/classify_reference.py OUT_DIR

Copies the rule files and the topic model the imported ``hikgraph`` ships
(``topics.ttl``, ``country-terms.csv``, ``language-words.csv``, ``topic-model.json``)
into OUT_DIR and writes ``reference.jsonl`` there: one line per headline with its
language, topics and countries and all their evidence, as that code classifies them.
The headlines are every row of ``seed.csv`` and ``unseen.csv`` of that checkout, each
also upper-cased and lower-cased (case-sensitive rules and the lower-casing shortcuts
must agree), plus a few made-up ones with awkward characters.

tests/test_classify_reference.py loads the copied files with the *current* code and
checks that every headline is classified exactly as the reference says: speed work on
the matcher must not change a single tag or piece of evidence.
"""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

from hikgraph.classify import Classifier
from hikgraph.paths import data_dir, ontology_dir

EXTRA = [
    "",
    "   ",
    "İSTANBUL police use Hikvision cameras",
    "Caméras chinoises au Que\u0301bec",
    "U.S.-China tech war: Hikvision's U.K. arm – “blacklisted” — again",
    "HIKVISION'S U.S. BAN / FCC / NDAA Section 889",
    "Hikvision\u00a0sanctions\u2011threat: shares fall 5%",
]


def headlines(root: Path) -> list[str]:
    """Return the labelled headlines of the checkout at *root*, as given and in two cases."""
    found: list[str] = []
    for name in ("seed.csv", "unseen.csv"):
        with (root / "data" / "labels" / name).open(encoding="utf-8", newline="") as handle:
            found += [row["headline"] for row in csv.DictReader(handle)]
    return [*found, *(h.upper() for h in found), *(h.lower() for h in found), *EXTRA]


def record(classifier: Classifier, headline: str) -> dict[str, object]:
    """Return the classification of *headline* as JSON-ready values."""
    result = classifier.classify(headline)
    return {
        "headline": headline,
        "language": result.language,
        "topics": [[t.topic, [[e.rule, e.matched] for e in t.evidence]] for t in result.topics],
        "countries": [
            [c.code, [[e.rule, e.matched] for e in c.evidence]] for c in result.countries
        ],
    }


def main() -> int:
    """Write the reference into the folder named on the command line; return 0."""
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    root = data_dir().parent
    commit = subprocess.run(
        ["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    files = [
        ontology_dir() / "topics.ttl",
        data_dir() / "country-terms.csv",
        data_dir() / "language-words.csv",
        data_dir() / "topic-model.json",
    ]
    for path in files:
        shutil.copyfile(path, out / path.name)
    classifier = Classifier.load(*(out / path.name for path in files))
    with (out / "reference.jsonl").open("w", encoding="utf-8") as handle:
        handle.write(json.dumps({"produced_by_commit": commit}) + "\n")
        for headline in headlines(root):
            handle.write(json.dumps(record(classifier, headline), ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
