"""``python -m sweep.dashboard``: optuna-dashboard on the study's storage, with the report's images."""

from __future__ import annotations

import argparse
import sys

import storage
from sweep._cli import main_guard, setup_logging
from sweep._config import DEFAULT_STUDY_NAME, config_from_record
from sweep.study import artifact_store_for

__all__ = ["main", "make_app"]


def _artifact_store(storage_url: str, study_name: str):  # type: ignore[no-untyped-def]
    # Checked reading only: optuna-dashboard's own storage would add Optuna's tables to any database.
    engine = storage.open_study_database(storage_url)
    record = storage.get_study_record(engine, study_name)
    return artifact_store_for(config_from_record(record["config"] if record else {}, storage=storage_url,
                                                 study_name=study_name, device="cpu"))


def make_app(storage_url: str, study_name: str = DEFAULT_STUDY_NAME):  # type: ignore[no-untyped-def]
    """The dashboard as a WSGI app (what the server runs; tests call it directly)."""
    from optuna_dashboard import wsgi

    return wsgi(storage_url, artifact_store=_artifact_store(storage_url, study_name))


@main_guard
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sweep.dashboard", description="Browse the study in optuna-dashboard.")
    parser.add_argument("--storage", default="sqlite:///sweep.db")
    parser.add_argument("--study-name", default=DEFAULT_STUDY_NAME, help="whose report images to serve")
    parser.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1: this machine only)")
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args(argv)
    setup_logging()
    artifact_store = _artifact_store(args.storage, args.study_name)
    from optuna_dashboard import run_server

    print(f"optuna-dashboard on http://{args.host}:{args.port}/ for {storage.mask_url(args.storage)} (Ctrl-C to stop)", flush=True)
    run_server(args.storage, host=args.host, port=args.port, artifact_store=artifact_store)
    return 0


if __name__ == "__main__":
    sys.exit(main())
