"""Lazy re-exports for package ``__init__`` modules (PEP 562), so importing a package loads no heavy module.

Dependency-free, like :mod:`objectives.errors`: ``sweep`` uses it too.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(package: str, names: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package``: ``names[name]`` is the module that defines ``name``.

    The module is imported on first access and the value kept in the package, so the
    next access is an ordinary attribute. Unknown names raise ``AttributeError``.
    """

    def __getattr__(name: str) -> Any:
        if name not in names:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(import_module(names[name]), name)
        setattr(sys.modules[package], name, value)
        return value

    return __getattr__
