"""Fixtures shared by the objectives tests."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from objectives.encoder import Encoder


@pytest.fixture(scope="session")
def default_encoder() -> Encoder:
    """The real default encoder, loaded once per session; tests must not modify it.

    The converted model is built into ``$SWEEP_CACHE_DIR`` (else the user cache) on
    first use and reused by later sessions, so only the first run pays the build.
    """
    from objectives.encoder import load_encoder  # torch import only for tests that need it

    return load_encoder()
