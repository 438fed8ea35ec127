"""The exported answer, as a training script reads it back: the schema of ``best_ratio.yaml`` and its loader.

Only pydantic and PyYAML: ``from sweep import load_best_ratio`` loads no database or ML
library. Writing the file is :mod:`sweep.answer._export`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from objectives.errors import ConfigError

__all__ = ["Answer", "BestRatio", "Confirmation", "ConfirmedPointOut", "SmoothedOut", "TrialAnswer", "TrialPoint",
           "load_best_ratio"]

Answer = Literal["smoothed", "trial"]


class TrialPoint(BaseModel):
    model_config = ConfigDict(extra="forbid")

    trial: int
    mono_ratio: float = Field(ge=0.0, le=1.0)
    params: dict[str, float]
    same_lang: float
    xling: float


class ConfirmedPointOut(BaseModel):
    """A re-run point of the confirm study: mean ± sample std over its repeats."""

    model_config = ConfigDict(extra="forbid")

    trial: int
    mono_ratio: float = Field(ge=0.0, le=1.0)
    params: dict[str, float]
    kinds: list[str]
    source_trials: list[int]
    same_lang_mean: float
    same_lang_std: float
    xling_mean: float
    xling_std: float
    repeats: int


class Confirmation(BaseModel):
    """How the answer was confirmed, and how sure it is."""

    model_config = ConfigDict(extra="forbid")

    study_name: str
    regime: str
    device: str
    repeats: int
    points: list[ConfirmedPointOut]
    indistinguishable_alphas: list[float]
    indistinguishable_rule: str
    search_knee_alpha: float | None
    search_knee_holds: bool | None
    verdict: str


class SmoothedOut(BaseModel):
    """The smoothed answer (sweep.answer._smooth) with what it rests on."""

    model_config = ConfigDict(extra="forbid")

    method: str
    mono_ratio: float
    interval: list[float]
    level: float
    median: float
    front_alphas: list[float] | None
    predicted: dict[str, float]
    noise_sd: dict[str, float]
    noise_dof: int
    #: Correlation of a run's noise between the two objectives, which the draws use (issue 33); None in older files.
    noise_corr: float | None = None
    length_scales: dict[str, float]
    runs: int
    runs_from: str


class TrialAnswer(BaseModel):
    """The trial-based answer: the rule applied to the study's (or confirm study's) points."""

    model_config = ConfigDict(extra="forbid")

    mono_ratio: float
    trial: int
    study_name: str
    metrics: dict[str, float | None]


class BestRatio(BaseModel):
    """The exported choice, as a training script reads it back."""

    model_config = ConfigDict(extra="forbid")

    mono_ratio: float = Field(ge=0.0, le=1.0)
    # Which answer ``mono_ratio`` is. Files written before smoothing existed are trial answers.
    # With ``smoothed``, ``metrics`` holds the curves' posterior means at mono_ratio and
    # ``trial`` the trial-based choice, which ``trial_answer`` describes.
    answer: Answer = "trial"
    interval: list[float] | None = None
    params: dict[str, float]
    metric_names: list[str]
    metrics: dict[str, float | None]
    trial: int
    rule: str
    constraints: dict[str, float | None]
    pareto_set: list[TrialPoint]
    baseline: dict[str, float | None]
    training_config: dict[str, Any]
    # Exports made before regimes existed all came from the proxy regime on a CPU.
    regime: str = "proxy"
    device: str = "cpu"
    fidelity_warning: str | None = None
    # The record that shows the regime faithful (rule, reference, agreement), when one does.
    fidelity: str | None = None
    # Which study the choice was made on: the single-seed search, or its confirm study.
    source: Literal["search", "confirm"] = "search"
    confirmation: Confirmation | None = None
    smoothed: SmoothedOut | None = None
    trial_answer: TrialAnswer | None = None
    answer_note: str | None = None
    study_name: str
    storage: str
    model_fingerprint: str
    data_fingerprint: str
    code_version: str
    packages: dict[str, str]
    exported_at: str


def load_best_ratio(path: str | Path) -> BestRatio:
    """Read and validate an exported file (safe YAML loader only).

    Raises:
        ConfigError: the file is missing, not YAML, or not an export of this tool.
    """
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as e:
        raise ConfigError(f"cannot read {path}: {e.strerror}; export it with python -m sweep.export --out {path}") from None
    except yaml.YAMLError:
        raise ConfigError(f"{path} is not valid YAML: re-export it with python -m sweep.export") from None
    try:
        return BestRatio.model_validate(data)
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"{path} is not a sweep export ({where}: {first['msg']}): re-export it with python -m sweep.export") from None
