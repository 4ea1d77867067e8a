"""Ready copies in the cache folder: py3langid's identifier and the classifier are
read back instead of made again, answer exactly as freshly made ones do, and a damaged
copy or a folder that cannot be written to never stops a load."""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from pathlib import Path

import pytest
from py3langid.langid import MODEL_FILE, LanguageIdentifier

from hikgraph.classify import IDENTIFIED_LANGUAGES
from hikgraph.language_identifier import load_identifier

TEXTS = [
    "Le gouvernement interdit les caméras Hikvision dans les bâtiments publics",
    "Kamery Hikvision w polskich urzędach budzą obawy",
    "Hikvision-Kameras: Bundestag prüft Verbot",
    "Hikvision cameras banned from US federal buildings",
    "海康威视摄像头",
]


def _fresh() -> LanguageIdentifier:
    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages([c for c in IDENTIFIED_LANGUAGES if c in identifier.nb_classes])
    return identifier


def _copies(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.pickle"))


def _no_decompressing(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the model was decompressed although a ready copy was kept")

    monkeypatch.setattr(LanguageIdentifier, "from_model_file", classmethod(refuse))


def test_the_second_load_reads_the_copy_and_ranks_as_a_fresh_identifier(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fresh = _fresh()
    first = load_identifier(IDENTIFIED_LANGUAGES, tmp_path)
    [copy] = _copies(tmp_path)
    assert copy.stat().st_size > 10_000_000  # the whole model, ready
    _no_decompressing(monkeypatch)
    second = load_identifier(IDENTIFIED_LANGUAGES, tmp_path)
    assert second is not first
    for text in TEXTS:
        assert second.rank(text) == first.rank(text) == fresh.rank(text)
    assert list(second.nb_classes) == list(fresh.nb_classes)


def test_other_languages_make_another_copy_and_the_old_one_goes(tmp_path: Path) -> None:
    load_identifier(IDENTIFIED_LANGUAGES, tmp_path)
    [old] = _copies(tmp_path)
    narrowed = load_identifier(["en", "fr", "de"], tmp_path)
    [new] = _copies(tmp_path)
    assert new != old
    assert sorted(narrowed.nb_classes) == ["de", "en", "fr"]
    assert narrowed.rank(TEXTS[0])[0][0] == "fr"


@pytest.mark.parametrize(
    "damage",
    [
        lambda path: path.write_bytes(path.read_bytes()[: 1 << 20]),  # cut short
        lambda path: path.write_bytes(b"not a pickle at all"),
        lambda path: path.write_bytes(pickle.dumps({"a": "dict, not an identifier"})),
    ],
    ids=["truncated", "garbage", "wrong-object"],
)
def test_a_damaged_copy_is_made_again(tmp_path: Path, damage: object) -> None:
    load_identifier(IDENTIFIED_LANGUAGES, tmp_path)
    [copy] = _copies(tmp_path)
    size = copy.stat().st_size
    damage(copy)  # type: ignore[operator]
    identifier = load_identifier(IDENTIFIED_LANGUAGES, tmp_path)
    assert identifier.rank(TEXTS[1]) == _fresh().rank(TEXTS[1])
    assert _copies(tmp_path) == [copy]
    assert copy.stat().st_size == size
    with copy.open("rb") as handle:
        assert isinstance(pickle.load(handle), LanguageIdentifier)


def test_a_folder_that_cannot_be_written_to_only_costs_time(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("the cache folder would have to be made inside this file\n")
    identifier = load_identifier(IDENTIFIED_LANGUAGES, blocker / "language-identifier")
    assert identifier.rank(TEXTS[2])[0][0] == "de"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]


def test_the_classifier_keeps_its_language_identifier_in_the_cache_folder(
    cache_folder: Path,
) -> None:
    from hikgraph import classify

    assert classify.identify_language(TEXTS[0]) == "fr"
    assert len(_copies(cache_folder / "language-identifier")) == 1


HEADLINES = [
    *TEXTS,
    "Hikvision Cameras Found Watching Uyghur Camps In Xinjiang",
    "UK Parliament Debates Ban On Chinese CCTV Over Security Fears",
    "Hikvision Reports Record Revenue Despite US Sanctions",
    "Australian Councils Remove Hikvision Cameras",
]


@pytest.fixture
def cache_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty cache folder, and no classifier or language identifier loaded yet in
    this process (nor left behind, loaded from that folder)."""
    from hikgraph import classify

    monkeypatch.setenv("HIKGRAPH_CACHE_DIR", str(tmp_path))
    classify.default_classifier.cache_clear()
    classify._identifier.cache_clear()
    yield tmp_path
    classify.default_classifier.cache_clear()
    classify._identifier.cache_clear()


def test_the_classifier_is_read_back_and_classifies_as_a_freshly_loaded_one(
    cache_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hikgraph import classify
    from hikgraph.classify_stream import classifier_digest

    made = classify.default_classifier()
    [copy] = _copies(cache_folder / "classifier")
    assert copy.stem == classifier_digest()[:32]
    classify.default_classifier.cache_clear()

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the classifier was loaded although a ready copy was kept")

    with monkeypatch.context() as patched:
        patched.setattr(classify.Classifier, "load", classmethod(refuse))
        read_back = classify.default_classifier()
    assert read_back is not made
    for headline in HEADLINES:
        assert read_back.classify(headline) == made.classify(headline)
    # The topic model's stem function, a closure, is made again on reading.
    model = read_back.topic_model
    assert model is not None and model.words("banning cameras") == (
        made.topic_model.words("banning cameras")  # type: ignore[union-attr]
    )


def test_other_classifier_inputs_make_another_copy_and_the_old_one_goes(
    cache_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hikgraph import classify, classify_stream

    classify.default_classifier()
    [old] = _copies(cache_folder / "classifier")
    monkeypatch.setattr(classify_stream, "classifier_digest", lambda: "f" * 64)
    classify.default_classifier.cache_clear()
    classify.default_classifier()
    assert _copies(cache_folder / "classifier") == [
        cache_folder / "classifier" / f"{'f' * 32}.pickle"
    ]
    assert not old.exists()


def test_copies_of_other_names_go_but_not_one_another_process_is_writing(tmp_path: Path) -> None:
    import os
    import time

    from hikgraph.ready_copy import ABANDONED_SECONDS, load_or_make

    stale = tmp_path / "0123-other-inputs.pickle"
    stale.write_bytes(pickle.dumps("a copy made from other inputs"))
    writing = tmp_path / ".writing-abc.pickle"  # another process, writing now
    writing.write_bytes(b"partly written")
    abandoned = tmp_path / ".writing-def.pickle"  # its process died long ago
    abandoned.write_bytes(b"partly written")
    old = time.time() - ABANDONED_SECONDS - 60
    os.utime(abandoned, (old, old))
    assert load_or_make(tmp_path, "current", str, lambda: "made") == "made"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".writing-abc.pickle", "current.pickle"]
    assert load_or_make(tmp_path, "current", str, lambda: "not made again") == "made"


def test_a_copy_others_may_write_to_is_not_read_but_made_again(tmp_path: Path) -> None:
    import os
    import stat

    from hikgraph.ready_copy import load_or_make

    copy = tmp_path / "current.pickle"
    copy.write_bytes(pickle.dumps("planted by someone who may write to the folder"))
    copy.chmod(0o666)
    assert load_or_make(tmp_path, "current", str, lambda: "made") == "made"
    assert not copy.stat().st_mode & (stat.S_IWGRP | stat.S_IWOTH)  # the made copy: 0600
    assert load_or_make(tmp_path, "current", str, lambda: "not made again") == "made"
    assert copy.stat().st_uid == os.getuid()


def test_only_the_users_own_files_that_nobody_else_may_write_are_trusted() -> None:
    import os

    from hikgraph.ready_copy import trusted

    def status(mode: int, uid: int) -> os.stat_result:
        return os.stat_result((mode, 0, 0, 1, uid, 0, 0, 0, 0, 0))

    me = os.getuid()
    assert trusted(status(0o100600, me)) and trusted(status(0o100644, me))
    assert not trusted(status(0o100620, me))  # the group may write
    assert not trusted(status(0o100602, me))  # anyone may write
    assert not trusted(status(0o100600, me + 1))  # another user's file
