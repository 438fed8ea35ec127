"""Data: locate or fetch LAReQA files, read LAReQA folders or pairs tables into the same tables, split by article;
read and write a pairs table as rows."""

from objectives.data._fetch import (
    DEFAULT_DATA_URL,
    PINNED_COMMIT,
    XQUAD_R_LANGUAGES,
    XQUAD_R_SHA256,
    resolve_data_dir,
    sha256_file,
)
from objectives.data._lareqa import LareqaData, available_languages, load_lareqa
from objectives.data._load import load_data
from objectives.data._pairs import PAIRS_SUFFIXES, is_pairs_source, load_pairs
from objectives.data._rows import PAIRS_COLUMNS, read_pairs_rows, write_pairs_table
from objectives.data._split import SPLITS, assign_splits, check_splits, split_qids

__all__ = [
    "DEFAULT_DATA_URL",
    "PAIRS_COLUMNS",
    "PAIRS_SUFFIXES",
    "PINNED_COMMIT",
    "SPLITS",
    "XQUAD_R_LANGUAGES",
    "XQUAD_R_SHA256",
    "LareqaData",
    "assign_splits",
    "available_languages",
    "check_splits",
    "is_pairs_source",
    "load_data",
    "load_lareqa",
    "load_pairs",
    "read_pairs_rows",
    "resolve_data_dir",
    "sha256_file",
    "split_qids",
    "write_pairs_table",
]
