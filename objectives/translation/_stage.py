"""The translate stage: a source-language pairs table in, a parallel pairs table out.

Every check that can refuse the input (the outputs and the cache folder included) runs
before the model loads and before anything is written; then each distinct text is
translated once per target language (names that share a model code, ``es_mx=es,es``,
share its translations), in length-sorted batches, through the on-disk cache (committed
after every batch, so a killed run resumes); the table is written atomically, its
provenance beside it first.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from pathlib import Path

from objectives.cache import user_cache_dir
from objectives.data import PAIRS_COLUMNS, PAIRS_SUFFIXES, read_pairs_rows, write_pairs_table
from objectives.errors import ConfigError, DataError
from objectives.faults import fault_point
from objectives.outputs import output_path_problem
from objectives.translation._cache import TranslationCache, cache_key
from objectives.translation._engine import DEFAULT_MT_MODEL, Engine, load_engine
from objectives.translation._languages import Language, parse_languages
from objectives.translation._provenance import Provenance, rows_digest, sidecar_path, write_provenance
from objectives.translation._settings import DecodeSettings

__all__ = ["CACHE_FILE", "TranslateReport", "split_sentences", "translate_table"]

_log = logging.getLogger(__name__)

#: The cache file under the user cache folder (``--cache-dir``, ``SWEEP_CACHE_DIR``).
CACHE_FILE = "translations.sqlite3"

# A sentence ends at . ! ? (or their CJK forms) followed by space, or right after a CJK stop.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|(?<=[。！？])\s*")


def split_sentences(text: str) -> list[str]:
    """``text`` cut after each sentence-final mark; a context is translated a sentence at a time (models are trained so)."""
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


@dataclass(frozen=True)
class TranslateReport:
    """What one run did."""

    out: Path
    sidecar: Path
    rows: int
    translated_rows: int
    kept_rows: int
    dropped_rows: int
    texts: int
    from_cache: int
    new: int
    seconds: float
    translate_seconds: float
    engine: str

    def line(self) -> str:
        rate = f" ({self.new / self.translate_seconds:.1f} texts/s)" if self.new and self.translate_seconds > 0 else ""
        kept = f", {self.kept_rows} already in the table kept" if self.kept_rows else ""
        dropped = f", {self.dropped_rows} dropped (empty translation)" if self.dropped_rows else ""
        return (f"wrote {self.out}: {self.rows} rows, {self.translated_rows} machine-translated by {self.engine}{kept}{dropped}; "
                f"{self.texts} texts: {self.from_cache} from the cache, {self.new} translated in {self.translate_seconds:.1f} s"
                f"{rate} ({self.seconds:.1f} s in all); provenance in {self.sidecar}")


def translate_table(
    source: str | Path,
    out: str | Path,
    target_langs: str,
    *,
    source_lang: str = "en",
    mt_model: str = DEFAULT_MT_MODEL,
    settings: DecodeSettings | None = None,
    translate_context: bool = False,
    device: str = "auto",
    cache_dir: str | Path | None = None,
    progress: bool = False,
) -> TranslateReport:
    """Translate the ``source_lang`` rows of a pairs table into each of ``target_langs`` and write the parallel table.

    The output holds every input row plus, per target language, one row per source row
    with the same qid, article, and the question and answer translated (``context``
    translated sentence by sentence only with ``translate_context``, else left empty).
    A (qid, target) row already in the input is kept, not translated again.

    Raises:
        ConfigError: bad language lists or settings; a code the model does not know (named with its list); an
            output (``out``, its sidecar) or cache folder that cannot be written (checked before the model loads).
        DataError: the table's problems (as ``--data``), a repeated (qid, lang), no row in the source language.
        ModelError: the model is missing or not a translation model.
    """
    settings = settings or DecodeSettings()
    started = time.perf_counter()
    src_raw = parse_languages(source_lang, "--source-lang")
    if len(src_raw) != 1:
        raise ConfigError(f"--source-lang takes one language (got {source_lang!r})")
    tgt_raw = parse_languages(target_langs, "--target-langs")
    if src_raw[0].name in {t.name for t in tgt_raw}:
        raise ConfigError(f"--target-langs includes the source language {src_raw[0].name}: leave it out")
    out_path = Path(out).expanduser()
    if out_path.is_dir() and any(out_path.iterdir()) and not (out_path / "state.json").is_file():
        raise DataError(f"--out {out_path} is a folder that is not a saved table: name a new file (.jsonl, .csv, .parquet) "
                        "or folder")
    cache_folder = user_cache_dir(cache_dir)
    # Every output is tried now: a folder that cannot take them would otherwise fail after the whole translation.
    problems = (output_path_problem(out_path, "--out", kind="file" if out_path.suffix.lower() in PAIRS_SUFFIXES else "any"),
                output_path_problem(sidecar_path(out_path), "--out"),
                output_path_problem(cache_folder, "--cache-dir", kind="folder", create_parents=True),
                output_path_problem(cache_folder / CACHE_FILE, "--cache-dir", create_parents=True))
    if (problem := next((p for p in problems if p is not None), None)) is not None:
        raise ConfigError(problem)

    rows = read_pairs_rows(source)
    present = sorted({r["lang"] for r in rows})
    if src_raw[0].name not in present:
        raise DataError(f"{source} has no rows in the source language {src_raw[0].name} (languages there: "
                        f"{', '.join(present)}): pass the table's language with --source-lang")

    engine = load_engine(mt_model, settings, device)
    src = src_raw[0].resolved(engine.default_codes)
    targets = [t.resolved(engine.default_codes) for t in tgt_raw]
    _check_codes(engine, src, targets)

    have = {(r["qid"], r["lang"]) for r in rows}
    source_rows = [r for r in rows if r["lang"] == src.name]
    todo = {t.name: [r for r in source_rows if (r["qid"], t.name) not in have] for t in targets}
    kept = sum(len(source_rows) - len(todo[t.name]) for t in targets)

    cache = TranslationCache(cache_folder / CACHE_FILE)
    try:
        done, from_cache, new, busy = _translate_all(engine, cache, src, targets, todo, translate_context,
                                                     settings.batch_for(engine.family), progress)
    finally:
        cache.close()

    added: list[dict[str, str]] = []
    dropped = 0
    for t in targets:
        table = done[t.code or ""]
        for r in todo[t.name]:
            question, answer = table[r["question"]], table[r["answer"]]
            if not question or not answer:
                dropped += 1
                continue
            context = ""
            if translate_context and r["context"]:
                context = " ".join(x for x in (table[s] for s in split_sentences(r["context"])) if x)
            added.append({"qid": r["qid"], "lang": t.name, "question": question, "answer": answer, "article": r["article"],
                          "context": context})
    if dropped:
        _log.warning("%d translated rows dropped: the model returned an empty question or answer", dropped)
    final = [{c: r[c] for c in PAIRS_COLUMNS} for r in [*rows, *added]]
    provenance = Provenance(
        engine=engine.family, model=engine.name, fingerprint=engine.fingerprint, source_lang=src.name,
        source_code=src.code or src.name, targets={t.name: t.code or t.name for t in targets},
        settings={**engine.cache_settings(), "translate_context": translate_context},
        source_table=str(source), translated_rows=len(added), kept_rows=kept, dropped_rows=dropped,
        rows_sha256=rows_digest(final),
    )
    sidecar = write_provenance(out_path, provenance)
    write_pairs_table(final, out_path)
    texts = sum(len(v) for v in done.values())
    return TranslateReport(out=out_path, sidecar=sidecar, rows=len(final), translated_rows=len(added), kept_rows=kept,
                           dropped_rows=dropped, texts=texts, from_cache=from_cache, new=new,
                           seconds=time.perf_counter() - started, translate_seconds=busy, engine=f"{engine.name} ({engine.family})")


def _check_codes(engine: Engine, src: Language, targets: list[Language]) -> None:
    known = set(engine.language_codes())
    unknown = [lang for lang in (src, *targets) if lang.code not in known]
    if unknown:
        named = ", ".join(lang.name if lang.code == lang.name else f"{lang.name} (as {lang.code})" for lang in unknown)
        raise ConfigError(
            f"language code(s) {named} unknown to {engine.name} ({engine.family} codes: {', '.join(sorted(known))}): "
            "use one of these, or name=code to translate a table language with one of them"
        )
    for t in targets:
        reason = engine.unsupported_pair(src.code or src.name, t.code or t.name)
        if reason:
            raise ConfigError(f"{reason}: choose --target-langs the engine can translate into")


def _translate_all(
    engine: Engine, cache: TranslationCache, src: Language, targets: list[Language], todo: dict[str, list[dict[str, str]]],
    translate_context: bool, batch_size: int, progress: bool,
) -> tuple[dict[str, dict[str, str]], int, int, float]:
    """Every needed text translated into every target code (code -> text -> translation); counts from cache and new; seconds.

    Table names that share an engine code (``es_mx=es,es``) share its translations: each
    text is looked up and translated once per code, and every such name reads the same table.
    """
    from tqdm.auto import tqdm

    settings = engine.cache_settings()
    by_code: dict[str, list[Language]] = {}
    for t in targets:
        by_code.setdefault(t.code or "", []).append(t)
    plans: list[tuple[str, str, list[str], dict[str, str]]] = []
    done: dict[str, dict[str, str]] = {}
    from_cache = 0
    for code, named in by_code.items():
        texts: dict[str, None] = {}
        for r in (r for t in named for r in todo[t.name]):
            texts[r["question"]] = None
            texts[r["answer"]] = None
            if translate_context and r["context"]:
                texts.update(dict.fromkeys(split_sentences(r["context"])))
        keys = {text: cache_key(engine.fingerprint, src.code or "", code, settings, text) for text in texts}
        found = cache.get_many(list(keys.values()))
        done[code] = {text: found[k] for text, k in keys.items() if k in found}
        from_cache += len(done[code])
        # Longest first: similar lengths pad little, and a batch too large for memory fails at once.
        missing = sorted((text for text, k in keys.items() if k not in found), key=lambda s: (-len(s), s))
        plans.append(("/".join(t.name for t in named), code, missing, keys))
    total = sum(len(m) for _, _, m, _ in plans)
    new = 0
    busy = 0.0
    with tqdm(total=total, unit="text", disable=not progress or total == 0, dynamic_ncols=True) as bar:
        for names, code, missing, keys in plans:
            bar.set_description(f"{src.name}->{names}")
            for start in range(0, len(missing), batch_size):
                batch = missing[start:start + batch_size]
                tick = time.perf_counter()
                translated = engine.translate(batch, src.code or "", code)
                busy += time.perf_counter() - tick
                if len(translated) != len(batch):
                    raise RuntimeError(f"{engine.family} returned {len(translated)} translations for {len(batch)} texts")
                cache.put_many((keys[text], out) for text, out in zip(batch, translated))
                done[code].update(zip(batch, translated))
                new += len(batch)
                bar.update(len(batch))
                fault_point("translate-batch")
    return done, from_cache, new, busy
