"""Devices: which names are accepted, what ``auto`` means, and which regime a device gets by default."""

from __future__ import annotations

import re

from objectives.errors import ConfigError
from objectives.regimes._regime import CPU_DEFAULT_REGIME

__all__ = ["check_device", "default_regime", "resolve_device", "unsupported_device"]


def resolve_device(device: str) -> str:
    """``auto`` becomes ``cuda`` when torch sees a GPU, else ``cpu``; others pass through."""
    if device != "auto":
        return device
    import torch  # only for ``auto``: a named device needs no ML stack to validate

    return "cuda" if torch.cuda.is_available() else "cpu"


def unsupported_device(device: str) -> str | None:
    """Why ``device`` cannot be named, or None for ``auto``, ``cpu``, ``cuda``, ``cuda:N`` (N a number) and a list
    of ``cuda:N`` (``cuda:0,cuda:1``: the workers of ``--workers`` take them in turn)."""
    if device in ("auto", "cpu", "cuda") or re.fullmatch(r"cuda:[0-9]+(,cuda:[0-9]+)*", device):
        return None
    return f"device {device!r} is not supported: use cpu, cuda (or cuda:N, or a list cuda:0,cuda:1) or auto"


def default_regime(device: str) -> str:
    """``full`` on a GPU; on a CPU the cheapest regime shown faithful (:data:`CPU_DEFAULT_REGIME`)."""
    return "full" if device.startswith("cuda") else CPU_DEFAULT_REGIME


def check_device(device: str) -> None:
    """Refuse a CUDA device torch cannot see, with the fix.

    Raises:
        ConfigError: ``cuda`` named on a machine whose torch sees no GPU, or ``cuda:N``
            beyond the GPUs it sees.
    """
    import torch

    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError(f"device {device!r} requested but torch sees no CUDA GPU: use --device cpu (or auto), "
                          "or install a CUDA build of torch")
    index = device.partition(":")[2]
    if index.isdigit() and int(index) >= (count := torch.cuda.device_count()):
        raise ConfigError(f"device {device!r} requested but torch sees {count} GPU{'s' if count != 1 else ''} "
                          f"(cuda:0 to cuda:{count - 1}): pass one of those, or cuda")
