"""``python -m sweep.evaluate`` measures as the trials do: its zero-shot numbers are the study's baseline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from objectives.trial import TrialConfig, prepare_workspace, zero_shot
from tests.sweep.conftest import CliCall


def test_evaluate_matches_the_studys_zero_shot_baseline(tiny_model_dir: Path, xquad_path: Path, tmp_path: Path,
                                                       run_main: CliCall) -> None:
    out = tmp_path / "eval.json"
    done = run_main("sweep.evaluate", ["--model", str(tiny_model_dir), "--data", str(xquad_path), "--languages", "en,de",
                                       "--split", "dev", "--json", str(out), "--quiet"])
    assert done.returncode == 0, done.stderr
    measured = json.loads(out.read_text())
    # The trials' defaults: no prefixes for a model that is not E5, 128 tokens.
    config = TrialConfig(model=str(tiny_model_dir), data=str(xquad_path), languages=["en", "de"], device="cpu",
                         regime="proxy", train_path="forward", cache_dir=str(tmp_path / "cache"))
    assert measured["settings"] == {"query_prefix": "", "passage_prefix": "", "max_length": config.max_length,
                                    "candidate_text": "sentence"}
    baseline = zero_shot(prepare_workspace(config, progress=False), "dev")
    for key in ("same_lang_p@k", "xling_map", "cr_map", "mo_map"):
        assert measured[key] == pytest.approx(baseline.to_dict()[key], abs=1e-6), key


@pytest.mark.parametrize("where", ["an existing folder", "in a read-only folder", "in a missing folder"])
def test_an_unwritable_json_is_refused_before_evaluating(where: str, tiny_model_dir: Path, xquad_path: Path, tmp_path: Path,
                                                         read_only_dir: Path, run_main: CliCall) -> None:
    out = {"an existing folder": tmp_path / "eval.json", "in a read-only folder": read_only_dir / "eval.json",
           "in a missing folder": tmp_path / "missing" / "eval.json"}[where]
    (tmp_path / "eval.json").mkdir()
    before = sorted(p.name for p in tmp_path.rglob("*"))
    done = run_main("sweep.evaluate", ["--model", str(tiny_model_dir), "--data", str(xquad_path), "--languages", "en,de",
                                       "--split", "dev", "--json", str(out), "--quiet"])
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: cannot write --json {out}: "), done.stderr
    assert done.stdout == "", "refused before the model ran: no table printed"
    assert sorted(p.name for p in tmp_path.rglob("*")) == before
