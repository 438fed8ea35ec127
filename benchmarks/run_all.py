"""Rerun every benchmark; ``--quick`` is a CI smoke test (tiny random BERT, tiny sizes, well under 2 minutes).

Full mode (default encoder, XQuAD-R, the activation cache in the user cache; about
an hour on 2 cores with ``--steps 20``, more with 80) writes each script's output
to ``benchmarks/results/<name>.txt``::

    python benchmarks/run_all.py [--steps 80] [--only alpha_signal,naive_trial,...]

Quick mode runs every script on tiny settings in a temporary directory (results
are not written to ``benchmarks/results``): a 3-layer random BERT built on the spot,
3 languages, 3 steps; the search benchmark on the points the tiny alpha run
measured; scaling on random embeddings; the sentence-transformers peer only if it
is installed (``pip install -e ".[bench]"``); encode throughput (needs the default
encoder) is skipped::

    python benchmarks/run_all.py --quick
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
FULL_ORDER = ("alpha_signal", "naive_trial", "peer_trial", "search_efficiency", "scaling", "metrics_time",
              "encode_throughput")


def run(name: str, argv: list[str], out: Path | None) -> tuple[bool, float]:
    """Run ``benchmarks/<name>.py argv``; echo and optionally save stdout; return (ok, seconds)."""
    cmd = [sys.executable, str(HERE / f"{name}.py"), *argv]
    print(f"\n## {name}\n\n$ python benchmarks/{name}.py {' '.join(argv)}\n", flush=True)
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "TOKENIZERS_PARALLELISM": "false"})
    seconds = time.perf_counter() - start
    print(proc.stdout, flush=True)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(proc.stdout)
    if proc.returncode != 0:
        print(f"FAILED ({name}, exit {proc.returncode}):\n{proc.stderr[-3000:]}", flush=True)
        return False, seconds
    if "|---" not in proc.stdout:
        print(f"FAILED ({name}): no table in its output", flush=True)
        return False, seconds
    print(f"({name}: {seconds:.1f} s)", flush=True)
    return True, seconds


def full(args: argparse.Namespace) -> bool:
    """Every benchmark on the default setup; outputs saved under benchmarks/results."""
    steps = ["--steps", str(args.steps)]
    plan: dict[str, list[str]] = {
        "alpha_signal": ["--alphas", "0,0.5,1", "--seeds", "0,1,2"],
        "naive_trial": steps,
        "peer_trial": steps,
        "search_efficiency": [],
        "scaling": [],
        "metrics_time": [],
        "encode_throughput": [],
    }
    chosen = args.only.split(",") if args.only else list(FULL_ORDER)
    ok = True
    for name in FULL_ORDER:
        if name in chosen:
            ok &= run(name, plan[name], RESULTS / f"{name}.txt")[0]
    return ok


def quick() -> bool:
    """Every script on tiny settings in a temporary directory."""
    sys.path.insert(0, str(HERE))
    from _tiny import build_tiny_model, sample_texts, xquad_dir

    start = time.perf_counter()
    ok = True
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        model = build_tiny_model(tmp / "tiny-bert", sample_texts(xquad_dir()))
        tiny = ["--model", str(model), "--languages", "en,de,zh", "--steps", "3", "--batch-size", "8",
                "--max-length", "48", "--cache-dir", str(tmp / "cache"),
                # A 32-wide model gains nothing from a second thread and, on a busy 2-core
                # machine, loses much to OpenMP spin-waiting.
                "--threads", "1"]
        ok &= run("metrics_time", ["--questions", "60", "--candidates", "600", "--repeats", "1"], None)[0]
        ok &= run("alpha_signal", [*tiny, "--alphas", "0,1", "--seeds", "0,1"], tmp / "alpha_signal.txt")[0]
        ok &= run("naive_trial", [*tiny, "--extrapolate-to", "6"], None)[0]
        if importlib.util.find_spec("sentence_transformers") is not None:
            ok &= run("peer_trial", [*tiny, "--extrapolate-to", "6"], None)[0]
        else:
            print("\n## peer_trial\n\nskipped: sentence-transformers is not installed (pip install -e \".[bench]\")")
        ok &= run("search_efficiency", ["--storage", "", "--points", str(tmp / "alpha_signal.txt"),
                                        "--alpha-signal", str(tmp / "alpha_signal.txt"), "--trials", "12",
                                        "--seeds", "0,1", "--checkpoints", "5,10", "--plot", str(tmp / "hv.png")],
                  None)[0]
        ok &= run("scaling", ["--synthetic", "40", "--subsets", "en/en,de,zh/all", "--repeats", "1"], None)[0]
        print("\n## encode_throughput\n\nskipped in --quick (needs the default encoder)")
    print(f"\nquick mode: {'all ok' if ok else 'FAILED'} in {time.perf_counter() - start:.0f} s", flush=True)
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny smoke test of every script (CI)")
    parser.add_argument("--steps", type=int, default=80, help="steps of the naive and peer comparisons (both runs)")
    parser.add_argument("--only", default=None, help=f"comma-separated subset of {','.join(FULL_ORDER)}")
    args = parser.parse_args()
    return 0 if (quick() if args.quick else full(args)) else 1


if __name__ == "__main__":
    sys.exit(main())
