"""Does this code reproduce the committed reference study to the last digit?

Runs the README's study (``python -m sweep.run --trials 40``, same seed, same regime) into
a fresh database, writes its ``trials.csv`` with ``python -m sweep.report --no-test``, and
compares every trial's parameters and metrics with a reference ``trials.csv`` (default:
the committed ``reports/xling-default/trials.csv``): the same α proposed in the same
order, the same objectives and aggregates, bit for bit. Only the wall-clock column
differs. A refactoring that claims "behaviour unchanged" is held to this.

The last digits of a float depend on the CPU as well as the code (BLAS picks its
kernels by instruction set), so code is compared with code on one machine: run the
earlier commit's study there too and pass its table as ``--reference``.

    python benchmarks/reproduce_reference.py --work /tmp/new                 # this checkout (~35-45 min on 2 cores)
    (cd <worktree of the earlier commit> && python benchmarks/reproduce_reference.py --work /tmp/old)
    python benchmarks/reproduce_reference.py --work /tmp/new --compare --reference /tmp/old/reports/xling-default/trials.csv
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
REFERENCE = REPO / "reports" / "xling-default" / "trials.csv"
#: Wall time is the machine's, not the code's.
UNCOMPARED = ("seconds",)


def run_study(work: Path, trials: int) -> None:
    work.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{work / 'sweep.db'}"
    for module, args in (("sweep.run", ["--trials", str(trials), "--study-name", "xling-default", "--storage", url]),
                         ("sweep.report", ["--study-name", "xling-default", "--storage", url, "--no-test",
                                           "--out", str(work / "reports")])):
        subprocess.run([sys.executable, "-m", module, *args], cwd=work, check=True)


def compare(candidate: Path, reference: Path = REFERENCE) -> list[str]:
    """Every difference between the two tables (empty: reproduced exactly)."""
    ours, theirs = pd.read_csv(candidate), pd.read_csv(reference)
    problems = []
    if list(ours.columns) != list(theirs.columns):
        problems.append(f"columns differ: {list(ours.columns)} vs {list(theirs.columns)}")
    if len(ours) != len(theirs):
        problems.append(f"{len(ours)} trials vs {len(theirs)}")
    columns = [c for c in theirs.columns if c in ours.columns and c not in UNCOMPARED]
    for i in range(min(len(ours), len(theirs))):
        for c in columns:
            a, b = ours.at[i, c], theirs.at[i, c]
            if not (a == b or (pd.isna(a) and pd.isna(b))):
                problems.append(f"trial {theirs.at[i, 'number']}: {c} {a!r} vs {b!r}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, required=True, help="empty folder for the study's database and report")
    parser.add_argument("--trials", type=int, default=40)
    parser.add_argument("--compare", action="store_true", help="only compare the trials.csv an earlier run wrote")
    parser.add_argument("--reference", type=Path, default=REFERENCE, help="the table to match (default: the committed one)")
    args = parser.parse_args()
    if not args.compare:
        run_study(args.work, args.trials)
    problems = compare(args.work / "reports" / "xling-default" / "trials.csv", args.reference)
    reference = pd.read_csv(args.reference)
    if problems:
        print(f"NOT reproduced: {len(problems)} difference(s) from {args.reference}")
        print("\n".join(problems[:20]))
        return 1
    print(f"reproduced: {len(reference)} trials x {len(reference.columns) - len(UNCOMPARED)} values identical to {args.reference}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
