"""``--dry-run``: estimated wall time and disk use, from rates measured on a 2-core CPU.

The rates are those recorded in benchmarks/README.md for multilingual-e5-small on
2 threads; other models and machines scale roughly with parameter count and cores.
"""

from __future__ import annotations

from sweep._config import SweepConfig

__all__ = ["estimate", "print_estimate"]

# Measured here (benchmarks/README.md): texts per second through one BERT layer of
# e5-small at 2 threads, and seconds per training pair-layer (forward+backward).
_LAYER_TEXTS_PER_S = 815.0  # top layer on cached states (20 s for 16.3k texts)
_CACHE_TEXT_LAYERS_PER_S = 720.0  # bottom 11 layers over 26,104 texts in 399 s
_TRAIN_S_PER_PAIR_LAYER = 0.0066  # 0.42 s per 32-pair step with K = 1
_TOKENS_PER_TEXT = 33
_HIDDEN = 384
_LAYERS = 12


def estimate(cfg: SweepConfig) -> dict[str, float]:
    """Seconds for the one-time cache, per trial and in total; cache megabytes."""
    from objectives.data import load_data  # datasets and transformers: only a dry run pays for them

    data = load_data(cfg.data, cfg.languages, cfg.distractors, cache_dir=cfg.cache_dir)
    texts = len(data.questions) + len(data.candidates)
    eval_questions = len(data.questions) * cfg.split_fractions[1]
    regime = cfg.regime
    k = _LAYERS if regime.train_layers == "all" else min(int(regime.train_layers), _LAYERS)
    # The forward path runs every layer for every text; the cached path only the top K.
    run_layers = _LAYERS if regime.train_path == "forward" else k
    cache_s = texts * (_LAYERS - k) / _CACHE_TEXT_LAYERS_PER_S if regime.train_path == "cached" else 0.0
    train_s = regime.steps * cfg.batch_size * 2 * run_layers * _TRAIN_S_PER_PAIR_LAYER
    encode_s = (len(data.candidates) + eval_questions) * run_layers / _LAYER_TEXTS_PER_S
    trial_s = (train_s + encode_s + 3.0) * cfg.repeats
    return {"cache_s": cache_s, "trial_s": trial_s, "total_s": cache_s + 60 + trial_s * cfg.trials,
            "cache_mb": texts * _TOKENS_PER_TEXT * _HIDDEN * 2 / 1e6 if regime.train_path == "cached" else 0.0}


def print_estimate(cfg: SweepConfig) -> None:
    e = estimate(cfg)
    regime = cfg.regime
    print(f"regime {regime.name} ({regime.train_path} path, {regime.train_layers} layer(s), {regime.steps} steps), device {cfg.device}")
    if regime.train_path == "cached":
        print(f"one-time activation cache: ~{e['cache_s'] / 60:.0f} min, ~{e['cache_mb']:.0f} MB on disk")
    print(f"per trial: ~{e['trial_s']:.0f} s; {cfg.trials} trials with baseline: ~{e['total_s'] / 60:.0f} min (2-core CPU rates)")
    if cfg.device.startswith("cuda"):
        print("on a GPU expect far less: the rates above are a 2-core CPU's (benchmarks/README.md has GPU timings)")
