"""Everything a worker loads once and every trial reuses: data, splits, encoder, cache."""

from __future__ import annotations

import logging
import os
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from objectives._activations import ActivationCache, build_activation_cache, cache_key
from objectives._config import TrialConfig
from objectives._errors import ConfigError
from objectives.data import LareqaData, assign_splits, load_lareqa, split_qids
from objectives.data import resolve_data_dir
from objectives.encoder import Encoder, load_encoder
from objectives.samplers import TrainItem

__all__ = ["EvalIndex", "Workspace", "prepare_workspace", "user_cache_dir"]

_log = logging.getLogger(__name__)


def user_cache_dir(config_dir: str | None = None) -> Path:
    """``cache_dir`` from the config, else ``SWEEP_CACHE_DIR``, else ``~/.cache/xling-sweep``."""
    chosen = config_dir or os.environ.get("SWEEP_CACHE_DIR")
    return Path(chosen).expanduser() if chosen else Path.home() / ".cache" / "xling-sweep"


@dataclass(frozen=True)
class EvalIndex:
    """The arrays :func:`objectives.retrieval.evaluate_embeddings` takes, for one split.

    ``query_rows`` are activation-cache rows of the split's questions;
    ``candidate_rows`` those of the whole candidate pool (LAReQA evaluates against
    every candidate, whatever the split).
    """

    query_rows: np.ndarray
    q_lang: np.ndarray
    q_group: np.ndarray
    candidate_rows: np.ndarray
    c_lang: np.ndarray
    rel_group: np.ndarray
    rel_cand: np.ndarray


@dataclass
class Workspace:
    """Loaded once per worker; trials only read it."""

    config: TrialConfig
    data: LareqaData
    splits: dict[str, str]
    encoder: Encoder
    cache: ActivationCache
    train_items: list[TrainItem]
    train_languages: tuple[str, ...]
    cache_seconds: float
    candidate_offset: int
    _eval: dict[str, EvalIndex] = field(default_factory=dict)

    @property
    def languages(self) -> tuple[str, ...]:
        return self.data.languages

    @property
    def cut(self) -> int:
        return len(self.encoder.model.encoder.layer) - self.config.train_layers

    def eval_index(self, split: str) -> EvalIndex:
        if split not in self._eval:
            self._eval[split] = _eval_index(self.data, split_qids(self.splits, split), self.candidate_offset)
        return self._eval[split]


def prepare_workspace(config: TrialConfig, progress: bool = True) -> Workspace:
    """Load data and encoder, split, and build or load the activation cache."""
    if config.threads:
        torch.set_num_threads(config.threads)
    data = load_lareqa(resolve_data_dir(config.data), config.languages)
    splits = assign_splits(data, config.split_seed, config.split_fractions)
    query_prefix, passage_prefix = config.prefixes()
    encoder = load_encoder(
        config.model, query_prefix=query_prefix, passage_prefix=passage_prefix,
        max_length=config.max_length, device=config.device,
    )
    layers = len(encoder.model.encoder.layer)
    if config.train_layers > layers:
        raise ConfigError(f"train_layers is {config.train_layers} but {config.model} has {layers} layers: use 1..{layers}")
    train_data = load_lareqa(resolve_data_dir(config.train_data), config.languages) if config.train_data else None
    texts_q, texts_c = _texts(data, config)
    if train_data is not None:
        train_q, train_c = _texts(train_data, config)
        texts_q, texts_c = texts_q + train_q, texts_c + train_c
    start = time.perf_counter()
    token_ids = encoder.tokenize(texts_q, "query") + encoder.tokenize(texts_c, "passage")
    key = cache_key(
        model=encoder.fingerprint, data=data.fingerprint,
        train_data=train_data.fingerprint if train_data else None,
        prefixes=(query_prefix, passage_prefix), candidate_text=config.candidate_text,
        max_length=config.max_length, cut=layers - config.train_layers,
    )
    cache = build_activation_cache(
        encoder.model, token_ids, layers - config.train_layers,
        user_cache_dir(config.cache_dir) / "activations", key,
        pad_id=encoder.tokenizer.pad_token_id, progress=progress,
    )
    cache_seconds = time.perf_counter() - start
    # Cache rows: eval questions, [train questions], eval candidates, [train candidates].
    candidate_offset = len(texts_q)
    if train_data is None:
        items = _train_items(data, split_qids(splits, "train"), 0, candidate_offset)
        train_langs = data.languages
    else:
        items = _train_items(
            train_data, set(train_data.questions["qid"]), len(data.questions), candidate_offset + len(data.candidates)
        )
        train_langs = train_data.languages
    return Workspace(config, data, splits, encoder, cache, items, train_langs, cache_seconds, candidate_offset)


def _texts(data: LareqaData, config: TrialConfig) -> tuple[list[str], list[str]]:
    questions = list(data.questions["text"])
    sentences = list(data.candidates["text"])
    if config.candidate_text == "sentence+context":
        sentences = [f"{s} {c}" for s, c in zip(sentences, data.candidates["context"])]
    return questions, sentences


def _train_items(data: LareqaData, qids: set[str], q_offset: int, c_offset: int) -> list[TrainItem]:
    """Training questions with their parallel answers; ``*_offset`` place rows in the cache."""
    questions: dict[str, dict[str, int]] = defaultdict(dict)
    for row, (qid, lang) in enumerate(zip(data.questions["qid"], data.questions["lang"])):
        if qid in qids:
            questions[qid][lang] = q_offset + row
    answers: dict[str, dict[str, int]] = defaultdict(dict)
    askers: dict[int, set[str]] = defaultdict(set)
    for qid, lang, cid in zip(data.relevance["qid"], data.relevance["lang"], data.relevance["cid"]):
        if qid in qids:
            answers[qid][lang] = c_offset + cid
            askers[cid].add(qid)
    ordered = sorted(q for q in qids if answers.get(q))
    position = {qid: i for i, qid in enumerate(ordered)}
    items = []
    for qid in ordered:
        sharing = set().union(*(askers[c - c_offset] for c in answers[qid].values())) - {qid}
        items.append(TrainItem(dict(questions[qid]), dict(answers[qid]), frozenset(position[q] for q in sharing)))
    return items


def _eval_index(data: LareqaData, qids: set[str], candidate_offset: int) -> EvalIndex:
    lang_id = {lang: i for i, lang in enumerate(data.languages)}
    all_qids, all_langs = data.questions["qid"], data.questions["lang"]
    group_id = {qid: i for i, qid in enumerate(sorted(set(all_qids)))}
    rows = [r for r, qid in enumerate(all_qids) if qid in qids]
    return EvalIndex(
        query_rows=np.asarray(rows, dtype=np.int64),
        q_lang=np.asarray([lang_id[all_langs[r]] for r in rows], dtype=np.int64),
        q_group=np.asarray([group_id[all_qids[r]] for r in rows], dtype=np.int64),
        candidate_rows=candidate_offset + np.arange(len(data.candidates), dtype=np.int64),
        c_lang=np.asarray([lang_id[x] for x in data.candidates["lang"]], dtype=np.int64),
        rel_group=np.asarray([group_id[q] for q in data.relevance["qid"]], dtype=np.int64),
        rel_cand=np.asarray(data.relevance["cid"], dtype=np.int64),
    )
