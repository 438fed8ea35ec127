"""One entry point for ``--data``/``--train-data``: a pairs table or a LAReQA folder."""

from __future__ import annotations

import os
from collections.abc import Sequence

from objectives.data._fetch import resolve_data_dir
from objectives.data._lareqa import LareqaData, load_lareqa
from objectives.data._pairs import add_distractors, is_pairs_source, load_pairs

__all__ = ["load_data"]


def load_data(
    data: str | os.PathLike[str] | None,
    languages: Sequence[str] | None = None,
    distractors: str | os.PathLike[str] | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
) -> LareqaData:
    """Load the data a ``--data`` value names, whatever its format.

    A file ending ``.jsonl``/``.json``/``.csv``/``.parquet``, or a folder written by
    ``save_to_disk``, is a pairs table (:func:`load_pairs`). Anything else, ``None``
    included, goes through :func:`resolve_data_dir` (``SWEEP_DATA_DIR``, the cache,
    the default XQuAD-R) to :func:`load_lareqa`. ``distractors``, a pairs-format table
    with columns ``lang`` and ``text``, joins the candidate pool in both cases.
    ``cache_dir`` is the cache root the default data is looked for and downloaded into
    (``--cache-dir``; else ``$SWEEP_CACHE_DIR`` or ``~/.cache/xling-sweep``).

    Raises:
        DataError: whatever the chosen loader raises (one line).
    """
    if data is not None and str(data) != "" and is_pairs_source(data):
        return load_pairs(data, languages, distractors)
    loaded = load_lareqa(resolve_data_dir(data, cache_dir=cache_dir), languages)
    if distractors is None or str(distractors) == "":
        return loaded
    return add_distractors(loaded, distractors, languages)
