"""Data: locate or fetch LAReQA files, load them into tables, split by article."""

from objectives.data._lareqa import LareqaData, available_languages, load_lareqa
from objectives.data._split import SPLITS, assign_splits, split_qids

__all__ = ["SPLITS", "LareqaData", "assign_splits", "available_languages", "load_lareqa", "split_qids"]
