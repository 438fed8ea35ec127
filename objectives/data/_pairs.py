"""Load a pairs table (one row per question and language) into the LAReQA tables.

Most teams keep retrieval data as a table: ``qid``, ``lang``, ``question`` and
``answer`` (the relevant passage), optionally ``article`` (the unit of the
train/dev/test split; default: the qid) and ``context``. Distractor passages
(columns ``lang``, ``text``, optional ``context``) join the candidate pool. Files
are read with the ``datasets`` library: ``.jsonl``, ``.json``, ``.csv``,
``.parquet``, or a folder written by ``Dataset.save_to_disk`` /
``DatasetDict.save_to_disk``. The result is the same :class:`LareqaData` the LAReQA
loader builds, so nothing downstream knows which format was read.
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import math
import os
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import datasets

from objectives.data._common import article_groups, isolated_language, pick_languages
from objectives.data._fetch import sha256_file
from objectives.data._lareqa import LareqaData
from objectives.errors import DataError

__all__ = ["PAIRS_SUFFIXES", "SAVED_MARKERS", "add_distractors", "is_pairs_source", "load_pairs"]

_log = logging.getLogger(__name__)

# Bumped whenever the mapping rules change, so cached tables keyed by the fingerprint go stale.
_LOADER_VERSION = "pairs-1"

#: File suffixes read as a pairs table (lower-cased before the comparison).
PAIRS_SUFFIXES: tuple[str, ...] = (".jsonl", ".json", ".csv", ".parquet")

#: Files one of which ``Dataset.save_to_disk`` / ``DatasetDict.save_to_disk`` always writes.
SAVED_MARKERS: tuple[str, ...] = ("dataset_info.json", "state.json", "dataset_dict.json")

_BUILDERS = {".jsonl": "json", ".json": "json", ".csv": "csv", ".parquet": "parquet"}
_PAIRS_COLUMNS = ("qid", "lang", "question", "answer")
_DISTRACTOR_COLUMNS = ("lang", "text")
_PAIRS_HINT = "a pairs table needs columns qid, lang, question, answer (optional: article, context)"
_DISTRACTOR_HINT = "a distractors table needs columns lang, text (optional: context)"


def is_pairs_source(path: str | os.PathLike[str]) -> bool:
    """True if ``path`` names a pairs table: a file with a table suffix or a save_to_disk folder.

    A path that does not exist counts by its suffix alone, so ``--data typo.csv`` is
    reported as a missing pairs file rather than a missing LAReQA folder.
    """
    p = Path(path).expanduser()
    if p.is_dir():
        return any((p / marker).is_file() for marker in SAVED_MARKERS)
    return p.suffix.lower() in PAIRS_SUFFIXES


def load_pairs(
    source: str | os.PathLike[str],
    languages: Sequence[str] | None = None,
    distractors: str | os.PathLike[str] | None = None,
) -> LareqaData:
    """Map a pairs table (and optional distractors) onto the LAReQA question/candidate/relevance tables.

    Computes: one question row per (qid, lang) with qid stored as text; one candidate
    per distinct (lang, answer, context), in order of first appearance, so questions
    answered by the same passage share a candidate id; then the distractors (the
    ``distractors`` split of a saved DatasetDict, then ``distractors``), minus any whose
    (lang, text) is already a candidate; relevance (qid, lang) -> that candidate;
    article groups linking questions that share an article value or a qid; and a
    sha256 fingerprint over the loader version, the selected languages and the bytes
    of every file read (a saved folder's ``.arrow``/``.json`` files in sorted order).
    A qid present in only some languages is fine (MLQA-R style).

    Args:
        source: A ``.jsonl``/``.json``/``.csv``/``.parquet`` file or a save_to_disk
            folder. A DatasetDict folder is read from its ``pairs`` split, else its
            only split other than ``distractors``.
        languages: Keep only these languages, in this order (default: every language
            in the table, sorted).
        distractors: A table of passages (``lang``, ``text``) that answer nothing.

    Returns:
        The tables, with ``unanswerable`` 0 for every language.

    Raises:
        DataError: missing file or column, a value of the wrong type or missing in a
            required column, an empty table, a (qid, lang) twice with different
            content, an unknown language, no row left after the language filter, or a
            language sharing no qid with the others. Messages are one line.
    """
    table = _read_table(Path(source), "pairs")
    rows = _pairs_rows(table.rows, table.name)
    langs = pick_languages(sorted({r.lang for r in rows}), languages, f"rows for language(s) {{}} in {table.name}")
    kept = [r for r in rows if r.lang in langs]
    if not kept:
        raise DataError(f"{table.name} has no row in language(s) {', '.join(langs)}: choose languages the table has")
    lonely = isolated_language(langs, {lang: {r.qid for r in kept if r.lang == lang} for lang in langs})
    if lonely is not None:
        raise DataError(
            f"{table.name}: language {lonely} shares no qid with the other languages: rows of the same question "
            f"in different languages must use the same qid (or load {lonely} on its own with --languages)"
        )

    digest = hashlib.sha256(_LOADER_VERSION.encode() + b"\0" + table.digest + b"\0" + "\0".join(langs).encode())
    questions: dict[str, list[Any]] = {"qid": [], "lang": [], "text": [], "article": []}
    candidates: dict[str, list[Any]] = {"lang": [], "text": [], "context": [], "article": []}
    relevance: dict[str, list[Any]] = {"qid": [], "lang": [], "cid": []}
    cid_of: dict[tuple[str, str, str], int] = {}
    for r in kept:
        for key, value in zip(questions, (r.qid, r.lang, r.question, r.article)):
            questions[key].append(value)
        cid = cid_of.get((r.lang, r.answer, r.context))
        if cid is None:
            cid = cid_of[(r.lang, r.answer, r.context)] = len(candidates["text"])
            for key, value in zip(candidates, (r.lang, r.answer, r.context, r.article)):
                candidates[key].append(value)
        for key, value in zip(relevance, (r.qid, r.lang, cid)):
            relevance[key].append(value)
    extra = [] if table.distractors is None else [(f"{table.name} (split distractors)", table.distractors)]
    if distractors is not None and str(distractors) != "":
        more = _read_table(Path(distractors), "distractors")
        extra.append((more.name, more.rows))
        digest.update(b"\0distractors\0" + more.digest)
    _append_distractors(candidates, extra, langs, filter_languages=languages is not None)
    groups = article_groups(questions["qid"], questions["article"])
    return LareqaData(
        languages=tuple(langs),
        questions=datasets.Dataset.from_dict({**questions, "group": [groups[q] for q in questions["qid"]]}),
        candidates=datasets.Dataset.from_dict(candidates),
        relevance=datasets.Dataset.from_dict(relevance),
        fingerprint=digest.hexdigest(),
        unanswerable={lang: 0 for lang in langs},
    )


def add_distractors(
    data: LareqaData, distractors: str | os.PathLike[str], languages: Sequence[str] | None = None
) -> LareqaData:
    """``data`` with the passages of a distractors table appended to its candidate pool.

    Rows whose (lang, text) is already a candidate are dropped. ``languages`` is the
    filter ``data`` was loaded with: given, distractors in other languages are
    dropped; not given, such a distractor is an error. The fingerprint covers the
    distractors' bytes.

    Raises:
        DataError: as for :func:`load_pairs`'s ``distractors``.
    """
    table = _read_table(Path(distractors), "distractors")
    candidates = {key: list(data.candidates[key]) for key in ("lang", "text", "context", "article")}
    _append_distractors(candidates, [(table.name, table.rows)], list(data.languages), filter_languages=languages is not None)
    digest = hashlib.sha256(f"{_LOADER_VERSION}\0{data.fingerprint}\0distractors\0".encode() + table.digest)
    return LareqaData(
        languages=data.languages, questions=data.questions, candidates=datasets.Dataset.from_dict(candidates),
        relevance=data.relevance, fingerprint=digest.hexdigest(), unanswerable=data.unanswerable,
    )


# ----------------------------------------------------------------------- rows


@dataclass(frozen=True)
class _Row:
    qid: str
    lang: str
    question: str
    answer: str
    article: str
    context: str


def _where(name: str, row: int) -> str:
    return f"{name}, row {row + 1} (counting from 1, header excluded)"


def _short(value: Any) -> str:
    text = " ".join(repr(value).split())
    return text if len(text) <= 40 else text[:37] + "..."


def _text(value: Any, column: str, row: int, name: str, *, allow_int: bool = False) -> str:
    """A required cell as text; ``allow_int`` also takes integers (qids), stored as text."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        raise DataError(f"{_where(name, row)}: column {column!r} has no value: fill it in (every row needs one)")
    if allow_int and isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        wanted = "text or an integer" if allow_int else "text"
        raise DataError(
            f"{_where(name, row)}: column {column!r} holds {_short(value)} ({type(value).__name__}): "
            f"it must be {wanted}; fix the value or its type in the file"
        )
    if not value.strip():
        raise DataError(f"{_where(name, row)}: column {column!r} is empty: fill it in (every row needs one)")
    return value


def _optional_text(value: Any, column: str, row: int, name: str, *, allow_int: bool = False) -> str | None:
    """An optional cell as text, ``None`` when missing or blank."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or (isinstance(value, str) and not value.strip()):
        return None
    return _text(value, column, row, name, allow_int=allow_int)


def _columns(table: datasets.Dataset, name: str, required: Sequence[str], optional: Sequence[str],
             hint: str) -> dict[str, list[Any]]:
    found = list(table.column_names)
    missing = [c for c in required if c not in found]
    if missing:
        raise DataError(
            f"{name} has no column {', '.join(missing)} (found: {', '.join(found) or 'none'}): {hint}"
        )
    if len(table) == 0:
        raise DataError(f"{name} is empty (no rows): {hint}, one row per entry")
    return {c: list(table[c]) for c in (*required, *optional) if c in found}


def _pairs_rows(table: datasets.Dataset, name: str) -> list[_Row]:
    """Validated rows; exact repeats of a row are dropped, conflicting repeats refused."""
    cols = _columns(table, name, _PAIRS_COLUMNS, ("article", "context"), _PAIRS_HINT)
    rows: list[_Row] = []
    first_row: dict[tuple[str, str], tuple[int, _Row]] = {}
    for i in range(len(table)):
        qid = _text(cols["qid"][i], "qid", i, name, allow_int=True)
        article = _optional_text(cols["article"][i], "article", i, name, allow_int=True) if "article" in cols else None
        context = _optional_text(cols["context"][i], "context", i, name) if "context" in cols else None
        row = _Row(qid, _text(cols["lang"][i], "lang", i, name), _text(cols["question"][i], "question", i, name),
                   _text(cols["answer"][i], "answer", i, name), article or qid, context or "")
        seen = first_row.get((qid, row.lang))
        if seen is None:
            first_row[(qid, row.lang)] = (i, row)
            rows.append(row)
            continue
        if seen[1] == row:
            continue
        differs = next(f for f in ("answer", "question", "article", "context") if getattr(seen[1], f) != getattr(row, f))
        raise DataError(
            f"{name}: qid {qid} appears twice for language {row.lang} (rows {seen[0] + 1} and {i + 1}) with "
            f"different {differs}s: keep one row per question and language"
        )
    return rows


def _append_distractors(
    candidates: dict[str, list[Any]], tables: list[tuple[str, datasets.Dataset]], langs: Sequence[str],
    *, filter_languages: bool,
) -> None:
    """Append distractor passages to ``candidates`` in place, skipping copies of candidates."""
    have = set(zip(candidates["lang"], candidates["text"]))
    added = copies = other_lang = 0
    for name, table in tables:
        cols = _columns(table, name, _DISTRACTOR_COLUMNS, ("context",), _DISTRACTOR_HINT)
        for i in range(len(table)):
            lang, text = _text(cols["lang"][i], "lang", i, name), _text(cols["text"][i], "text", i, name)
            if lang not in langs:
                if not filter_languages:
                    raise DataError(
                        f"{_where(name, i)}: distractor language {lang} has no questions in the data: "
                        f"use languages {', '.join(langs)}, or select languages with --languages"
                    )
                other_lang += 1
                continue
            if (lang, text) in have:
                copies += 1
                continue
            have.add((lang, text))
            context = _optional_text(cols["context"][i], "context", i, name) if "context" in cols else None
            for key, value in zip(candidates, (lang, text, context or "", "")):
                candidates[key].append(value)
            added += 1
    if tables:
        _log.info("distractors: %d added, %d dropped as copies of a candidate, %d in languages not loaded",
                  added, copies, other_lang)


# ---------------------------------------------------------------------- files


@dataclass(frozen=True)
class _Table:
    name: str
    rows: datasets.Dataset
    distractors: datasets.Dataset | None
    digest: bytes


@contextmanager
def _quiet_datasets() -> Iterator[None]:
    """Silence the ``datasets`` logger and bars while reading: our errors are the one line shown."""
    level = datasets.utils.logging.get_verbosity()
    bars = datasets.is_progress_bar_enabled()
    datasets.utils.logging.set_verbosity(logging.CRITICAL + 1)
    datasets.disable_progress_bars()
    try:
        yield
    finally:
        datasets.utils.logging.set_verbosity(level)
        if bars:
            datasets.enable_progress_bars()


def _reason(error: BaseException) -> str:
    """The innermost cause of a ``datasets`` failure, on one line."""
    while error.__cause__ is not None or error.__context__ is not None:
        error = error.__cause__ or error.__context__  # type: ignore[assignment]
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= 200 else text[:197] + "..."


def _read_table(path: Path, role: str) -> _Table:
    """Read a pairs or distractors table (``role``) from a file or a save_to_disk folder."""
    path = path.expanduser()
    name = str(path)
    if path.is_dir():
        if not any((path / marker).is_file() for marker in SAVED_MARKERS):
            raise DataError(
                f"{role} folder {path} was not written by save_to_disk (no {', '.join(SAVED_MARKERS)}): "
                f"pass a {'/'.join(PAIRS_SUFFIXES)} file or a folder saved with Dataset.save_to_disk"
            )
        return _read_saved(path, role)
    if not path.is_file():
        raise DataError(f"{role} file {path} does not exist: check the path")
    suffix = path.suffix.lower()
    if suffix not in _BUILDERS:
        raise DataError(f"{role} file {path} is not a {', '.join(PAIRS_SUFFIXES)} file: convert it to one of them")
    raw = path.read_bytes()
    if not raw.strip():
        hint = _PAIRS_HINT if role == "pairs" else _DISTRACTOR_HINT
        raise DataError(f"{name} is empty: {hint}, one row per entry")
    if suffix == ".json" and raw.lstrip()[:1] == b"{":
        _refuse_squad(path, raw)
    kwargs: dict[str, Any] = {}
    if suffix == ".csv":
        # CSV has no types: every cell stays text (qid "007" is not 7), as written.
        header = _csv_header(path, raw)
        kwargs = {"features": datasets.Features({c: datasets.Value("string") for c in header}), "encoding": "utf-8-sig"}
    with tempfile.TemporaryDirectory(prefix="xling-pairs-") as tmp, _quiet_datasets():
        try:
            rows = datasets.load_dataset(_BUILDERS[suffix], data_files=str(path), split="train", cache_dir=tmp,
                                         keep_in_memory=True, **kwargs)
        except Exception as e:  # datasets raises many types (Arrow, pandas, its own); all mean "bad file"
            if "corresponds to no data" in str(e):
                hint = _PAIRS_HINT if role == "pairs" else _DISTRACTOR_HINT
                raise DataError(f"{name} is empty (no rows): {hint}, one row per entry") from None
            raise DataError(f"cannot read {name} as {suffix[1:]}: {_reason(e)}; fix the file") from None
    return _Table(name, rows, None, hashlib.sha256(raw).digest())


def _refuse_squad(path: Path, raw: bytes) -> None:
    try:
        doc = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return  # JSON lines or broken JSON: the datasets reader reports it
    if isinstance(doc, dict) and isinstance(doc.get("data"), list):
        raise DataError(
            f"{path} is a LAReQA/SQuAD document (top-level \"data\" list), not a pairs table: "
            "pass the folder holding its <lang>.json files as --data"
        )


def _csv_header(path: Path, raw: bytes) -> list[str]:
    try:
        first = raw.decode("utf-8-sig").splitlines()[0]
    except UnicodeDecodeError as e:
        raise DataError(f"{path} is not UTF-8 text ({e.reason} at byte {e.start}): re-save it as UTF-8") from None
    header = next(csv.reader([first]), [])
    duplicated = sorted({c for c in header if header.count(c) > 1})
    if duplicated:
        raise DataError(f"{path} has the column {', '.join(duplicated)} more than once: give every column one name")
    return header


def _read_saved(path: Path, role: str) -> _Table:
    with _quiet_datasets():
        try:
            loaded = datasets.load_from_disk(str(path), keep_in_memory=True)
        except Exception as e:  # a damaged or foreign folder; its reason is the useful part
            raise DataError(f"cannot read the saved dataset {path}: {_reason(e)}; save it again with save_to_disk") from None
    digest = hashlib.sha256()
    for file in sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in (".arrow", ".json")):
        digest.update(file.relative_to(path).as_posix().encode() + b"\0" + bytes.fromhex(sha256_file(file)))
    if isinstance(loaded, datasets.Dataset):
        return _Table(str(path), loaded, None, digest.digest())
    splits = list(loaded)
    main = [s for s in splits if s != "distractors"]
    if role in loaded:
        chosen = role
    elif role == "distractors" and len(splits) == 1:
        chosen = splits[0]
    elif role == "pairs" and len(main) == 1:
        chosen = main[0]
    else:
        raise DataError(
            f"{path} holds splits {', '.join(splits)} and none is named {role!r}: "
            f"save the {role} as split {role!r} (or save only one split)"
        )
    extra = loaded["distractors"] if role == "pairs" and "distractors" in loaded else None
    return _Table(f"{path} (split {chosen})", loaded[chosen], extra, digest.digest())

