from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import pytest

from objectives import DataError
from objectives.data import assign_splits, load_lareqa, split_qids

XQUAD_LANGS = ["ar", "de", "el", "en", "es", "hi", "ru", "th", "tr", "vi", "zh"]


def _raw_counts(path: Path) -> tuple[int, int]:
    """Questions and candidate sentences counted straight from the raw JSON."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    paragraphs = [p for a in doc["data"] for p in a["paragraphs"]]
    return sum(len(p["qas"]) for p in paragraphs), sum(len(p["sentences"]) for p in paragraphs)


@pytest.fixture(scope="module")
def xquad(xquad_path: Path):
    return load_lareqa(xquad_path)


def test_all_languages_with_counts_from_raw_json(xquad, xquad_path: Path) -> None:
    assert list(xquad.languages) == XQUAD_LANGS
    q_counts = Counter(xquad.questions["lang"])
    c_counts = Counter(xquad.candidates["lang"])
    for lang in XQUAD_LANGS:
        n_questions, n_sentences = _raw_counts(xquad_path / f"{lang}.json")
        assert q_counts[lang] == n_questions
        assert c_counts[lang] == n_sentences
    # The LAReQA paper's table: 1190 questions per language; th has the fewest sentences.
    assert set(q_counts.values()) == {1190}
    assert c_counts["th"] == 852 and c_counts["de"] == 1276


def test_relevant_sentence_holds_answer_start(xquad, xquad_path: Path) -> None:
    doc = json.loads((xquad_path / "en.json").read_text(encoding="utf-8"))
    para = doc["data"][0]["paragraphs"][0]
    qa = para["qas"][0]
    rel = {(q, lang): cid for q, lang, cid in zip(xquad.relevance["qid"], xquad.relevance["lang"], xquad.relevance["cid"])}
    cid = rel[(qa["id"], "en")]
    sentence = xquad.candidates[cid]["text"]
    answer = qa["answers"][0]
    assert answer["text"] in sentence
    assert xquad.candidates[cid]["lang"] == "en"


def test_zh_boundary_answers_belong_to_later_sentence(xquad, xquad_path: Path) -> None:
    doc = json.loads((xquad_path / "zh.json").read_text(encoding="utf-8"))
    rel = {q: cid for q, lang, cid in zip(xquad.relevance["qid"], xquad.relevance["lang"], xquad.relevance["cid"]) if lang == "zh"}
    on_boundary = 0
    for article in doc["data"]:
        for para in article["paragraphs"]:
            ends = {b[1] for b in para["sentence_breaks"]}
            for qa in para["qas"]:
                start = qa["answers"][0]["answer_start"]
                if start in ends:
                    on_boundary += 1
                    later = next(i for i, b in enumerate(para["sentence_breaks"]) if b[0] == start)
                    assert xquad.candidates[rel[qa["id"]]]["text"] == para["sentences"][later]
    assert on_boundary == 29


def test_every_qid_has_one_split_in_every_language(xquad) -> None:
    splits = assign_splits(xquad, seed=0)
    by_qid: dict[str, set[str]] = {}
    for qid, lang in zip(xquad.questions["qid"], xquad.questions["lang"]):
        by_qid.setdefault(qid, set()).add(splits[qid])
    assert all(len(s) == 1 for s in by_qid.values())
    # Articles never straddle splits, in any language.
    article_splits: dict[str, set[str]] = {}
    for qid, article in zip(xquad.questions["qid"], xquad.questions["article"]):
        article_splits.setdefault(article, set()).add(splits[qid])
    assert all(len(s) == 1 for s in article_splits.values())
    sizes = Counter(splits.values())
    assert sum(sizes.values()) == 1190
    # Greedy filling lands within one article (<= 74 questions) of 50/25/25.
    for split, target in (("train", 595), ("dev", 297.5), ("test", 297.5)):
        assert abs(sizes[split] - target) <= 74


def test_splits_are_deterministic_and_seeded(xquad) -> None:
    assert assign_splits(xquad, seed=3) == assign_splits(xquad, seed=3)
    assert assign_splits(xquad, seed=3) != assign_splits(xquad, seed=4)
    assert split_qids(assign_splits(xquad, 1), "all") == set(xquad.questions["qid"])


def test_language_subset(xquad_path: Path) -> None:
    data = load_lareqa(xquad_path, ["en", "de", "zh"])
    assert data.languages == ("en", "de", "zh")
    assert set(data.candidates["lang"]) == {"en", "de", "zh"}
    assert data.fingerprint != load_lareqa(xquad_path, ["en", "de"]).fingerprint


def _copy(xquad_path: Path, tmp_path: Path, langs: list[str]) -> Path:
    for lang in langs:
        shutil.copy(xquad_path / f"{lang}.json", tmp_path / f"{lang}.json")
    return tmp_path


def test_partial_coverage_loads(xquad_path: Path, tmp_path: Path) -> None:
    """MLQA-R style: a question missing in one language is skipped there, not an error."""
    folder = _copy(xquad_path, tmp_path, ["en"])
    doc = json.loads((xquad_path / "de.json").read_text(encoding="utf-8"))
    dropped = doc["data"][0]["paragraphs"][0]["qas"].pop(0)["id"]
    (folder / "de.json").write_text(json.dumps(doc), encoding="utf-8")
    data = load_lareqa(folder)
    de_qids = {q for q, lang in zip(data.questions["qid"], data.questions["lang"]) if lang == "de"}
    assert dropped not in de_qids and len(de_qids) == 1189
    assert (dropped, "en") in set(zip(data.relevance["qid"], data.relevance["lang"]))


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("malformed", "is not valid JSON"),
        ("missing_language", r"no data file for language\(s\) fr"),
        ("empty", "has no <lang>.json files"),
        ("no_folder", "does not exist"),
        ("duplicate_qid", "appears twice"),
        ("disjoint_qids", "shares no question id"),
        ("no_paragraphs", "not in LAReQA format"),
    ],
)
def test_bad_input_is_one_clear_line(setup: str, message: str, xquad_path: Path, tmp_path: Path) -> None:
    languages = None
    folder = tmp_path
    if setup == "malformed":
        _copy(xquad_path, tmp_path, ["en"])
        (tmp_path / "de.json").write_text('{"data": [', encoding="utf-8")
    elif setup == "missing_language":
        _copy(xquad_path, tmp_path, ["en", "de"])
        languages = ["en", "fr"]
    elif setup == "no_folder":
        folder = tmp_path / "nope"
    elif setup == "duplicate_qid":
        doc = json.loads((xquad_path / "en.json").read_text(encoding="utf-8"))
        qas = doc["data"][0]["paragraphs"][0]["qas"]
        qas.append(dict(qas[0]))
        (tmp_path / "en.json").write_text(json.dumps(doc), encoding="utf-8")
    elif setup == "disjoint_qids":
        _copy(xquad_path, tmp_path, ["en"])
        doc = json.loads((xquad_path / "de.json").read_text(encoding="utf-8"))
        for article in doc["data"]:
            for para in article["paragraphs"]:
                for qa in para["qas"]:
                    qa["id"] = "x" + qa["id"]
        (tmp_path / "de.json").write_text(json.dumps(doc), encoding="utf-8")
    elif setup == "no_paragraphs":
        (tmp_path / "en.json").write_text('{"data": [{"title": "t"}]}', encoding="utf-8")
    with pytest.raises(DataError, match=message) as info:
        load_lareqa(folder, languages)
    assert "\n" not in str(info.value)


def test_no_answer_anywhere_is_an_error(tmp_path: Path) -> None:
    doc = {"data": [{"paragraphs": [{"context": "A b.", "sentences": ["A b."], "sentence_breaks": [[0, 4]],
                                      "qas": [{"id": "q1", "question": "A?", "answers": [{"answer_start": 9, "text": "x"}]}]}]}]}
    (tmp_path / "en.json").write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(DataError, match="no question"):
        load_lareqa(tmp_path)
