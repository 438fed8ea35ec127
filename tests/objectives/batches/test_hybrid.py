from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from objectives.batches import HybridBatches, TrainItem

LANGS = ["en", "de", "zh", "ar"]


def _items(n: int = 200, shared: int = 40) -> list[TrainItem]:
    """n questions in all languages; pairs (2i, 2i+1) for i < shared/2 share an answer sentence."""
    items = []
    for i in range(n):
        partner = i + 1 if i % 2 == 0 else i - 1
        conflicts = frozenset({partner}) if i < shared else frozenset()
        questions = {lang: 1000 * li + i for li, lang in enumerate(LANGS)}
        answers = {lang: 100_000 + 1000 * li + i for li, lang in enumerate(LANGS)}
        items.append(TrainItem(questions, answers, conflicts))
    return items


def _is_mono(batch) -> bool:  # type: ignore[no-untyped-def]
    return all(p.query_lang == p.passage_lang for p in batch)


@pytest.mark.parametrize("alpha", [0.0, 0.3, 0.7, 1.0])
def test_mono_batch_share_follows_alpha(alpha: float) -> None:
    sampler = HybridBatches(_items(), LANGS, 16, alpha, seed=1)
    batches = [sampler.next_batch() for _ in range(600)]
    share = np.mean([_is_mono(b) for b in batches])
    assert abs(share - alpha) < 0.06
    for batch in batches:
        assert len(batch) == 16
        if _is_mono(batch):
            assert len({p.query_lang for p in batch}) == 1
        else:
            assert all(p.query_lang != p.passage_lang for p in batch)


def test_languages_are_uniform() -> None:
    sampler = HybridBatches(_items(), LANGS, 16, 0.5, seed=2)
    mono_langs: Counter[str] = Counter()
    cross_pairs: Counter[tuple[str, str]] = Counter()
    for _ in range(800):
        batch = sampler.next_batch()
        if _is_mono(batch):
            mono_langs[batch[0].query_lang] += 1
        else:
            cross_pairs.update((p.query_lang, p.passage_lang) for p in batch)
    assert len(mono_langs) == 4 and max(mono_langs.values()) / min(mono_langs.values()) < 1.4
    assert len(cross_pairs) == 12 and max(cross_pairs.values()) / min(cross_pairs.values()) < 1.2


def test_no_question_or_shared_answer_twice_in_a_batch() -> None:
    items = _items()
    sampler = HybridBatches(items, LANGS, 64, 0.5, seed=3)
    query_to_item = {row: i for i, it in enumerate(items) for row in it.questions.values()}
    for _ in range(200):
        members = [query_to_item[p.query] for p in sampler.next_batch()]
        assert len(members) == len(set(members))
        for m in members:
            assert not (items[m].conflicts & set(members))


def test_pairs_are_the_item_rows() -> None:
    items = _items(20, 0)
    sampler = HybridBatches(items, LANGS, 8, 0.0, seed=4)
    lang_index = {lang: li for li, lang in enumerate(LANGS)}
    for p in sampler.next_batch():
        i = p.query - 1000 * lang_index[p.query_lang]
        assert p.passage == items[i].answers[p.passage_lang]


def test_seeded_and_reproducible() -> None:
    a = [HybridBatches(_items(), LANGS, 8, 0.5, seed=5).next_batch() for _ in range(1)]
    b = [HybridBatches(_items(), LANGS, 8, 0.5, seed=5).next_batch() for _ in range(1)]
    c = [HybridBatches(_items(), LANGS, 8, 0.5, seed=6).next_batch() for _ in range(1)]
    assert a == b and a != c


def test_example_mixing_mixes_within_batches() -> None:
    sampler = HybridBatches(_items(), LANGS, 32, 0.5, mixing="example", seed=7)
    pairs = [p for _ in range(100) for p in sampler.next_batch()]
    mono = np.mean([p.query_lang == p.passage_lang for p in pairs])
    assert abs(mono - 0.5) < 0.05
    assert not any(_is_mono(sampler.next_batch()) for _ in range(20))


def test_partial_coverage_uses_only_available_languages() -> None:
    item = TrainItem({"en": 1, "de": 2}, {"de": 10, "zh": 11}, frozenset())
    sampler = HybridBatches([item], LANGS, 1, 0.0, seed=8)
    for _ in range(50):
        (p,) = sampler.next_batch()
        assert p.query_lang in {"en", "de"} and p.passage_lang in {"de", "zh"} and p.query_lang != p.passage_lang


def test_rejects_bad_ratio() -> None:
    with pytest.raises(ValueError, match="mono_ratio"):
        HybridBatches(_items(), LANGS, 8, 1.5)
