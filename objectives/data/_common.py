"""Helpers every loader shares: article groups and the parallel-qid check."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from objectives.errors import DataError

__all__ = ["article_groups", "isolated_language", "pick_languages"]


def article_groups(qids: list[str], articles: list[str]) -> dict[str, int]:
    """Connected components of qids, linking qids that share an article in any language."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    first_in_article: dict[str, str] = {}
    for qid, article in zip(qids, articles):
        anchor = first_in_article.setdefault(article, qid)
        parent[find(qid)] = find(anchor)
    roots = sorted({find(q) for q in qids})
    index = {root: i for i, root in enumerate(roots)}
    return {q: index[find(q)] for q in qids}


def isolated_language(langs: Sequence[str], qids_by_lang: Mapping[str, set[str]]) -> str | None:
    """The first language sharing no qid with any other language (``None`` if all share one).

    A single language is never isolated: it has no other language to share with.
    """
    if len(langs) < 2:
        return None
    for lang in langs:
        others = set().union(*(qids_by_lang[o] for o in langs if o != lang))
        if not (qids_by_lang[lang] & others):
            return lang
    return None


def pick_languages(present: list[str], languages: Sequence[str] | None, missing_in: str) -> list[str]:
    """``languages`` (deduplicated, in the given order) if all are ``present``; all of them when ``None``.

    Raises:
        DataError: an empty list, or languages missing (named, with the ones there), where
            ``missing_in`` completes "no ... for language(s) X" (e.g. "data file ... in <folder>").
    """
    if languages is None:
        return present
    wanted = list(dict.fromkeys(languages))
    if not wanted:
        raise DataError("the language list is empty: name at least one language, e.g. --languages en,de")
    missing = [lang for lang in wanted if lang not in present]
    if missing:
        raise DataError(f"no {missing_in.format(', '.join(missing))}: choose from {', '.join(present)}")
    return wanted
