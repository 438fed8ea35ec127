"""Exact scoring (today's metrics path) against faiss top-k, as the candidate pool grows (issue 27).

Random L2-normalised vectors, d = 384, 3,000 queries (one language, one relevant
candidate each), at 13 k, 100 k and 1 M candidates. Each (method, pool) runs in a
fresh process so its peak RSS is its own:

- ``exact``: :func:`objectives.retrieval.evaluate_embeddings`, which scores every query
  against every candidate in float32 tiles and counts exact ranks (every metric, mAP
  included);
- ``faiss``: :func:`objectives.retrieval.search`, exact ``IndexFlatIP`` top-10
  with the tie completion (what P@k/R@k need; no mAP).

Prints one markdown row per run: seconds (best of ``--repeats``) and the peak RSS
above the process's RSS once the vectors exist (``VmHWM - VmRSS``, MiB).

    python benchmarks/faiss_topk.py [--pools 13000,100000,1000000] [--queries 3000] [--repeats 2]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
D = 384
K = 10


def _status_mib(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise KeyError(field)


def _vectors(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, D), dtype=np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x


def _one(method: str, pool: int, queries: int, repeats: int) -> dict[str, float | str | int]:
    sys.path.insert(0, str(REPO))
    from objectives.retrieval import evaluate_embeddings, search

    c = _vectors(pool, 1)
    q = _vectors(queries, 2)
    rel = np.random.default_rng(3).choice(pool, size=queries, replace=False)
    # Each query close to its relevant candidate, so the ranks are not all random.
    q = q + 0.25 * c[rel]
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    zeros_q, zeros_c = np.zeros(queries, dtype=np.int64), np.zeros(pool, dtype=np.int64)
    groups = np.arange(queries)
    import faiss  # noqa: F401 - loaded before the baseline, as evaluate's libraries are

    base = _status_mib("VmRSS")
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        if method == "exact":
            result = evaluate_embeddings(q, zeros_q, groups, c, zeros_c, groups, rel, ["xx"], k=1)
            check = float(result.same_lang_p_at_k)
        else:
            _, ids = search(q, c, K)
            check = float((ids[:, 0] == rel).mean())
        times.append(time.perf_counter() - start)
    return {"method": method, "pool": pool, "queries": queries, "seconds": min(times),
            "runs": ", ".join(f"{t:.2f}" for t in times), "peak_extra_mib": _status_mib("VmHWM") - base, "p_at_1": check}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pools", default="13000,100000,1000000")
    parser.add_argument("--queries", type=int, default=3000)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--one", nargs=2, metavar=("METHOD", "POOL"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(_one(args.one[0], int(args.one[1]), args.queries, args.repeats)))
        return
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"<!-- {platform.machine()}, {os.cpu_count()} cores, load average {load}, numpy {np.__version__} -->")
    print("| candidates | method | time (s), best | all runs (s) | peak RSS above the vectors (MiB) | P@1 |")
    print("|---|---|---|---|---|---|")
    for pool in (int(p) for p in args.pools.split(",")):
        for method in ("exact", "faiss"):
            out = subprocess.run([sys.executable, __file__, "--one", method, str(pool), "--queries", str(args.queries),
                                  "--repeats", str(args.repeats)], capture_output=True, text=True, check=True)
            row = json.loads(out.stdout)
            what = "exact scoring, all metrics" if method == "exact" else f"faiss IndexFlatIP top-{K}"
            print(f"| {pool:,} | {what} | {row['seconds']:.2f} | {row['runs']} | {row['peak_extra_mib']:.0f} | "
                  f"{row['p_at_1']:.4f} |", flush=True)


if __name__ == "__main__":
    main()
