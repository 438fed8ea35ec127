"""Hybrid batches: monolingual (X-X-mono) or cross-lingual (X-Y) batches.

Hybrid batch training (arXiv 2408.10536): each batch is monolingual with
probability ``mono_ratio`` (one language drawn uniformly; queries and passages in
it, so in-batch negatives are same-language), otherwise cross-lingual (each pair's
query language X and passage language Y drawn independently, X != Y). LAReQA
(arXiv 2004.05484) names the two regimes X-X-mono and X-Y.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

__all__ = ["HybridBatches", "Pair", "TrainItem"]


@dataclass(frozen=True)
class TrainItem:
    """One training question: its text row per language and answer candidate per language.

    ``conflicts`` are the items (by position) that share an answer sentence with this
    one in some language; they must never share a batch, or a true answer would be
    scored as an in-batch negative.
    """

    questions: Mapping[str, int]
    answers: Mapping[str, int]
    conflicts: frozenset[int]


@dataclass(frozen=True)
class Pair:
    """A (query, passage) pair: text rows plus the languages drawn for them."""

    query: int
    passage: int
    query_lang: str
    passage_lang: str


class HybridBatches:
    """Yields batches of :class:`Pair` mixing mono and cross batches at ratio ``mono_ratio``.

    Args:
        items: the training questions.
        languages: the languages to draw from.
        batch_size: pairs per batch (fewer only if not enough conflict-free items exist).
        mono_ratio: probability that a batch (``mixing="batch"``) or a pair
            (``mixing="example"``) is monolingual.
        mixing: ``"batch"`` decides mono/cross per batch, ``"example"`` per pair.
        seed: the same seed gives the same batches.
    """

    def __init__(
        self, items: Sequence[TrainItem], languages: Sequence[str], batch_size: int,
        mono_ratio: float, mixing: Literal["batch", "example"] = "batch", seed: int = 0,
    ) -> None:
        if not 0.0 <= mono_ratio <= 1.0:
            raise ValueError(f"mono_ratio must be in [0, 1], got {mono_ratio}")
        if len(languages) < 2 and mono_ratio < 1.0:
            raise ValueError("cross-lingual batches need at least two languages: use mono_ratio 1 or add languages")
        self.items = list(items)
        self.languages = list(languages)
        self.batch_size = batch_size
        self.mono_ratio = mono_ratio
        self.mixing = mixing
        self.rng = np.random.default_rng(seed)

    def __iter__(self) -> Iterator[list[Pair]]:
        while True:
            yield self.next_batch()

    def next_batch(self) -> list[Pair]:
        if self.mixing == "batch" and self.rng.random() < self.mono_ratio:
            lang = self.languages[self.rng.integers(len(self.languages))]
            return self._fill(lambda item: self._mono_pair(item, lang))
        if self.mixing == "batch":
            return self._fill(self._cross_pair)
        return self._fill(
            lambda item: self._mono_pair(item, None) if self.rng.random() < self.mono_ratio else self._cross_pair(item)
        )

    def _fill(self, make_pair) -> list[Pair]:  # type: ignore[no-untyped-def]
        batch: list[Pair] = []
        blocked: set[int] = set()
        for pos in self.rng.permutation(len(self.items)).tolist():
            if pos in blocked:
                continue
            pair = make_pair(self.items[pos])
            if pair is None:
                continue
            batch.append(pair)
            blocked.add(pos)
            blocked |= self.items[pos].conflicts
            if len(batch) == self.batch_size:
                break
        return batch

    def _mono_pair(self, item: TrainItem, lang: str | None) -> Pair | None:
        both = [x for x in self.languages if x in item.questions and x in item.answers]
        if lang is None:
            if not both:
                return None
            lang = both[self.rng.integers(len(both))]
        elif lang not in both:
            return None
        return Pair(item.questions[lang], item.answers[lang], lang, lang)

    def _cross_pair(self, item: TrainItem) -> Pair | None:
        query_langs = [x for x in self.languages if x in item.questions]
        if not query_langs:
            return None
        x = query_langs[self.rng.integers(len(query_langs))]
        passage_langs = [y for y in self.languages if y in item.answers and y != x]
        if not passage_langs:
            return None
        y = passage_langs[self.rng.integers(len(passage_langs))]
        return Pair(item.questions[x], item.answers[y], x, y)
