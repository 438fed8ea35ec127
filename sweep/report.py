"""``python -m sweep.report``: write reports/<study>/ for a study."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

import storage
from objectives.errors import ConfigError
from sweep._cli import main_guard, setup_logging
from sweep._config import DEFAULT_STUDY_NAME, config_from_record

__all__ = ["main"]


@main_guard
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sweep.report", description="Figures, tables and summary.md of a study.")
    parser.add_argument("--study-name", default=DEFAULT_STUDY_NAME)
    parser.add_argument("--storage", default="sqlite:///sweep.db")
    parser.add_argument("--out", type=Path, default=Path("reports"), help="parent folder (default reports/)")
    parser.add_argument("--no-test", action="store_true", help="skip re-evaluating the Pareto trials on the test split")
    parser.add_argument("--run-command", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    setup_logging()
    storage.check_storage_url(args.storage)
    engine = storage.make_engine(args.storage)
    storage.ensure_schema(engine)
    record = storage.get_study_record(engine, args.study_name)
    if record is None:
        raise ConfigError(f"no xling-sweep study named {args.study_name!r} in {storage.mask_url(args.storage)}: check --study-name")
    # The device is this machine's (a GPU study can be reported on a laptop); the regime stays the study's.
    cfg = config_from_record(record["config"], storage=args.storage, device="auto")
    from sweep._report import write_report

    command = args.run_command or "python -m sweep.run " + " ".join(
        shlex.quote(x) for x in ["--trials", str(cfg.trials), "--study-name", cfg.study_name]) + " && python -m sweep.report"
    result = write_report(cfg, args.out, command, with_test=not args.no_test,
                          ran_on=str(record["config"].get("device", "cpu")))
    print(f"report written to {result.folder} (chosen trial {result.chosen}); images attached to the study for optuna-dashboard")
    return 0


if __name__ == "__main__":
    sys.exit(main())
