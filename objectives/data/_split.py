"""Deterministic article-level train/dev/test splits."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np

from objectives.data._lareqa import LareqaData
from objectives.errors import ConfigError, DataError

__all__ = ["SPLITS", "assign_splits", "check_splits", "split_qids"]

SPLITS: tuple[str, str, str] = ("train", "dev", "test")


def assign_splits(
    data: LareqaData, seed: int, fractions: Sequence[float] = (0.5, 0.25, 0.25)
) -> dict[str, str]:
    """Map every qid to ``train``, ``dev`` or ``test``.

    Whole article groups (qids linked through a shared article in any language) move
    together, so no article leaks across splits. Groups are shuffled with ``seed`` and
    each goes to the split furthest below its target question count (docs/design.md,
    "Splits"), which lands within one group's size of the targets.
    """
    if len(fractions) != 3 or any(f < 0 for f in fractions) or not np.isclose(sum(fractions), 1.0):
        raise ConfigError(f"split fractions {list(fractions)} must be three non-negative numbers summing to 1, e.g. [0.5, 0.25, 0.25]")
    group_of: dict[str, int] = dict(zip(data.questions["qid"], data.questions["group"]))
    sizes = Counter(group_of.values())
    order = np.random.default_rng(seed).permutation(sorted(sizes))
    total = sum(sizes.values())
    targets = np.asarray(fractions, dtype=float) * total
    filled = np.zeros(3)
    split_of_group: dict[int, str] = {}
    for group in order.tolist():
        # Largest deficit first; np.argmax breaks ties towards train, then dev.
        chosen = int(np.argmax(targets - filled))
        split_of_group[group] = SPLITS[chosen]
        filled[chosen] += sizes[group]
    return {qid: split_of_group[group] for qid, group in group_of.items()}


def split_qids(splits: dict[str, str], split: str) -> set[str]:
    """The qids of ``split`` (``all`` returns every qid)."""
    if split == "all":
        return set(splits)
    if split not in SPLITS:
        raise ConfigError(f"unknown split {split!r}: use one of train, dev, test, all")
    return {qid for qid, s in splits.items() if s == split}


def check_splits(data: LareqaData, splits: dict[str, str], needed: Sequence[str], source: str) -> None:
    """Refuse data whose article split leaves a split in ``needed`` without questions.

    Whole article groups move together (:func:`assign_splits`), so a table with one
    article (or articles all linked through shared qids) puts every question in train: a
    study on it would evaluate nothing and fail every trial with NaN metrics.

    Raises:
        DataError: one line naming the empty split, how many article groups the data
            has, and the fix (more distinct ``article`` values, or more data).
    """
    counts = Counter(splits.values())
    for split in needed:
        if counts[split]:
            continue
        groups = len(set(data.questions["group"]))
        raise DataError(
            f"{source}: the {split} split has no questions: the train/dev/test split keeps the questions of an article "
            f"together, and these {len(splits)} questions form {groups} article group{'s' if groups != 1 else ''} "
            "(questions linked by a shared article or qid); give the rows at least 3 distinct article values "
            "(more if the articles differ much in size; leave the article column out to split by question) or add data"
        )
