"""Small pairs tables and LAReQA folders cut from XQuAD-R, written in every supported format."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import datasets

from objectives.data import LareqaData

LANGS = ("en", "de", "zh")


def small_lareqa(xquad_path: Path, out: Path, langs: Sequence[str] = LANGS, paragraphs: int = 12) -> Path:
    """A LAReQA folder of the first ``paragraphs`` parallel XQuAD-R paragraphs that are safe to compare.

    A paragraph is kept when every question's answer lies in a sentence in every
    language and none of its sentences repeats a text already kept (in any language),
    so no two candidates tie. Each kept paragraph becomes its own article.
    """
    docs = {lang: json.loads((xquad_path / f"{lang}.json").read_text(encoding="utf-8")) for lang in langs}
    seen: set[str] = set()
    kept: dict[str, list[dict[str, Any]]] = {lang: [] for lang in langs}
    for a_idx, article in enumerate(docs[langs[0]]["data"]):
        for p_idx in range(len(article["paragraphs"])):
            paras = {lang: docs[lang]["data"][a_idx]["paragraphs"][p_idx] for lang in langs}
            texts = [s for p in paras.values() for s in p["sentences"]]
            answerable = all(
                any(b[0] <= qa["answers"][0]["answer_start"] < b[1] for b in p["sentence_breaks"])
                for p in paras.values() for qa in p["qas"]
            )
            if not answerable or len(set(texts)) != len(texts) or seen & set(texts):
                continue
            seen.update(texts)
            for lang in langs:
                kept[lang].append({"title": f"{a_idx}-{p_idx}", "paragraphs": [paras[lang]]})
            if len(kept[langs[0]]) == paragraphs:
                break
        if len(kept[langs[0]]) == paragraphs:
            break
    out.mkdir(parents=True, exist_ok=True)
    for lang in langs:
        (out / f"{lang}.json").write_text(json.dumps({"data": kept[lang]}, ensure_ascii=False), encoding="utf-8")
    return out


def pairs_from(data: LareqaData) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The pairs rows (question + its answer sentence) and the distractors (every other sentence)."""
    texts, contexts = data.candidates["text"], data.candidates["context"]
    answer = {(q, lang): cid for q, lang, cid in zip(data.relevance["qid"], data.relevance["lang"], data.relevance["cid"])}
    rows = [
        {"qid": q, "lang": lang, "question": text, "answer": texts[answer[(q, lang)]], "article": article,
         "context": contexts[answer[(q, lang)]]}
        for q, lang, text, article in zip(data.questions["qid"], data.questions["lang"], data.questions["text"],
                                          data.questions["article"])
    ]
    used = set(answer.values())
    distractors = [{"lang": lang, "text": text} for cid, (lang, text) in enumerate(zip(data.candidates["lang"], texts))
                   if cid not in used]
    return rows, distractors


def write_table(rows: list[dict[str, Any]], path: Path) -> Path:
    """Write ``rows`` as the format ``path`` names: .jsonl, .json (a list), .csv, .parquet, or a save_to_disk folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".jsonl":
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    elif path.suffix == ".json":
        path.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    elif path.suffix == ".csv":
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    elif path.suffix == ".parquet":
        datasets.Dataset.from_list(rows).to_parquet(str(path))
    else:
        datasets.Dataset.from_list(rows).save_to_disk(str(path))
    return path
