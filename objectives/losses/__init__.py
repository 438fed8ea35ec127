"""Training losses."""

from objectives.losses._info_nce import info_nce_loss

__all__ = ["info_nce_loss"]
