"""Batch samplers for the short fine-tune."""

from objectives.samplers._hybrid import HybridBatchSampler, Pair, TrainItem

__all__ = ["HybridBatchSampler", "Pair", "TrainItem"]
