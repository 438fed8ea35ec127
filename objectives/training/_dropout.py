"""Inverted dropout with cheap, seeded masks: 15 random bits a mask element, four elements a 64-bit draw.

``torch.bernoulli_`` draws one random number per element on one CPU thread; on the
cached path it took about a fifth of a training step (benchmarks/README.md, "Trial
speed"). Here one ``random_`` draw of a 64-bit word feeds four elements: each keeps the
low 15 bits of one of the word's 16-bit lanes (``random_`` leaves the sign bit of an
int64 at 0 on CPU; masking it makes the draw the same wherever the top bit is random)
and drops the element when they fall below ``round(p · 2^15)``. So ``p`` is quantised to
1/32768 (0.1 becomes 0.100006) and the kept values are scaled by the exact
``1 / (1 - p_quantised)``, as in Srivastava et al., JMLR 15 (2014), "Dropout".

The masks come from a private :class:`torch.Generator` on the encoder's device,
seeded by the trial seed: the same seed gives the same masks on a CPU and, with
CUDA's counter-based generator, on a GPU; the global torch stream is not touched.
"""

from __future__ import annotations

import torch

__all__ = ["DropoutMasks"]

_BITS = 15
#: The low 15 bits of each of a word's four 16-bit lanes.
_WORD_MASK = 0x7FFF_7FFF_7FFF_7FFF


class DropoutMasks:
    """Draws the inverted-dropout masks of one training run from one seeded generator.

    Args:
        seed: the trial seed; fixes every mask of the run.
        device: where masks are drawn (the encoder's device).
    """

    def __init__(self, seed: int, device: torch.device | str) -> None:
        self.device = torch.device(device)
        self.generator = torch.Generator(device=self.device)
        self.generator.manual_seed(int(seed))

    @staticmethod
    def quantised(p: float) -> float:
        """The drop probability actually applied for ``p`` (a multiple of 2^-15)."""
        return round(p * (1 << _BITS)) / (1 << _BITS)

    def keep(self, shape: torch.Size | tuple[int, ...], p: float) -> torch.Tensor:
        """A boolean mask of ``shape``, false with probability :meth:`quantised` ``(p)``."""
        if not 0.0 <= p < 1.0:
            raise ValueError(f"dropout probability must be in [0, 1), got {p}")
        n = 1
        for size in shape:
            n *= int(size)
        words = torch.empty((n + 3) // 4, dtype=torch.int64, device=self.device)
        words.random_(generator=self.generator)
        words.bitwise_and_(_WORD_MASK)  # on the words, a quarter of the elements
        return words.view(torch.int16)[:n].ge(round(p * (1 << _BITS))).view(shape)

    def __call__(self, x: torch.Tensor, p: float) -> torch.Tensor:
        """``x`` with dropped elements zeroed and kept ones scaled by ``1 / (1 - p)`` (``p`` quantised)."""
        q = self.quantised(p)
        if q == 0.0:
            return x
        # The product's own buffer is scaled in place: autograd keeps only the mask for the backward.
        return (x * self.keep(x.shape, p)).mul_(1.0 / (1.0 - q))
