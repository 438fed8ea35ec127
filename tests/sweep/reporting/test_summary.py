"""What a finished run prints: one short fidelity sentence on the console, the full record in the report, which mAP."""

from __future__ import annotations

from pathlib import Path

from objectives.regimes import CPU_DEFAULT_REGIME
from tests.storage_backends import unique_study_name
from tests.sweep.conftest import CliCall


def test_console_fidelity_line_is_one_short_sentence(tiny_args: list[str], tmp_path: Path, run_main: CliCall) -> None:
    # The CPU default's own settings (no --steps override), so its fidelity record applies.
    args = [a for a in tiny_args if a != "--quiet"]
    del args[args.index("--steps"):args.index("--steps") + 2]
    url, name = f"sqlite:///{tmp_path / 'sweep.db'}", unique_study_name()
    ran = run_main("sweep.run", ["--trials", "1", "--storage", url, "--study-name", name, *args])
    assert ran.returncode == 0, ran.stderr
    exported = run_main("sweep.export", ["--study-name", name, "--storage", url, "--out", str(tmp_path / "b.yaml")])
    assert exported.returncode == 0, exported.stderr
    check = f"python -m sweep.confirm --study-name {name} --storage {url} --regime full --device cuda"
    for output in (ran.stdout, exported.stdout):
        [line] = [x for x in output.splitlines() if x.startswith("Fidelity:")]
        assert len(line) - len(check) <= 220, line  # the record's full wording (~700 characters) is the report's
        assert line.startswith(f"Fidelity: regime '{CPU_DEFAULT_REGIME}' ") and "measured on XQuAD-R dev" in line and line.endswith(check)
    # The test pool is far below the exact-ranking limit, and the summary says which mAP that gives.
    assert "mAP: exact, over the full ranking" in ran.stdout.splitlines()
