"""``python -m sweep.export``: write the chosen mono ratio and its provenance to YAML."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import storage
from sweep._cli import check_output_path, main_guard, setup_logging
from sweep._config import DEFAULT_STUDY_NAME, check_study_name, config_from_record
from sweep.answer import (
    DEFAULT_ANSWER,
    add_rule_options,
    confirm_progress,
    export_best_ratio,
    linked_confirm_study,
    regime_fidelity_sentence,
    stale_confirm_note,
)

__all__ = ["main"]


@main_guard
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sweep.export", description="Export the chosen mono ratio to YAML.")
    parser.add_argument("--study-name", default=DEFAULT_STUDY_NAME)
    parser.add_argument("--storage", default="sqlite:///sweep.db")
    parser.add_argument("--out", type=Path, default=Path("best_ratio.yaml"))
    add_rule_options(parser, "trials")
    parser.add_argument("--source", choices=["search", "confirm"], default=None,
                        help="choose among the search trials or the confirm study's points (default: confirm when "
                             "python -m sweep.confirm has run, else search)")
    parser.add_argument("--answer", choices=["smoothed", "trial"], default=DEFAULT_ANSWER,
                        help="which is mono_ratio: smoothed (the knee of curves fitted to every run, with a 90%% interval) "
                             f"or trial (the knee among the trials); the file carries both (default {DEFAULT_ANSWER})")
    args = parser.parse_args(argv)
    setup_logging()
    check_study_name(args.study_name)
    storage.open_study_database(args.storage)  # reading only: a wrong --storage is never written to
    check_output_path(args.out, "--out", create_parents=True)
    best = export_best_ratio(args.study_name, args.storage, args.out, args.rule, args.min_xling, args.min_same_lang,
                             source=args.source, answer=args.answer)
    names = best.metric_names or ["objective 1", "objective 2"]
    if best.answer == "smoothed" and best.smoothed is not None:
        s = best.smoothed
        print(f"mono_ratio {best.mono_ratio:.4f} ({s.level:.0%} interval {s.interval[0]:.2f}-{s.interval[1]:.2f}; smoothed "
              f"over {s.runs} runs of {s.runs_from}, rule {best.rule}): fitted {names[0]} {best.metrics[names[0]]:.4f}, "
              f"{names[1]} {best.metrics[names[1]]:.4f} -> {args.out}")
    else:
        print(f"mono_ratio {best.mono_ratio:.4f} (trial {best.trial}, rule {best.rule}): "
              f"{names[0]} {best.metrics[names[0]]:.4f}, {names[1]} {best.metrics[names[1]]:.4f} -> {args.out}")
    if best.answer_note:
        print(f"note: {best.answer_note}")
    if best.answer == "smoothed" and best.trial_answer is not None:
        print(f"trial-based answer: mono_ratio {best.trial_answer.mono_ratio:.4f} (trial {best.trial_answer.trial} of "
              f"{best.trial_answer.study_name})")
    elif best.smoothed is not None:
        s = best.smoothed
        print(f"smoothed over {s.runs} runs of {s.runs_from}: mono_ratio {s.mono_ratio:.2f} ({s.level:.0%} interval "
              f"{s.interval[0]:.2f}-{s.interval[1]:.2f}); --answer smoothed makes it the answer")
    confirm, stale = linked_confirm_study(args.storage, args.study_name)
    if stale:
        print(f"note: {stale_confirm_note(args.storage, args.study_name)}")
    done, total = confirm_progress(confirm) if confirm is not None else (0, 0)
    if best.confirmation is None and done < total:
        print(f"note: the confirm study has {done} of {total} points done, so this is the search's answer; rerun "
              "python -m sweep.confirm with the same options to finish it")
    if best.confirmation is not None:
        print(f"confirmed ({best.confirmation.regime}, {best.confirmation.device}, {best.confirmation.repeats} seeds): "
              f"{best.confirmation.verdict}")
    elif best.fidelity_warning:
        print(best.fidelity_warning)
    elif best.fidelity:
        # The file keeps the full record; the console gets the short sentence.
        record = storage.get_study_record(storage.make_engine(args.storage), best.study_name)
        cfg = config_from_record(record["config"], storage=args.storage) if record is not None else None
        print((regime_fidelity_sentence(cfg) if cfg is not None else None) or best.fidelity)
    return 0


if __name__ == "__main__":
    sys.exit(main())
