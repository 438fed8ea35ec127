"""The tiny random BERT of the test suite, for ``run_all.py --quick`` (one recipe, in tests/conftest.py)."""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.conftest import _sample_texts as sample_texts  # noqa: E402
from tests.conftest import build_tiny_model, xquad_dir  # noqa: E402

__all__ = ["build_tiny_model", "sample_texts", "xquad_dir"]

if __name__ == "__main__":
    print(build_tiny_model(Path(sys.argv[1]), sample_texts(xquad_dir())))
