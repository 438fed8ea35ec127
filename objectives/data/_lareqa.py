"""Load any LAReQA-format folder into question, candidate and relevance tables.

LAReQA (Roy et al. 2020, arXiv 2004.05484) turns SQuAD-style extractive QA into
retrieval: every paragraph carries ``sentences`` and ``sentence_breaks``; each
sentence is a candidate, and a question's relevant candidate in a language is the
sentence of its paragraph whose break range holds ``answer_start``.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import datasets

from objectives.data._common import article_groups, isolated_language, pick_languages
from objectives.errors import DataError

__all__ = ["LareqaData", "load_lareqa", "available_languages"]

_log = logging.getLogger(__name__)

# Bumped whenever the parsing rules change, so cached tables keyed by the fingerprint go stale.
_LOADER_VERSION = "1"


@dataclass(frozen=True)
class LareqaData:
    """A multilingual answer-retrieval dataset, one row per (question, language).

    Attributes:
        languages: language codes in load order.
        questions: columns ``qid``, ``lang``, ``text``, ``article``, ``group``.
            ``article`` is ``"<lang>/<index>"`` (a pairs table's ``article`` column, or
            the qid, for :func:`objectives.data.load_pairs`); ``group`` is the connected
            component of qids that share an article in any language (the unit of splitting).
        candidates: columns ``lang``, ``text``, ``context``, ``article``; the row index
            is the candidate id (distractors have article ``""``).
        relevance: columns ``qid``, ``lang``, ``cid``: the answer sentence of ``qid``
            in language ``lang``.
        fingerprint: sha256 over the loader version and the bytes of the files read.
        unanswerable: per language, questions whose ``answer_start`` falls in no sentence.
    """

    languages: tuple[str, ...]
    questions: datasets.Dataset
    candidates: datasets.Dataset
    relevance: datasets.Dataset
    fingerprint: str
    unanswerable: dict[str, int] = field(default_factory=dict)


def available_languages(folder: Path) -> list[str]:
    """Language codes of the ``<lang>.json`` files in ``folder``, sorted."""
    # Hidden files (markers, editor backups) are never language files.
    return sorted(p.stem for p in Path(folder).glob("*.json") if not p.name.startswith("."))


def load_lareqa(folder: str | Path, languages: Sequence[str] | None = None) -> LareqaData:
    """Load the ``<lang>.json`` files of ``folder`` (all of them unless ``languages``).

    Raises:
        DataError: missing folder or language file, malformed JSON or structure, a
            qid twice in one file, a file sharing no qid with the others, or no
            question with an answer.
    """
    folder = Path(folder)
    langs = _select_languages(folder, languages)
    digest = hashlib.sha256(_LOADER_VERSION.encode())
    parsed: dict[str, list[dict[str, Any]]] = {}
    for lang in langs:
        raw = (folder / f"{lang}.json").read_bytes()
        digest.update(lang.encode() + b"\0" + hashlib.sha256(raw).digest())
        parsed[lang] = _articles(folder / f"{lang}.json", raw)
    tables = _Tables()
    for lang in langs:
        tables.add_language(lang, parsed[lang], folder / f"{lang}.json")
    tables.check(langs, folder)
    groups = article_groups(tables.q_qid, tables.q_article)
    return LareqaData(
        languages=tuple(langs),
        questions=datasets.Dataset.from_dict(
            {"qid": tables.q_qid, "lang": tables.q_lang, "text": tables.q_text,
             "article": tables.q_article, "group": [groups[q] for q in tables.q_qid]}
        ),
        candidates=datasets.Dataset.from_dict(
            {"lang": tables.c_lang, "text": tables.c_text, "context": tables.c_context,
             "article": tables.c_article}
        ),
        relevance=datasets.Dataset.from_dict(
            {"qid": tables.r_qid, "lang": tables.r_lang, "cid": tables.r_cid}
        ),
        fingerprint=digest.hexdigest(),
        unanswerable=tables.unanswerable,
    )


def _select_languages(folder: Path, languages: Sequence[str] | None) -> list[str]:
    if not folder.is_dir():
        raise DataError(f"data folder {folder} does not exist: pass --data pointing at a LAReQA folder")
    present = available_languages(folder)
    if not present:
        raise DataError(
            f"data folder {folder} has no <lang>.json files: pass --data pointing at a LAReQA "
            "folder (one <lang>.json per language)"
        )
    return pick_languages(present, languages, f"data file for language(s) {{}} in {folder}")


def _articles(path: Path, raw: bytes) -> list[dict[str, Any]]:
    try:
        doc = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as e:
        raise DataError(f"{path} is not UTF-8 text ({e.reason} at byte {e.start}): re-save it as UTF-8") from None
    except json.JSONDecodeError as e:
        raise DataError(
            f"{path} is not valid JSON (line {e.lineno}, column {e.colno}: {e.msg}): fix or replace the file"
        ) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("data"), list):
        raise DataError(f"{path} has no top-level \"data\" list: it is not a LAReQA/SQuAD file")
    return doc["data"]


def _bad(path: Path, where: str, what: str) -> DataError:
    return DataError(f"{path}: {where}: {what}; the file is not in LAReQA format (SQuAD JSON with sentences and sentence_breaks)")


class _Tables:
    """Column lists accumulated while walking the files."""

    def __init__(self) -> None:
        self.q_qid: list[str] = []
        self.q_lang: list[str] = []
        self.q_text: list[str] = []
        self.q_article: list[str] = []
        self.c_lang: list[str] = []
        self.c_text: list[str] = []
        self.c_context: list[str] = []
        self.c_article: list[str] = []
        self.r_qid: list[str] = []
        self.r_lang: list[str] = []
        self.r_cid: list[int] = []
        self.unanswerable: dict[str, int] = {}
        self.qids_by_lang: dict[str, set[str]] = {}

    def add_language(self, lang: str, articles: list[Any], path: Path) -> None:
        seen: set[str] = set()
        self.qids_by_lang[lang] = seen
        self.unanswerable[lang] = 0
        for a_idx, article in enumerate(articles):
            paragraphs = article.get("paragraphs") if isinstance(article, dict) else None
            if not isinstance(paragraphs, list):
                raise _bad(path, f"article {a_idx}", "no \"paragraphs\" list")
            for p_idx, para in enumerate(paragraphs):
                self._add_paragraph(lang, f"{lang}/{a_idx}", para, path, f"article {a_idx} paragraph {p_idx}", seen)

    def _add_paragraph(
        self, lang: str, article: str, para: Any, path: Path, where: str, seen: set[str]
    ) -> None:
        sentences, breaks, context, qas = _paragraph_fields(para, path, where)
        first_cid = len(self.c_text)
        for sentence in sentences:
            self.c_lang.append(lang)
            self.c_text.append(sentence)
            self.c_context.append(context)
            self.c_article.append(article)
        for qa in qas:
            qid, question, start = _qa_fields(qa, path, where)
            if qid in seen:
                raise DataError(f"{path}: question id {qid} appears twice: every qid must be unique within a language file")
            seen.add(qid)
            self.q_qid.append(qid)
            self.q_lang.append(lang)
            self.q_text.append(question)
            self.q_article.append(article)
            sentence_idx = _sentence_holding(breaks, start)
            if sentence_idx is None:
                self.unanswerable[lang] += 1
                continue
            self.r_qid.append(qid)
            self.r_lang.append(lang)
            self.r_cid.append(first_cid + sentence_idx)

    def check(self, langs: list[str], folder: Path) -> None:
        if not self.r_cid:
            raise DataError(f"no question in {folder} has an answer inside a sentence: check the sentence_breaks and answer_start fields")
        for lang in langs:
            if not self.qids_by_lang[lang]:
                raise DataError(
                    f"{folder / (lang + '.json')} has no questions: add its qas or leave the language out with --languages"
                )
        lonely = isolated_language(langs, self.qids_by_lang)
        if lonely is not None:
            raise DataError(
                f"{folder / (lonely + '.json')} shares no question id with the other languages: "
                "parallel files must use the same qids (or load it on its own with --languages)"
            )
        for lang, count in self.unanswerable.items():
            if count:
                _log.warning("%s: %d question(s) have an answer_start outside every sentence; they are not evaluated", lang, count)


def _paragraph_fields(para: Any, path: Path, where: str) -> tuple[list[str], list[tuple[int, int]], str, list[Any]]:
    if not isinstance(para, dict):
        raise _bad(path, where, "a paragraph is not an object")
    sentences, breaks, qas = para.get("sentences"), para.get("sentence_breaks"), para.get("qas")
    if not isinstance(sentences, list) or not all(isinstance(s, str) for s in sentences):
        raise _bad(path, where, "\"sentences\" is missing or not a list of strings")
    if not isinstance(breaks, list) or len(breaks) != len(sentences):
        raise _bad(path, where, "\"sentence_breaks\" is missing or does not match \"sentences\" in length")
    if not all(isinstance(b, list) and len(b) == 2 and all(type(x) is int for x in b) for b in breaks):
        raise _bad(path, where, "each sentence break must be a [start, end] pair of integers")
    if not isinstance(qas, list):
        raise _bad(path, where, "\"qas\" is missing or not a list")
    context = para.get("context", "")
    return sentences, [(b[0], b[1]) for b in breaks], context if isinstance(context, str) else "", qas


def _qa_fields(qa: Any, path: Path, where: str) -> tuple[str, str, int]:
    if not isinstance(qa, dict):
        raise _bad(path, where, "a question entry is not an object")
    qid, question, answers = qa.get("id"), qa.get("question"), qa.get("answers")
    if not isinstance(qid, str) or not isinstance(question, str):
        raise _bad(path, where, "a question lacks a string \"id\" or \"question\"")
    if not isinstance(answers, list) or not answers or not isinstance(answers[0], dict):
        raise _bad(path, where, f"question {qid} has no \"answers\" list")
    start = answers[0].get("answer_start")
    if type(start) is not int:
        raise _bad(path, where, f"question {qid} has no integer answer_start")
    return qid, question, start


def _sentence_holding(breaks: list[tuple[int, int]], position: int) -> int | None:
    """Index of the sentence whose half-open range ``[start, end)`` holds ``position``.

    Half-open, so a position on a boundary shared by two sentences belongs to the later
    one (docs/design.md, "Sentence breaks"; 29 zh questions of XQuAD-R sit on such a boundary).
    """
    for idx, (start, end) in enumerate(breaks):
        if start <= position < end:
            return idx
    return None
