"""Pairs tables: every file format gives the LAReQA tables, and the same data gives the same metrics."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import datasets
import pytest

from objectives import DataError
from objectives.data import LareqaData, assign_splits, is_pairs_source, load_data, load_lareqa, load_pairs
from objectives.encoder import load_encoder
from objectives.trial import TrialConfig, evaluate_model, prepare_workspace, run_trial, zero_shot
from tests.pairs_tables import LANGS, pairs_from, small_lareqa, write_table

FORMATS = ["pairs.jsonl", "pairs.json", "pairs.csv", "pairs.parquet", "pairs-saved"]


def _tables(data: LareqaData) -> dict[str, Any]:
    return {"languages": data.languages, "questions": data.questions.to_list(), "candidates": data.candidates.to_list(),
            "relevance": data.relevance.to_list(), "unanswerable": data.unanswerable}


@pytest.fixture(scope="module")
def lareqa_folder(tmp_path_factory: pytest.TempPathFactory, xquad_path: Path) -> Path:
    return small_lareqa(xquad_path, tmp_path_factory.mktemp("lareqa-small"))


@pytest.fixture(scope="module")
def reference(lareqa_folder: Path) -> LareqaData:
    return load_lareqa(lareqa_folder, LANGS)


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory, reference: LareqaData) -> dict[str, tuple[Path, Path]]:
    """The same pairs and distractors, written in every format."""
    folder = tmp_path_factory.mktemp("pairs-formats")
    rows, distractors = pairs_from(reference)
    return {name: (write_table(rows, folder / name), write_table(distractors, folder / f"distractors-{name}"))
            for name in FORMATS}


def test_every_format_loads_identical_tables(written: dict[str, tuple[Path, Path]], reference: LareqaData) -> None:
    loaded = {name: load_pairs(path, LANGS, distractors) for name, (path, distractors) in written.items()}
    first = _tables(loaded[FORMATS[0]])
    for name in FORMATS[1:]:
        assert _tables(loaded[name]) == first, name
    # Written in the LAReQA loader's row order, the question table is that loader's, groups included.
    assert first["questions"] == reference.questions.to_list()
    assert sorted((c["lang"], c["text"]) for c in first["candidates"]) == sorted(
        zip(reference.candidates["lang"], reference.candidates["text"]))
    assert assign_splits(loaded["pairs.csv"], 0) == assign_splits(reference, 0)
    assert len({d.fingerprint for d in loaded.values()}) == len(FORMATS)  # different bytes, different fingerprints


def test_dataset_dict_folder_reads_pairs_and_distractors_splits(written: dict[str, tuple[Path, Path]], reference: LareqaData,
                                                               tmp_path: Path) -> None:
    rows, distractors = pairs_from(reference)
    folder = tmp_path / "dict"
    datasets.DatasetDict({"pairs": datasets.Dataset.from_list(rows),
                          "distractors": datasets.Dataset.from_list(distractors)}).save_to_disk(str(folder))
    assert is_pairs_source(folder)
    path, more = written["pairs.jsonl"]
    assert _tables(load_pairs(folder, LANGS)) == _tables(load_pairs(path, LANGS, more))


def test_shared_answers_share_one_candidate(written: dict[str, tuple[Path, Path]], reference: LareqaData) -> None:
    path, distractors = written["pairs.jsonl"]
    data = load_pairs(path, LANGS, distractors)
    rows, _ = pairs_from(reference)
    cid = {(q, lang): c for q, lang, c in zip(data.relevance["qid"], data.relevance["lang"], data.relevance["cid"])}
    by_answer: dict[tuple[str, str], set[int]] = {}
    for row in rows:
        by_answer.setdefault((row["lang"], row["answer"]), set()).add(cid[(row["qid"], row["lang"])])
    assert all(len(cids) == 1 for cids in by_answer.values())
    assert len(by_answer) + len(pairs_from(reference)[1]) == len(data.candidates)
    assert len(data.relevance) > len(by_answer)  # some passages answer several questions


def _write_rows(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def _row(qid: Any, lang: str, question: str, answer: str, **extra: Any) -> dict[str, Any]:
    return {"qid": qid, "lang": lang, "question": question, "answer": answer, **extra}


def test_integer_qids_defaults_and_articles(tmp_path: Path) -> None:
    rows = [_row(1, "en", "Who?", "Ann did it."), _row(1, "de", "Wer?", "Ann war es."),
            _row(2, "en", "When?", "In May.", article="talk"), _row(3, "en", "Where?", "In Rome.", article="talk"),
            _row(4, "en", "Why?", "Ann did it.", context="A story.")]
    data = load_pairs(_write_rows(tmp_path / "p.jsonl", rows))
    assert data.languages == ("de", "en")
    assert list(data.questions["qid"]) == ["1", "1", "2", "3", "4"]
    assert list(data.questions["article"]) == ["1", "1", "talk", "talk", "4"]
    group = dict(zip(data.questions["qid"], data.questions["group"]))
    assert group["2"] == group["3"] and len({group["1"], group["2"], group["4"]}) == 3
    # "Ann did it." answers qid 1 without context and qid 4 with one: two candidates.
    assert list(data.candidates["text"]) == ["Ann did it.", "Ann war es.", "In May.", "In Rome.", "Ann did it."]
    assert list(data.candidates["context"]) == ["", "", "", "", "A story."]
    assert data.unanswerable == {"de": 0, "en": 0}


def test_partial_coverage_and_exact_duplicates(tmp_path: Path) -> None:
    rows = [_row("a", "en", "Who?", "Ann."), _row("a", "de", "Wer?", "Ann."), _row("b", "en", "When?", "May."),
            _row("b", "en", "When?", "May.")]
    data = load_pairs(_write_rows(tmp_path / "p.jsonl", rows))
    assert sorted(zip(data.questions["qid"], data.questions["lang"])) == [("a", "de"), ("a", "en"), ("b", "en")]
    assert sorted(zip(data.relevance["qid"], data.relevance["lang"])) == [("a", "de"), ("a", "en"), ("b", "en")]


def test_distractors_join_the_pool_without_copies(tmp_path: Path) -> None:
    pairs = _write_rows(tmp_path / "p.jsonl", [_row("a", "en", "Who?", "Ann."), _row("a", "de", "Wer?", "Anna.")])
    extra = _write_rows(tmp_path / "d.jsonl", [{"lang": "en", "text": "Ann."}, {"lang": "de", "text": "Ann."},
                                               {"lang": "en", "text": "Bob."}, {"lang": "en", "text": "Bob."},
                                               {"lang": "zh", "text": "鲍勃。"}])
    data = load_pairs(pairs, ["en", "de"], extra)
    assert list(zip(data.candidates["lang"], data.candidates["text"])) == [("en", "Ann."), ("de", "Anna."), ("de", "Ann."), ("en", "Bob.")]
    assert data.fingerprint != load_pairs(pairs, ["en", "de"]).fingerprint
    assert data.fingerprint != load_pairs(pairs, ["de", "en"], extra).fingerprint
    with pytest.raises(DataError, match="distractor language zh has no questions"):
        load_pairs(pairs, None, extra)


def test_load_data_dispatches_by_format(lareqa_folder: Path, written: dict[str, tuple[Path, Path]],
                                        reference: LareqaData) -> None:
    assert _tables(load_data(lareqa_folder, LANGS)) == _tables(reference)
    path, distractors = written["pairs.parquet"]
    assert _tables(load_data(path, LANGS, distractors)) == _tables(load_pairs(path, LANGS, distractors))
    # Distractors also join a LAReQA pool; copies of its sentences are dropped.
    extra = _write_rows(path.parent / "extra.jsonl", [{"lang": "de", "text": "Ein ganz neuer Satz."},
                                                      {"lang": "en", "text": reference.candidates["text"][0]}])
    grown = load_data(lareqa_folder, LANGS, extra)
    assert len(grown.candidates) == len(reference.candidates) + 1
    assert grown.candidates[-1] == {"lang": "de", "text": "Ein ganz neuer Satz.", "context": "", "article": ""}
    assert grown.fingerprint != reference.fingerprint


BAD = {
    "missing column": ('{"qid": 1, "lang": "en", "question": "Who?"}\n', "p.jsonl",
                       r"has no column answer \(found: qid, lang, question\)"),
    "wrong type": ('{"qid": 1, "lang": "en", "question": "Who?", "answer": "Ann."}\n'
                   '{"qid": 2, "lang": "en", "question": 7, "answer": "Bob."}\n',
                   "p.jsonl", r"row 2 .*column 'question' holds 7 \(int\)"),
    "null value": ("qid,lang,question,answer\n1,en,Who?,Ann.\n2,en,,Bob.\n", "p.csv", r"row 2 .*column 'question' has no value"),
    "empty file": ("", "p.csv", "is empty"),
    "header only": ("qid,lang,question,answer\n", "p.csv", r"is empty \(no rows\)"),
    "conflicting duplicate": ('{"qid": 1, "lang": "en", "question": "Who?", "answer": "Ann."}\n'
                              '{"qid": 1, "lang": "en", "question": "Who?", "answer": "Bob."}\n',
                              "p.jsonl", r"qid 1 appears twice for language en \(rows 1 and 2\) with different answers"),
    "squad document": ('{"data": [{"paragraphs": []}]}', "en.json", "is a LAReQA/SQuAD document"),
    "isolated language": ('{"qid": 1, "lang": "en", "question": "Who?", "answer": "Ann."}\n'
                          '{"qid": 2, "lang": "de", "question": "Wer?", "answer": "Bob."}\n',
                          "p.jsonl", "language de shares no qid"),
    "unknown language": ('{"qid": 1, "lang": "en", "question": "Who?", "answer": "Ann."}\n', "p.jsonl",
                         r"no rows for language\(s\) fr .*choose from en"),
    "broken json": ('{"qid": 1, "lang": "en"\n', "p.jsonl", "cannot read"),
    "missing file": (None, "nope.csv", "does not exist"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_table_is_one_clear_line(case: str, tmp_path: Path) -> None:
    text, name, message = BAD[case]
    path = tmp_path / name
    if text is not None:
        path.write_text(text, encoding="utf-8")
    with pytest.raises(DataError, match=message) as info:
        load_pairs(path, ["en", "fr"] if case == "unknown language" else None)
    assert "\n" not in str(info.value)


def test_dataset_dict_with_unnamed_splits_is_refused(tmp_path: Path) -> None:
    table = datasets.Dataset.from_list([_row("a", "en", "Who?", "Ann.")])
    datasets.DatasetDict({"train": table, "test": table}).save_to_disk(str(tmp_path / "dd"))
    with pytest.raises(DataError, match="holds splits train, test and none is named 'pairs'"):
        load_pairs(tmp_path / "dd")


# ------------------------------------------------------------------ same metrics


def _flat(value: object, key: str = "") -> dict[str, object]:
    """Nested metrics as one flat mapping, so ``pytest.approx`` can compare every leaf."""
    if isinstance(value, dict):
        return {k: v for name, item in value.items() for k, v in _flat(item, f"{key}/{name}").items()}
    if isinstance(value, (list, tuple)):
        return {k: v for i, item in enumerate(value) for k, v in _flat(item, f"{key}[{i}]").items()}
    return {key: value}


def _assert_same_metrics(left: dict, right: dict) -> None:
    flat_left, flat_right = _flat(left), _flat(right)
    assert flat_left.keys() == flat_right.keys()
    numbers = {k for k, v in flat_left.items() if isinstance(v, float)}
    assert {k: flat_left[k] for k in numbers} == pytest.approx({k: flat_right[k] for k in numbers}, abs=1e-5)
    assert {k: v for k, v in flat_left.items() if k not in numbers} == \
        {k: v for k, v in flat_right.items() if k not in numbers}


def test_lareqa_and_pairs_give_identical_metrics(lareqa_folder: Path, written: dict[str, tuple[Path, Path]],
                                                 tiny_model_dir: Path, tmp_path: Path) -> None:
    """No two candidates share a text, so candidate order cannot break a tie differently."""
    # The two loaders list candidates in different orders, so the length-sorted batches that
    # build the fp16 activation cache hold different neighbours and the embeddings differ in
    # the last bits. A near-tie of the random tiny model can then flip (CI saw mAP 5e-7 apart),
    # so scores are compared to 1e-5; counts, languages and k must match exactly.
    pairs, distractors = written["pairs.jsonl"]
    as_lareqa, as_pairs = load_data(lareqa_folder, LANGS), load_data(pairs, LANGS, distractors)
    assert len(set(as_pairs.candidates["text"])) == len(as_pairs.candidates)
    encoder = load_encoder(str(tiny_model_dir), query_prefix="", passage_prefix="", max_length=48)
    _assert_same_metrics(evaluate_model(encoder, as_lareqa, "all").to_dict(), evaluate_model(encoder, as_pairs, "all").to_dict())

    common = dict(model=str(tiny_model_dir), languages=list(LANGS), steps=3, batch_size=8, max_length=48,
                  regime="proxy", device="cpu", cache_dir=str(tmp_path / "cache"))
    config_l = TrialConfig(data=str(lareqa_folder), **common)
    config_p = TrialConfig(data=str(pairs), distractors=str(distractors), **common)
    ws_l, ws_p = prepare_workspace(config_l, progress=False), prepare_workspace(config_p, progress=False)
    _assert_same_metrics(zero_shot(ws_l, "dev").to_dict(), zero_shot(ws_p, "dev").to_dict())
    trial_l = run_trial(config_l, 0.5, seed=1, workspace=ws_l)
    trial_p = run_trial(config_p, 0.5, seed=1, workspace=ws_p)
    _assert_same_metrics(trial_l.metrics.to_dict(), trial_p.metrics.to_dict())
    assert trial_l.losses == pytest.approx(trial_p.losses, abs=1e-5)


def test_pairs_table_as_separate_training_data(lareqa_folder: Path, written: dict[str, tuple[Path, Path]],
                                               reference: LareqaData, tiny_model_dir: Path, tmp_path: Path) -> None:
    pairs, _ = written["pairs.csv"]
    config = TrialConfig(model=str(tiny_model_dir), data=str(lareqa_folder), train_data=str(pairs), languages=list(LANGS),
                         max_length=48, regime="proxy", device="cpu", cache_dir=str(tmp_path / "cache"))
    ws = prepare_workspace(config, progress=False)
    # Every question of the training table trains (not only a train split), in all three languages.
    assert len(ws.train_items) == len(set(reference.questions["qid"]))
    assert ws.train_languages == LANGS
