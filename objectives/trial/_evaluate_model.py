"""Evaluate any model end to end (full forward passes, no cache) on one split: `python -m sweep.evaluate`."""

from __future__ import annotations

import time

from objectives.data import LareqaData, assign_splits, split_qids
from objectives.encoder import Encoder
from objectives.retrieval import EvalResult, evaluate_embeddings
from objectives.trial._workspace import eval_index_for  # the same query/relevance arrays as the trials

__all__ = ["evaluate_model"]


def evaluate_model(
    encoder: Encoder, dataset: LareqaData, split: str = "all", k: int = 1, *, split_seed: int = 0,
    candidate_text: str = "sentence", batch_size: int = 64, progress: bool = False,
    timings: dict[str, float] | None = None,
) -> EvalResult:
    """Every retrieval metric of ``encoder`` on ``split``'s questions against the whole pool.

    ``split`` is ``all`` (every question, comparable with published LAReQA numbers),
    or ``train``/``dev``/``test`` of the article-level split seeded by ``split_seed``.
    Pass a dict as ``timings`` to receive ``encode`` and ``metrics`` seconds.
    """
    index = eval_index_for(dataset, split_qids(assign_splits(dataset, split_seed), split), candidate_offset=0)
    questions = dataset.questions["text"]
    sentences = list(dataset.candidates["text"])
    if candidate_text == "sentence+context":
        sentences = [f"{s} {c}" for s, c in zip(sentences, dataset.candidates["context"])]
    start = time.perf_counter()
    q_emb = encoder.encode([questions[int(i)] for i in index.query_rows], "query", batch_size, progress)
    c_emb = encoder.encode(sentences, "passage", batch_size, progress)
    encoded = time.perf_counter()
    result = evaluate_embeddings(q_emb, index.q_lang, index.q_group, c_emb, index.c_lang,
                                 index.rel_group, index.rel_cand, dataset.languages, k=k)
    if timings is not None:
        timings.update({"encode": encoded - start, "metrics": time.perf_counter() - encoded})
    return result
