"""Time every retrieval metric at full XQuAD-R size from precomputed embeddings.

Shape of the default evaluation (docs/design.md, "Data"): 11 languages x 1190 questions =
13,090 queries, a pool of ~13,014 candidate sentences (~1,183 per language),
d = 384, every question answered in all 11 languages (11 relevant per query in the
pooled setting) and answer sentences shared between questions roughly as in XQuAD-R (656 of
1190 questions share theirs). Embeddings are random and L2-normalised: the cost of
:func:`objectives.retrieval.evaluate_embeddings` does not depend on their quality.

Prints one markdown table row: wall time of the full computation (best of
``--repeats``), the peak of Python/numpy allocations during one call (tracemalloc,
a separate run so tracing does not slow the timed ones) and the process's peak RSS.

    python benchmarks/metrics_time.py [--block-size 1024] [--repeats 3] [--questions 1190] [--candidates 13014]

Recorded (2 vCPU AMD EPYC with AVX-512, numpy 2.4.6 / OpenBLAS 0.3.31, while other
jobs kept the load average at 4-5, so these are upper bounds):

| queries | candidates | d | relevant/query | block_size | time (s), best of 3 | peak traced alloc (MiB) | peak RSS (MiB) |
|---|---|---|---|---|---|---|---|
| 13090 | 13014 | 384 | 11 | 1024 | 3.8-4.2 (runs up to 5.5) | 83 | 210 |
| 13090 | 13014 | 384 | 11 | 1024 (OPENBLAS_NUM_THREADS=1) | 2.9-3.1 | 83 | 209 |
| 13090 | 13014 | 384 | 11 | 128 | 5.4 | 38 | 159 |

In profiles of these runs the float32 matmul (1.3e11 flops) took 50-65 % and the
exact rank counting (~1.1 s) most of the rest; idle OpenBLAS threads spinning after
each matmul compete with the single-threaded counting on 2 cores, hence the faster
1-thread row. Results are bit-identical for any thread count and block size.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from objectives.retrieval import evaluate_embeddings  # noqa: E402

LANGUAGES = ("ar", "de", "el", "en", "es", "hi", "ru", "th", "tr", "vi", "zh")


def make_data(
    n_questions: int = 1190, n_candidates: int = 13014, dim: int = 384, seed: int = 0
) -> dict[str, object]:
    """Random normalised embeddings with XQuAD-R-like relevance."""
    rng = np.random.default_rng(seed)
    n_lang = len(LANGUAGES)
    per_lang = np.full(n_lang, n_candidates // n_lang)
    per_lang[: n_candidates % n_lang] += 1
    c_lang = np.repeat(np.arange(n_lang), per_lang)
    lang_start = np.concatenate([[0], np.cumsum(per_lang)[:-1]])
    # Parallel answers: question g's answer is sentence a(g) in every language;
    # ~60 % of questions share their sentence with another one (XQuAD-R: 55 %).
    n_sent = int(per_lang.min())
    answer = rng.integers(0, n_sent, n_questions)
    rel_group = np.repeat(np.arange(n_questions), n_lang)
    rel_cand = (lang_start[None, :] + answer[:, None]).ravel()
    q_lang = np.tile(np.arange(n_lang), n_questions)
    q_group = np.repeat(np.arange(n_questions), n_lang)

    def unit(n: int) -> np.ndarray:
        x = rng.standard_normal((n, dim), dtype=np.float32)
        return x / np.linalg.norm(x, axis=1, keepdims=True)

    return dict(
        q_emb=unit(q_lang.size), q_lang=q_lang, q_group=q_group, c_emb=unit(n_candidates),
        c_lang=c_lang, rel_group=rel_group, rel_cand=rel_cand, languages=LANGUAGES,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--block-size", type=int, default=1024)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--k", type=int, default=1)
    parser.add_argument("--questions", type=int, default=1190, help="questions (x 11 languages = queries)")
    parser.add_argument("--candidates", type=int, default=13014)
    args = parser.parse_args()

    data = make_data(n_questions=args.questions, n_candidates=args.candidates)
    n_q, n_c = data["q_emb"].shape[0], data["c_emb"].shape[0]  # type: ignore[attr-defined]
    evaluate_embeddings(**data, k=args.k, block_size=args.block_size)  # warm-up
    times = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        result = evaluate_embeddings(**data, k=args.k, block_size=args.block_size)
        times.append(time.perf_counter() - start)
    tracemalloc.start()
    evaluate_embeddings(**data, k=args.k, block_size=args.block_size)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"<!-- {platform.machine()}, {os.cpu_count()} cores, load average {load}, numpy {np.__version__}, "
          f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}; "
          f"xling_map={result.xling_map:.4f} same_lang_p@{args.k}={result.same_lang_p_at_k:.4f} -->")
    print("| queries | candidates | d | relevant/query | block_size | time (s), best of "
          f"{args.repeats} | all runs (s) | peak traced alloc (MiB) | peak RSS (MiB) |")
    print("|---|---|---|---|---|---|---|---|---|")
    print(f"| {n_q} | {n_c} | 384 | 11 | {args.block_size} | {min(times):.2f} | "
          f"{', '.join(f'{t:.2f}' for t in times)} | {traced_peak / 2**20:.0f} | {rss_mb:.0f} |")


if __name__ == "__main__":
    main()
