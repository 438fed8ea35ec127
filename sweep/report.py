"""``python -m sweep.report``: write reports/<study>/ for a study."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

import yaml

import storage
from objectives.errors import ConfigError
from sweep._cli import check_output_path, main_guard, setup_logging
from sweep._config import DEFAULT_STUDY_NAME, SweepConfig, check_study_name, config_from_record

__all__ = ["main", "reproduce_command"]


#: Settings a reproduce command leaves to the machine that runs it: they change where and how
#: fast the study runs, not what it measures (trials, name, storage and regime are written first).
_MACHINE_KEYS = {"trials", "study_name", "storage", "regime", "device", "threads", "workers", "cache_dir", "artifacts_dir"}


def reproduce_command(cfg: SweepConfig) -> str:
    """The ``sweep.run`` and ``sweep.report`` commands that remake the study ``cfg`` describes.

    They name the trials, the study, its storage (password masked) when it is not the
    default, the regime always (its default depends on the device), and every other flag
    whose value differs from the default, regime settings against the regime's recipe.
    """
    from sweep.run import _FLAGS

    given, default = cfg.public_dump(), SweepConfig(device=cfg.device, regime=cfg.regime.name).public_dump()
    where = storage.mask_url(cfg.storage)
    at = ["--storage", where] if where != default["storage"] else []
    report = (["--study-name", cfg.study_name] if cfg.study_name != default["study_name"] else []) + at
    run = ["--trials", str(cfg.trials), "--study-name", cfg.study_name, *at, "--regime", cfg.regime.name]
    for flag, (key, kind, _help) in _FLAGS.items():
        if key in _MACHINE_KEYS or given.get(key) == default.get(key):
            continue
        value = given[key]
        if kind == "bool":
            run += [flag] if value else []
        elif kind == "list":
            run += [flag, ",".join(str(v) for v in value)]
        elif kind == "yaml":
            run += [flag, yaml.safe_dump(value, default_flow_style=True, sort_keys=False).strip()]
        else:
            run += [flag, ("on" if value else "off") if isinstance(value, bool) else str(value)]
    return " ".join(["python -m sweep.run", *map(shlex.quote, run), "&&", "python -m sweep.report", *map(shlex.quote, report)])


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
    check_study_name(args.study_name)
    engine = storage.open_study_database(args.storage)  # reading only: a wrong --storage is never written to
    # Before the test-split evaluation and the plots: a folder that cannot take them fails at the end otherwise.
    check_output_path(args.out / args.study_name, "--out", kind="folder", create_parents=True)
    record = storage.get_study_record(engine, args.study_name)
    if record is None:
        raise ConfigError(f"no xling-sweep study named {args.study_name!r} in {storage.mask_url(args.storage)}: check --study-name")
    storage.ensure_schema(engine)  # the report stores test-split cells: side tables at this version's revision
    # The device is this machine's (a GPU study can be reported on a laptop); the regime stays the study's.
    cfg = config_from_record(record["config"], storage=args.storage, device="auto")
    from sweep.reporting import write_report

    command = args.run_command or reproduce_command(cfg)
    result = write_report(cfg, args.out, command, with_test=not args.no_test,
                          ran_on=str(record["config"].get("device", "cpu")))
    print(f"report written to {result.folder} (chosen trial {result.chosen}); images attached to the study for optuna-dashboard")
    return 0


if __name__ == "__main__":
    sys.exit(main())
