"""The sweep's configuration: defaults, then an optional YAML file, then flags."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

import storage
from objectives.errors import ConfigError
from objectives.regimes import LEGACY_LOOP, REGIMES, SETTING_KEYS
from objectives.retrieval import objective_names
from objectives.trial import TrialConfig

__all__ = ["DEFAULT_STUDY_NAME", "LEGACY_REGIME", "SEARCHABLE", "FixedPoint", "ParamRange", "SweepConfig", "check_study_name",
           "config_from_record", "load_config", "parse_yaml_flag", "study_name_problem", "with_legacy_defaults"]

DEFAULT_STUDY_NAME = "xling-default"


def study_name_problem(name: str) -> str | None:
    """Why ``name`` cannot name a study, or None.

    The name is a folder under the artifacts folder and the reports folder
    (``<artifacts>/<study>/``, ``reports/<study>/``), so it must be one folder name:
    ``../x`` would write outside them, ``""`` and ``.`` into them, ``a/b`` one level down.
    """
    if not name.strip():
        why = "is empty"
    elif name in (".", ".."):
        why = "names a folder's self or parent"
    elif "/" in name or "\\" in name:
        why = "contains a path separator"
    elif "\0" in name:
        why = "contains a NUL character"
    else:
        return None
    return (f"study name {name!r} {why}: a study name must be one folder name (its folder goes under the artifacts and "
            "reports folders); choose another --study-name, e.g. xling-default or my-study-2")


def check_study_name(name: str) -> str:
    """``name`` if it can name a study (see :func:`study_name_problem`).

    Raises:
        ConfigError: the name is empty, ``.``/``..`` or holds a path separator.
    """
    if (problem := study_name_problem(name)) is not None:
        raise ConfigError(problem)
    return name


# Parameters a search space may name, with the bounds that make sense for each.
SEARCHABLE: dict[str, tuple[float, float, type]] = {
    "mono_ratio": (0.0, 1.0, float),
    "learning_rate": (1e-7, 1.0, float),
    "temperature": (1e-4, 10.0, float),
    "steps": (1, 100_000, int),
    "train_layers": (1, 48, int),
}


class ParamRange(BaseModel):
    """A searched interval ``[low, high]`` (log-uniform when ``log``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    low: float
    high: float
    log: bool = False

    @model_validator(mode="after")
    def _ordered(self) -> ParamRange:
        if not self.low < self.high:
            raise ValueError(f"empty or inverted range [{self.low}, {self.high}]: low must be below high")
        if self.log and self.low <= 0:
            raise ValueError("a log range needs low > 0")
        return self


class FixedPoint(BaseModel):
    """A parameter set a confirm study re-runs, and why (knee, pareto, anchor) from which search trials."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    params: dict[str, float]
    kinds: list[str]
    source_trials: list[int]


class SweepConfig(TrialConfig):
    """Study-level settings on top of :class:`objectives.trial.TrialConfig`.

    ``seed`` is the one seed: it fixes the split (part of the study's identity), the
    samplers (mixed with each worker's id) and, with a trial's parameters, its
    training seed.
    """

    trials: int = Field(default=40, ge=1)
    storage: str = "sqlite:///sweep.db"
    study_name: str = DEFAULT_STUDY_NAME
    seed: int = 0
    # tpe stays the default: in benchmarks/answer_accuracy.py the knee sampler was no more accurate
    # with the smoothed answer and covered less often (benchmarks/README.md, "Answer calibration").
    sampler: Literal["tpe", "nsga2", "random", "grid", "knee"] = "tpe"
    search_space: dict[str, ParamRange] = Field(default_factory=lambda: {"mono_ratio": ParamRange(low=0.0, high=1.0)})
    xling_metric: Literal["mul_map", "cr_map"] = "mul_map"
    anchors: list[float] = Field(default_factory=lambda: [0.0, 0.5, 1.0])
    # Each anchor runs with this many training seeds (they count toward ``trials``): the
    # repeats measure the seed noise the smoothed answer needs (docs/design.md, "Smoothed answer").
    anchor_seeds: int = Field(default=2, ge=1)
    repeats: int = Field(default=1, ge=1)
    max_failed: int = Field(default=10, ge=1)
    keep_weights: Literal["pareto", "all"] = "pareto"
    artifacts_dir: str | None = None
    heartbeat_interval: int = Field(default=20, ge=1)
    grace_period: int = Field(default=90, ge=2)
    workers: int = Field(default=1, ge=1)
    # The knee sampler aims at the knee that meets these (the export's --min-xling/--min-same-lang).
    min_xling: float | None = None
    min_same_lang: float | None = None
    # Set for a confirm study (python -m sweep.confirm): the search study it confirms and
    # the points it re-runs, instead of sampled trials and anchors.
    confirms: str | None = None
    fixed_points: list[FixedPoint] | None = None

    @model_validator(mode="before")
    @classmethod
    def _split_seed_follows_seed(cls, data: Any) -> Any:
        if isinstance(data, dict) and "split_seed" not in data:
            data = {**data, "split_seed": data.get("seed", 0)}
        return data

    @field_validator("study_name")
    @classmethod
    def _one_folder_name(cls, name: str) -> str:
        if (problem := study_name_problem(name)) is not None:
            raise ValueError(problem)
        return name

    @field_validator("search_space")
    @classmethod
    def _known_params(cls, space: dict[str, ParamRange]) -> dict[str, ParamRange]:
        if "mono_ratio" not in space:
            raise ValueError("the search space must include mono_ratio")
        for name, rng in space.items():
            if name not in SEARCHABLE:
                raise ValueError(f"cannot search {name!r}: choose from {', '.join(SEARCHABLE)}")
            lo, hi, _ = SEARCHABLE[name]
            if rng.low < lo or rng.high > hi:
                raise ValueError(f"{name} range [{rng.low}, {rng.high}] is outside [{lo}, {hi}]")
        return space

    @model_validator(mode="after")
    def _grid_searches_ratio_only(self) -> SweepConfig:
        # The knee sampler models the objectives as curves in α alone (sweep.study._knee_sampler).
        if self.sampler in ("grid", "knee") and set(self.search_space) != {"mono_ratio"}:
            raise ValueError(f"the {self.sampler} sampler searches mono_ratio only: drop the other search-space keys or use "
                             "--sampler tpe")
        return self

    @field_validator("anchors")
    @classmethod
    def _anchors_in_unit(cls, anchors: list[float]) -> list[float]:
        if any(not 0.0 <= a <= 1.0 for a in anchors):
            raise ValueError("anchors are mono_ratio values and must lie in [0, 1]")
        return anchors

    @property
    def metric_names(self) -> list[str]:
        """Objective names as the study and the dashboard show them."""
        return objective_names(self.k, self.xling_metric)

    def trial_config(self, **overrides: Any) -> TrialConfig:
        """The per-trial part, with searched parameters applied."""
        fields = {name: getattr(self, name) for name in TrialConfig.model_fields}
        return TrialConfig(**{**fields, **overrides})

    def public_dump(self) -> dict[str, Any]:
        """The config as stored and exported: any storage password masked."""
        return {**self.model_dump(mode="json"), "storage": storage.mask_url(self.storage)}

    def identity(self) -> dict[str, Any]:
        """Settings that define what the study's numbers mean; a rerun may not change them."""
        # data and distractors are paths: what they hold enters the identity as the runner's
        # data_fingerprint (the distractors' bytes are hashed into it), so a moved file still resumes.
        budget = {"trials", "storage", "study_name", "sampler", "max_failed", "keep_weights", "artifacts_dir",
                  "heartbeat_interval", "grace_period", "workers", "device", "threads", "cache_dir",
                  "eval_batch_size", "data", "train_data", "distractors", "seed", "anchor_seeds",
                  "min_xling", "min_same_lang"}
        return {k: v for k, v in self.model_dump(mode="json").items() if k not in budget}


#: The regime every study made before regimes existed trained with.
LEGACY_REGIME = "proxy"


def with_legacy_defaults(stored: dict[str, Any]) -> dict[str, Any]:
    """A stored config or identity, completed with the :data:`LEGACY_REGIME` recipe where it predates regimes.

    Such a record holds steps, learning rate and layers; the recipe fills the settings
    it lacks.
    """
    if "regime" in stored:
        # Made before the training loop was a setting: it trained with the padded loop.
        return stored if "loop" in stored else {**stored, "loop": LEGACY_LOOP}
    return {"regime": LEGACY_REGIME, **REGIMES[LEGACY_REGIME].settings(), **stored}


def config_from_record(stored: dict[str, Any], **overrides: Any) -> SweepConfig:
    """The config a study was made with (as stored), with ``overrides`` (e.g. this machine's storage URL).

    Raises:
        ConfigError: the stored config no longer validates.
    """
    try:
        return SweepConfig(**{**with_legacy_defaults(stored), **overrides})
    except ValidationError as e:
        raise ConfigError(f"the study's stored config is not valid for this version ({_format_validation_error(e)})") from None


def _format_validation_error(e: ValidationError) -> str:
    first = e.errors()[0]
    loc = [str(p) for p in first["loc"]]
    if loc[:1] == ["regime"] and len(loc) > 1:  # the regime is written flat: name its key as the user wrote it
        loc = ["regime"] if loc[1] == "name" else loc[1:]
    where = ".".join(loc) or "config"
    if first["type"] == "extra_forbidden":
        known = ", ".join(sorted({*SweepConfig.model_fields, *SETTING_KEYS}))
        return f"unknown config key {where!r}: check the spelling; known keys are {known}"
    msg = first["msg"].removeprefix("Value error, ")
    return f"invalid value for {where!r}: {msg}"


def load_config(path: str | Path | None = None, overrides: dict[str, Any] | None = None) -> SweepConfig:
    """Defaults, then the YAML file at ``path``, then ``overrides`` (flags that were given).

    Raises:
        ConfigError: unreadable YAML, an unknown key or an invalid value (one line).
    """
    values: dict[str, Any] = {}
    if path is not None:
        try:
            loaded = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        except OSError as e:
            raise ConfigError(f"cannot read config file {path}: {e.strerror}; check the --config path") from None
        except yaml.YAMLError as e:
            raise ConfigError(f"config file {path} is not valid YAML{_yaml_problem(e)}: fix its syntax") from None
        if loaded is not None and not isinstance(loaded, dict):
            raise ConfigError(f"config file {path} must be a mapping of keys to values, e.g. 'trials: 40'")
        values.update(loaded or {})
    values.update({k: v for k, v in (overrides or {}).items() if v is not None})
    try:
        return SweepConfig(**values)
    except ValidationError as e:
        raise ConfigError(_format_validation_error(e)) from None


def parse_yaml_flag(flag: str, value: str) -> Any:
    """A flag's YAML value (``--search-space '{mono_ratio: {low: 0, high: 1}}'``) as data.

    Raises:
        ConfigError: the value is not valid YAML (cut short, unbalanced braces), with where and what.
    """
    try:
        return yaml.safe_load(value)
    except yaml.YAMLError as e:
        raise ConfigError(f"{flag} is not valid YAML{_yaml_problem(e)}: write a complete mapping, e.g. "
                          f"{flag} '{{mono_ratio: {{low: 0, high: 1}}}}'") from None


def _yaml_problem(e: yaml.YAMLError) -> str:
    """`` (line L, column C: what the parser expected)`` for a YAML error, as much of it as PyYAML says."""
    mark = getattr(e, "problem_mark", None)
    problem = " ".join(str(getattr(e, "problem", None) or "").split())
    where = f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
    text = ": ".join(part for part in (where, problem) if part)
    return f" ({text})" if text else ""
