"""The short fine-tune's batches: :class:`HybridBatches` draws each step's monolingual and cross-lingual pairs at a mono ratio.

Named for what it makes, not "sampler": in this project a sampler is Optuna's (which α to try next).
"""

from objectives.batches._hybrid import HybridBatches, Pair, TrainItem

__all__ = ["HybridBatches", "Pair", "TrainItem"]
