"""Exact retrieval and LAReQA's metrics as small pure functions over arrays.

:func:`evaluate_embeddings` is the entry point: embeddings in, an :class:`EvalResult`
out (Mo., Cr., Mul., every language-pair cell, language bias). The per-query metric
functions take the padded rank layout of :func:`outrank_counts` /
:func:`relevant_ranks` (1-based ranks, 0 = empty slot). :func:`search` gives exact
top-k lists with faiss, ties in candidate-index order; pools above
:data:`EXACT_RANKING_MAX_CANDIDATES` are ranked from them (:func:`truncated_ranks`,
mAP@:data:`MAP_DEPTH`), and :func:`map_kind` names which mAP an evaluation reports. :func:`objective_values` reads
the study's two objectives off a result.
"""

from objectives.retrieval._average_precision import average_precision
from objectives.retrieval._evaluate import MUL_RECALL_K, evaluate_embeddings
from objectives.retrieval._language_bias import language_bias
from objectives.retrieval._means import cell_means, cr_macro, language_means, macro_mean, mo_macro
from objectives.retrieval._objectives import (
    CROSS_LINGUAL,
    SAME_LANG_KEY,
    CrossLingual,
    baseline_objectives,
    objective_names,
    objective_values,
    repeat_std,
)
from objectives.retrieval._precision import precision_at_k
from objectives.retrieval._ranks import outrank_counts, relevant_ranks
from objectives.retrieval._recall import recall_at_k
from objectives.retrieval._result import EvalResult
from objectives.retrieval._scores import SCORE_TILE, score_tile
from objectives.retrieval._search import search
from objectives.retrieval._truncated import EXACT_RANKING_MAX_CANDIDATES, MAP_DEPTH, map_kind, truncated_ranks

__all__ = [
    "CROSS_LINGUAL",
    "EXACT_RANKING_MAX_CANDIDATES",
    "MAP_DEPTH",
    "MUL_RECALL_K",
    "SAME_LANG_KEY",
    "SCORE_TILE",
    "CrossLingual",
    "EvalResult",
    "average_precision",
    "baseline_objectives",
    "cell_means",
    "cr_macro",
    "evaluate_embeddings",
    "language_bias",
    "language_means",
    "macro_mean",
    "map_kind",
    "mo_macro",
    "objective_names",
    "objective_values",
    "outrank_counts",
    "precision_at_k",
    "recall_at_k",
    "relevant_ranks",
    "repeat_std",
    "score_tile",
    "search",
    "truncated_ranks",
]
