"""Running a regime: the trainable encoders of the two paths and the fine-tune loop.

- ``cached``: the top ``K`` layers train on frozen-bottom states computed once per
  study (:class:`CachedEncoder` over an :class:`ActivationCache`);
- ``forward``: plain forward passes over token ids, as a team's own training runs
  (:class:`ForwardEncoder`).

Both are :class:`TrialEncoder` s, which :func:`fine_tune` trains the way a
:class:`objectives.regimes.Regime` says. Everything here needs torch.
"""

from objectives.training._activations import ActivationCache, bottom_forward, build_activation_cache, cache_key
from objectives.training._cached import CachedEncoder, TopLayers
from objectives.training._dropout import DropoutMasks
from objectives.training._forward import ForwardEncoder
from objectives.training._loop import TrainingDiverged, fine_tune, make_scheduler, warmup_steps
from objectives.training._packed import PackedTexts, packed_forward
from objectives.training._trial_encoder import TrialEncoder, autocast, embed_in_order

__all__ = [
    "ActivationCache",
    "CachedEncoder",
    "DropoutMasks",
    "ForwardEncoder",
    "PackedTexts",
    "TopLayers",
    "TrainingDiverged",
    "TrialEncoder",
    "autocast",
    "bottom_forward",
    "build_activation_cache",
    "cache_key",
    "embed_in_order",
    "fine_tune",
    "make_scheduler",
    "packed_forward",
    "warmup_steps",
]
