"""``python -m sweep.dashboard``: optuna-dashboard on the study's storage, with the report's images."""

from __future__ import annotations

import argparse
import errno
import socket
import sys

import storage
from objectives.errors import ConfigError
from sweep._cli import main_guard, setup_logging
from sweep._config import DEFAULT_STUDY_NAME, check_study_name, config_from_record
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


def _bind_problem(host: str, port: int, error: OSError) -> str:
    """One line for an address the server cannot listen on, with the fix."""
    if isinstance(error, socket.gaierror):
        return (f"cannot serve on --host {host}: no such host or address ({error.strerror or error}); pass an address of this "
                "machine, e.g. --host 127.0.0.1 (this machine only) or --host 0.0.0.0 (every network interface)")
    if error.errno == errno.EADDRINUSE:
        return (f"cannot serve on {host} port {port}: the port is in use (another dashboard or program listens there); pass "
                f"another --port, e.g. --port {port + 1 if port < 65535 else 8080}")
    if error.errno == errno.EADDRNOTAVAIL:
        return f"cannot serve on --host {host}: it is not an address of this machine; pass one that is, e.g. --host 127.0.0.1"
    if error.errno == errno.EACCES:
        return (f"cannot serve on {host} port {port}: permission denied (ports below 1024 need privileges); pass another "
                "--port, e.g. --port 8080")
    return f"cannot serve on {host} port {port}: {error.strerror or error}; pass another --host or --port"


def _check_address(host: str, port: int) -> None:
    """Bind what the server will bind, then let it go, so a bad address is one line before anything is written.

    optuna-dashboard serves with wsgiref, which binds (host, port) over IPv6 when the host
    holds a colon, else IPv4, with SO_REUSEADDR; so does this check. A port taken between
    the check and the start is caught around the server too.

    Raises:
        ConfigError: the host does not resolve or is not this machine's, or the port is taken or forbidden.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as e:
            raise ConfigError(_bind_problem(host, port, e)) from None


@main_guard
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sweep.dashboard", description="Browse the study in optuna-dashboard.")
    parser.add_argument("--storage", default="sqlite:///sweep.db")
    parser.add_argument("--study-name", default=DEFAULT_STUDY_NAME, help="whose report images to serve")
    parser.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1: this machine only)")
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args(argv)
    setup_logging()
    if not 1 <= args.port <= 65535:
        raise ConfigError(f"--port {args.port} is not a port: pass one from 1 to 65535, e.g. --port 8080")
    check_study_name(args.study_name)
    storage.open_study_database(args.storage)  # reading only: a wrong --storage is never written to
    _check_address(args.host, args.port)  # before the artifact store writes its folder
    from optuna_dashboard import run_server

    store = _artifact_store(args.storage, args.study_name)
    print(f"optuna-dashboard on http://{args.host}:{args.port}/ for {storage.mask_url(args.storage)} (Ctrl-C to stop)", flush=True)
    try:
        run_server(args.storage, host=args.host, port=args.port, artifact_store=store)
    except OSError as e:  # taken since the check
        raise ConfigError(_bind_problem(args.host, args.port, e)) from None
    return 0


if __name__ == "__main__":
    sys.exit(main())
