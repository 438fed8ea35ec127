"""Everything a worker loads once and every trial reuses: data, splits, encoder, cache."""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch

from objectives.batches import TrainItem
from objectives.cache import cache_write_message, user_cache_dir
from objectives.data import LareqaData, assign_splits, check_splits, load_data, split_qids
from objectives.encoder import Encoder, load_encoder
from objectives.errors import ConfigError
from objectives.regimes import Regime, check_device
from objectives.training import ActivationCache, CachedEncoder, ForwardEncoder, TrialEncoder, build_activation_cache, cache_key
from objectives.trial._config import TrialConfig

__all__ = ["EvalIndex", "Workspace", "WorkspacePool", "eval_index_for", "loaded_settings", "prepare_workspace",
           "resolve_train_layers"]

_log = logging.getLogger(__name__)

#: Called with the loaded data and training data (None: the train split of the data) before the
#: encoder loads and the activation cache builds: a caller's last cheap chance to refuse a run.
DataCheck = Callable[[LareqaData, LareqaData | None], None]


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
    """Loaded once per worker; trials only read it.

    Every text the study uses has a row: eval questions, [separate training
    questions], the candidate pool, [separate training candidates]. ``token_ids``
    holds each row's tokens; ``cache`` its frozen-bottom states when the training
    path is ``cached`` (``None`` on the ``forward`` path, which needs none).
    """

    config: TrialConfig
    data: LareqaData
    splits: dict[str, str]
    encoder: Encoder
    token_ids: list[list[int]]
    cache: ActivationCache | None
    train_items: list[TrainItem]
    train_languages: tuple[str, ...]
    cache_seconds: float
    candidate_offset: int
    train_fingerprint: str | None = None
    _eval: dict[str, EvalIndex] = field(default_factory=dict)

    @property
    def languages(self) -> tuple[str, ...]:
        return self.data.languages

    @property
    def train_layers(self) -> int:
        """K as a number (``all`` resolved against the model)."""
        return resolve_train_layers(self.config.regime, self.config.model, self.encoder.layer_count)

    def with_config(self, config: TrialConfig) -> Workspace:
        """The same loaded data, encoder and cache under a config that changes none of them.

        Raises:
            ConfigError: ``config`` changes what was loaded (data, split, model, tokens, cut or path).
        """
        changed = [key for key, value in loaded_settings(config).items() if loaded_settings(self.config)[key] != value]
        if changed:
            raise ConfigError(
                f"this workspace was prepared for another {', '.join(changed)}: prepare one for the trial's config "
                "(prepare_workspace, or a WorkspacePool that keeps one per cut)"
            )
        return Workspace(config, self.data, self.splits, self.encoder, self.token_ids, self.cache, self.train_items,
                         self.train_languages, self.cache_seconds, self.candidate_offset, self.train_fingerprint,
                         self._eval)

    def new_encoder(self) -> TrialEncoder:
        """A fresh trainable copy of the encoder on the regime's training path."""
        model, k, precision = self.encoder.model, self.train_layers, self.config.regime.precision
        if self.config.regime.train_path == "cached":
            if self.cache is None:
                raise RuntimeError("the cached path needs a workspace prepared with train_path='cached'")
            return CachedEncoder(model, k, self.cache, precision, self.config.regime.loop)
        return ForwardEncoder(model, k, self.token_ids, self.encoder.pad_id, precision)

    def eval_index(self, split: str) -> EvalIndex:
        if split not in self._eval:
            self._eval[split] = eval_index_for(self.data, split_qids(self.splits, split), self.candidate_offset)
        return self._eval[split]


class WorkspacePool:
    """One workspace per set of :func:`loaded_settings` (each cut, for one, needs its own cache).

    Settings such as steps or learning rate change the config, not the data or cache,
    so a config differing only in those reuses the loaded workspace.
    """

    def __init__(self, progress: bool = True) -> None:
        self._by_key: dict[str, Workspace] = {}
        self._progress = progress

    def __call__(self, config: TrialConfig, check: DataCheck | None = None) -> Workspace:
        """The workspace of ``config``, prepared on first use (``check`` as in :func:`prepare_workspace`)."""
        key = repr(sorted(loaded_settings(config).items()))
        if key not in self._by_key:
            self._by_key[key] = prepare_workspace(config, progress=self._progress, check=check)
        ws = self._by_key[key]
        return ws if ws.config == config else ws.with_config(config)


def loaded_settings(config: TrialConfig) -> dict[str, object]:
    """The settings a workspace's data, split, encoder, tokens and cache were made from.

    Two configs that agree on these can share a workspace; the rest (steps, learning
    rate, temperature, ...) only changes how a trial trains.
    """
    query_prefix, passage_prefix = config.prefixes()
    return {
        "model": config.model, "data": config.data, "train_data": config.train_data, "distractors": config.distractors,
        "languages": config.languages, "split_seed": config.split_seed, "split_fractions": config.split_fractions,
        "query_prefix": query_prefix, "passage_prefix": passage_prefix, "candidate_text": config.candidate_text,
        "max_length": config.max_length, "device": config.device,
        "train_path": config.regime.train_path, "train_layers": config.regime.train_layers,
    }


def resolve_train_layers(regime: Regime, model: str, layers: int) -> int:
    """The regime's ``train_layers`` as a number of top layers of ``model`` (``all`` is every layer).

    Raises:
        ConfigError: more layers than the model has.
    """
    if regime.train_layers == "all":
        return layers
    if regime.train_layers > layers:
        raise ConfigError(f"train_layers is {regime.train_layers} but {model} has {layers} layers: use 1..{layers} or all")
    return int(regime.train_layers)


def prepare_workspace(config: TrialConfig, progress: bool = True, check: DataCheck | None = None) -> Workspace:
    """Load data and encoder, split, tokenize, and build or load the activation cache.

    ``check`` sees the loaded data (and training data) before the expensive part: the
    model's conversion and load, and the activation cache. What it raises stops the
    preparation with nothing built.
    """
    check_device(config.device)
    if config.threads:
        torch.set_num_threads(config.threads)
    data = load_data(config.data, config.languages, config.distractors, cache_dir=config.cache_dir)
    train_data = load_data(config.train_data, config.languages, cache_dir=config.cache_dir) if config.train_data else None
    if check is not None:
        check(data, train_data)
    splits = assign_splits(data, config.split_seed, config.split_fractions)
    # Before the cache is built: trials evaluate on dev, the baseline and the report on test,
    # and the train split is the training data unless --train-data gives its own.
    needed = ("dev", "test") if config.train_data else ("train", "dev", "test")
    check_splits(data, splits, needed, f"--data {config.data}" if config.data else "the data")
    query_prefix, passage_prefix = config.prefixes()
    encoder = load_encoder(
        config.model, query_prefix=query_prefix, passage_prefix=passage_prefix,
        max_length=config.max_length, device=config.device, cache_dir=config.cache_dir,
    )
    layers = encoder.layer_count
    k = resolve_train_layers(config.regime, config.model, layers)
    texts_q, texts_c = _texts(data, config)
    if train_data is not None:
        train_q, train_c = _texts(train_data, config)
        texts_q, texts_c = texts_q + train_q, texts_c + train_c
    start = time.perf_counter()
    token_ids = encoder.tokenize(texts_q, "query") + encoder.tokenize(texts_c, "passage")
    cache = None
    if config.regime.train_path == "cached":
        key = cache_key(
            model=encoder.fingerprint, data=data.fingerprint,
            train_data=train_data.fingerprint if train_data else None,
            prefixes=(query_prefix, passage_prefix), candidate_text=config.candidate_text,
            max_length=config.max_length, cut=layers - k,
        )
        root = user_cache_dir(config.cache_dir) / "activations"
        try:
            cache = build_activation_cache(encoder.model, token_ids, layers - k, root, key, pad_id=encoder.pad_id,
                                           progress=progress)
        except OSError as e:  # missing, read-only or full: the user's to fix, not a traceback
            raise ConfigError(cache_write_message("the activation cache", root, e)) from None
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
    return Workspace(config, data, splits, encoder, token_ids, cache, items, train_langs, cache_seconds, candidate_offset,
                     train_data.fingerprint if train_data is not None else None)


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


def eval_index_for(data: LareqaData, qids: set[str], candidate_offset: int) -> EvalIndex:
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
