"""``python -m sweep.confirm``: re-run a study's front, knee and anchors with several seeds."""

from __future__ import annotations

import argparse
import sys

import optuna

import storage
from objectives.errors import ConfigError
from objectives.regimes import REGIMES, unsupported_device
from sweep._cli import main_guard, setup_logging
from sweep._config import DEFAULT_STUDY_NAME, check_study_name, config_from_record
from sweep.answer import (
    add_rule_options,
    confirm_config,
    confirm_points,
    linked_confirm_study,
    search_record,
    stale_confirm_refusal,
)
from sweep.reporting import print_summary
from sweep.study import check_artifacts_dir, default_threads, run_with_workers

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m sweep.confirm",
        description="Re-run a search study's Pareto trials, its knee (or --rule's choice) and the anchors with several "
        "seeds, in a chosen regime, as the linked study <study>-confirm (same storage). Rerun the same command to resume; "
        "python -m sweep.export and sweep.report then use it.",
    )
    parser.add_argument("--study-name", default=DEFAULT_STUDY_NAME, help=f"the search study (default {DEFAULT_STUDY_NAME})")
    parser.add_argument("--storage", default="sqlite:///sweep.db", help="its storage URL (default sqlite:///sweep.db)")
    parser.add_argument("--regime", default=None, help="sharp | lite | proxy | full (default: the search study's own regime and settings)")
    parser.add_argument("--device", default="auto", help="auto (default: cuda when torch sees a GPU), cpu, cuda or cuda:N; with --workers, "
                        "cuda spreads the workers over the visible GPUs, or name them: cuda:0,cuda:1")
    parser.add_argument("--repeats", type=int, default=3, help="training seeds per point (default 3)")
    parser.add_argument("--model", default=None,
                        help="the search's encoder from another place (e.g. a copy rebuilt on a GPU machine that cannot "
                             "build the default); default: the search study's model")
    parser.add_argument("--data", default=None, help="the search's data from another place (default: the search study's)")
    parser.add_argument("--top", type=int, default=None,
                        help="only the N Pareto trials nearest the knee, or the --rule's choice (default: all)")
    # sweep.export's options: the same flags confirm the trial and the smoothed α that export then picks.
    add_rule_options(parser, "trials")
    parser.add_argument("--workers", type=int, default=1, help="local worker processes (default 1)")
    parser.add_argument("--threads", type=int, default=None, help="torch threads per worker (default: cores / workers)")
    parser.add_argument("--cache-dir", default=None, help="cache for the model, data and activations")
    parser.add_argument("--artifacts-dir", default=None, help="where trial weights go (default: beside a SQLite file)")
    parser.add_argument("--worker-id", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--quiet", action="store_true", help="no progress bars or summary")
    parser.add_argument("--verbose", action="store_true", help="log what happens")
    return parser


@main_guard
def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    setup_logging(args.verbose)
    check_study_name(args.study_name)
    if args.repeats < 2:
        raise ConfigError(f"--repeats must be at least 2 (one seed measures no spread), got {args.repeats}")
    if args.regime is not None and args.regime not in REGIMES:
        raise ConfigError(f"unknown regime {args.regime!r}: choose one of {', '.join(REGIMES)}")
    if (problem := unsupported_device(args.device)) is not None:
        raise ConfigError(problem)
    if args.top is not None and args.top < 1:
        raise ConfigError(f"--top must be at least 1, got {args.top}")
    if args.workers < 1:
        raise ConfigError(f"--workers must be at least 1, got {args.workers}")
    record = search_record(args.storage, args.study_name)
    search = config_from_record(record["config"], storage=args.storage, device="cpu")
    if search.confirms is not None:
        raise ConfigError(f"study {args.study_name!r} is itself a confirm study: pass the search study, {search.confirms!r}")
    searched = sorted(set(search.search_space) - {"mono_ratio"})
    if args.regime is not None and args.regime != search.regime.name and searched:
        raise ConfigError(f"the search also tuned {', '.join(searched)} for regime {search.regime.name!r}; those values mean "
                          f"nothing under --regime {args.regime}: confirm in the search's own regime, or search again "
                          "over mono_ratio only")
    study = optuna.load_study(study_name=args.study_name, storage=args.storage)
    if linked_confirm_study(args.storage, args.study_name)[1]:  # refused here, before any model or data loads
        raise ConfigError(stale_confirm_refusal(args.storage, args.study_name))
    points = confirm_points(study, search, args.top, rule=args.rule, min_xling=args.min_xling,
                            min_same_lang=args.min_same_lang)
    cfg = confirm_config(search, points, regime=args.regime, device=args.device, repeats=args.repeats,
                         storage_url=args.storage, workers=args.workers,
                         threads=args.threads or default_threads(args.workers), cache_dir=args.cache_dir,
                         artifacts_dir=args.artifacts_dir, model=args.model, data=args.data,
                         min_xling=args.min_xling, min_same_lang=args.min_same_lang)
    check_artifacts_dir(cfg)
    code, study = run_with_workers("sweep.confirm", cfg, argv, args.worker_id, progress=not args.quiet)
    if not args.quiet:
        print_summary(study, cfg)
        print(f"confirm study {cfg.study_name} in {storage.mask_url(args.storage)}: export the answer with "
              f"python -m sweep.export --study-name {args.study_name} --storage {storage.mask_url(args.storage)}"
              f"{_rule_flags(args)}")
    return code


def _rule_flags(args: argparse.Namespace) -> str:
    """The rule options given, as export takes them (empty for the default knee)."""
    flags = [("--rule", args.rule if args.rule != "knee" else None), ("--min-xling", args.min_xling),
             ("--min-same-lang", args.min_same_lang)]
    return "".join(f" {flag} {value}" for flag, value in flags if value is not None)


if __name__ == "__main__":
    sys.exit(main())
