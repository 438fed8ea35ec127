"""What the light entry points cost: wall time of a fresh interpreter importing them, and what they load.

Each statement runs in its own ``python -c`` process (imports are cached per process),
``--repeats`` times; the table gives the median and the best, minus an empty
interpreter's start-up, and whether torch or transformers ended up in ``sys.modules``.

    python benchmarks/import_time.py --repeats 7
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
EXPORT = REPO / "tests" / "sweep" / "data" / "best_ratio_before_smoothing.yaml"
STATEMENTS = {
    "import sweep": "import sweep",
    "from sweep import load_best_ratio (+ read a YAML)": f"from sweep import load_best_ratio; load_best_ratio({str(EXPORT)!r})",
    "import storage": "import storage",
    "import sweep.export (the export command)": "import sweep.export",
    "import sweep.study._runner (what training needs)": "import sweep.study._runner",
}
HEAVY = ("torch", "transformers", "datasets", "faiss", "sklearn")


def _seconds(code: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    empty = min(_seconds("pass") for _ in range(args.repeats))
    print(f"empty interpreter: {empty:.3f} s (subtracted below)\n")
    print("| statement | median (s) | best (s) | heavy modules loaded |")
    print("|---|---|---|---|")
    for label, code in STATEMENTS.items():
        times = [_seconds(code) - empty for _ in range(args.repeats)]
        probe = f"{code}; import sys, json; print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
        loaded = json.loads(subprocess.run([sys.executable, "-c", probe], check=True, cwd=REPO, capture_output=True,
                                           text=True).stdout.strip().splitlines()[-1])
        print(f"| `{label}` | {statistics.median(times):.2f} | {min(times):.2f} | {', '.join(loaded) or 'none'} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
