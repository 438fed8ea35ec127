"""Search efficiency: hypervolume after 10, 20, 40 trials for TPE, NSGA-II, random and a grid, on a surrogate.

Real trials cost a minute each, so the samplers query a surrogate built from real,
measured trials (docs/design.md, "Search-efficiency surrogate"):

- mean(alpha): Gaussian-kernel (Nadaraya-Watson) smoothing, bandwidth ``--bandwidth``,
  of the COMPLETE trials of a real study (params ``mono_ratio``; values
  same_lang_p@1, xling_map), read with ``optuna.load_study``;
- noise: Gaussian with the seed standard deviation of each objective measured by
  ``benchmarks/alpha_signal.py`` (pooled over its alphas, sample std), read from its
  saved output.

Each sampler (``TPESampler``, ``NSGAIISampler(population_size=10)``,
``RandomSampler`` - as ``sweep`` builds them) runs ``--trials`` trials per seed with
the anchors alpha = 0, 0.5, 1 enqueued first, as the real study does. The grid is
``linspace(0, 1, n)`` evaluated fresh for each budget n (the best a grid of n
trials can do). Hypervolume (2-D, maximisation) of the observed Pareto front uses
the reference point zero-shot baseline minus ``--margin`` on each objective; the
noise-free variant scores the alphas on that front with the surrogate mean instead
(did the search find good alphas, not lucky draws). Prints markdown tables and saves
a PNG plot. Usage::

    python benchmarks/search_efficiency.py [--storage sqlite:////work/clone40/sweep.db] [--study xling-default]

Without a reachable study the surrogate points saved by the last full run
(``benchmarks/results/surrogate_points.json``) are used, or ``--points FILE`` (that
JSON, or an ``alpha_signal.py`` output whose trials become the points).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"
POINTS = RESULTS / "surrogate_points.json"
ANCHORS = (0.0, 0.5, 1.0)
SAMPLERS = ("tpe", "nsga2", "random", "grid")


def hypervolume_2d(points: Sequence[tuple[float, float]], ref: tuple[float, float]) -> float:
    """Area dominated by ``points`` (both objectives maximised) and bounded below by ``ref``."""
    pts = sorted(((x, y) for x, y in points if x > ref[0] and y > ref[1]), reverse=True)
    area, top = 0.0, ref[1]
    for x, y in pts:  # x descending: each point with a higher y adds a slab of width x - ref_x
        if y > top:
            area += (x - ref[0]) * (y - top)
            top = y
    return area


def pareto_mask(values: np.ndarray) -> np.ndarray:
    """Rows of ``values`` (n x 2, maximised) not dominated by any other row."""
    n = len(values)
    keep = np.ones(n, dtype=bool)
    for i in range(n):
        dominated = np.all(values >= values[i], axis=1) & np.any(values > values[i], axis=1)
        keep[i] = not dominated.any()
    return keep


def load_points(storage: str | None, study_name: str, points_file: Path = POINTS) -> dict[str, Any]:
    """Measured (alpha, objectives) and the zero-shot baseline.

    From the real study when ``storage`` is given (and saved to ``POINTS`` for later
    runs), else from ``points_file``: a saved ``surrogate_points.json`` or the output
    of ``benchmarks/alpha_signal.py`` (its trials and baseline lines).
    """
    if storage:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        study = optuna.load_study(study_name=study_name, storage=storage)
        trials = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
        base = study.user_attrs["baseline_dev"]
        points = {
            "source": f"{storage} study {study_name}",
            "alpha": [float(t.params["mono_ratio"]) for t in trials],
            "values": [[float(v) for v in t.values] for t in trials],
            "baseline": [float(base["same_lang_p@k"]), float(base["xling_map"])],
        }
        RESULTS.mkdir(parents=True, exist_ok=True)
        POINTS.write_text(json.dumps(points, indent=1))
        return points
    text = points_file.read_text()
    if points_file.suffix == ".json":
        return json.loads(text)
    records = [json.loads(ln) for ln in text.splitlines() if ln.startswith("{")]
    trials = [r for r in records if r.get("event") == "trial"]
    base = next(r for r in records if r.get("event") == "baseline")
    return {
        "source": str(points_file), "alpha": [r["alpha"] for r in trials],
        "values": [[r["same_lang_p@1"], r["xling_map"]] for r in trials],
        "baseline": [base["same_lang_p@1"], base["xling_map"]],
    }


def seed_std(path: Path) -> tuple[float, float, str]:
    """Pooled seed std (sample std per alpha, root-mean-square over alphas) of both objectives."""
    per_alpha: dict[float, list[tuple[float, float]]] = {}
    for line in path.read_text().splitlines():
        if line.startswith("{"):
            rec = json.loads(line)
            if rec.get("event") == "trial":
                per_alpha.setdefault(rec["alpha"], []).append((rec["same_lang_p@1"], rec["xling_map"]))
    groups = [v for v in per_alpha.values() if len(v) > 1]
    if not groups:
        raise SystemExit(f"{path} holds no alpha with two or more seeds")
    stds = []
    for i in range(2):
        var = statistics.mean(statistics.variance([v[i] for v in g]) for g in groups)
        stds.append(var**0.5)
    n = sum(len(g) for g in groups)
    return stds[0], stds[1], f"{path.name}: {n} trials at {len(groups)} alphas"


class Surrogate:
    """Kernel-smoothed measured means plus Gaussian seed noise."""

    def __init__(self, alpha: Sequence[float], values: Sequence[Sequence[float]], bandwidth: float,
                 noise: tuple[float, float]) -> None:
        self.alpha = np.asarray(alpha, dtype=float)
        self.values = np.asarray(values, dtype=float)
        self.bandwidth = bandwidth
        self.noise = np.asarray(noise, dtype=float)

    def mean(self, a: float) -> np.ndarray:
        w = np.exp(-0.5 * ((self.alpha - a) / self.bandwidth) ** 2)
        return (w[:, None] * self.values).sum(0) / w.sum()

    def sample(self, a: float, rng: np.random.Generator) -> np.ndarray:
        return self.mean(a) + rng.normal(0.0, self.noise)


def run_sampler(name: str, seed: int, trials: int, surrogate: Surrogate) -> list[tuple[float, np.ndarray]]:
    """(alpha, observed values) of ``trials`` trials of one Optuna sampler, anchors first."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler: optuna.samplers.BaseSampler
    if name == "tpe":
        sampler = optuna.samplers.TPESampler(seed=seed)
    elif name == "nsga2":
        sampler = optuna.samplers.NSGAIISampler(population_size=10, seed=seed)
    elif name == "random":
        sampler = optuna.samplers.RandomSampler(seed=seed)
    else:
        raise ValueError(name)
    study = optuna.create_study(directions=["maximize", "maximize"], sampler=sampler)
    for a in ANCHORS[:trials]:
        study.enqueue_trial({"mono_ratio": a})
    rng = np.random.default_rng([seed, SAMPLERS.index(name)])
    out: list[tuple[float, np.ndarray]] = []

    def objective(trial: optuna.Trial) -> tuple[float, float]:
        a = trial.suggest_float("mono_ratio", 0.0, 1.0)
        v = surrogate.sample(a, rng)
        out.append((a, v))
        return float(v[0]), float(v[1])

    study.optimize(objective, n_trials=trials)
    return out


def hv_curves(name: str, seed: int, trials: int, surrogate: Surrogate, ref: tuple[float, float]
              ) -> tuple[np.ndarray, np.ndarray]:
    """HV of the observed front and noise-free HV of that front's alphas after 1..trials trials."""
    observed, true = np.zeros(trials), np.zeros(trials)
    if name == "grid":
        rng = np.random.default_rng([seed, SAMPLERS.index(name)])
        for n in range(1, trials + 1):
            alphas = np.linspace(0.0, 1.0, n)
            vals = np.array([surrogate.sample(a, rng) for a in alphas])
            observed[n - 1], true[n - 1] = _hv_pair(alphas, vals, surrogate, ref)
        return observed, true
    history = run_sampler(name, seed, trials, surrogate)
    alphas = np.array([a for a, _ in history])
    vals = np.array([v for _, v in history])
    for n in range(1, trials + 1):
        observed[n - 1], true[n - 1] = _hv_pair(alphas[:n], vals[:n], surrogate, ref)
    return observed, true


def _hv_pair(alphas: np.ndarray, vals: np.ndarray, surrogate: Surrogate, ref: tuple[float, float]) -> tuple[float, float]:
    front = pareto_mask(vals)
    observed = hypervolume_2d([tuple(v) for v in vals[front]], ref)
    true = hypervolume_2d([tuple(surrogate.mean(a)) for a in alphas[front]], ref)
    return observed, true


def table(curves: dict[str, list[np.ndarray]], checkpoints: Sequence[int], scale: float) -> str:
    """Markdown: mean ± std over seeds of HV at each checkpoint (HV x ``scale``)."""
    lines = ["| sampler | " + " | ".join(f"HV after {c} trials" for c in checkpoints) + " |",
             "|---|" + "---|" * len(checkpoints)]
    for name, runs in curves.items():
        cells = []
        for c in checkpoints:
            xs = [float(r[c - 1]) * scale for r in runs]
            sd = statistics.stdev(xs) if len(xs) > 1 else 0.0
            cells.append(f"{statistics.mean(xs):.3f} ± {sd:.3f}")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def plot(curves: dict[str, list[np.ndarray]], curves_true: dict[str, list[np.ndarray]], scale: float,
         out: Path, title: str) -> None:
    """HV against trials (mean line, min-max band over seeds), observed and noise-free panels."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
    for ax, data, label in ((axes[0], curves, "observed front"), (axes[1], curves_true, "noise-free value of that front")):
        for name, runs in data.items():
            arr = np.array(runs) * scale
            x = np.arange(1, arr.shape[1] + 1)
            ax.plot(x, arr.mean(0), label=name)
            ax.fill_between(x, arr.min(0), arr.max(0), alpha=0.15)
        ax.set_xlabel("trials")
        ax.set_title(label)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel(f"hypervolume x {scale:g}")
    axes[0].legend()
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--storage", default="sqlite:////work/clone40/sweep.db",
                        help="Optuna storage of a real study ('' to use the saved surrogate points)")
    parser.add_argument("--study", default="xling-default")
    parser.add_argument("--points", default=str(POINTS),
                        help="measured points when no study is read: surrogate_points.json or alpha_signal output")
    parser.add_argument("--alpha-signal", default=str(RESULTS / "alpha_signal.txt"),
                        help="saved output of benchmarks/alpha_signal.py (seed noise)")
    parser.add_argument("--bandwidth", type=float, default=0.1)
    parser.add_argument("--margin", type=float, default=0.01)
    parser.add_argument("--trials", type=int, default=40)
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--checkpoints", default="10,20,40")
    parser.add_argument("--plot", default=str(RESULTS / "search_efficiency.png"))
    args = parser.parse_args()
    start = time.perf_counter()
    storage = args.storage
    if storage.startswith("sqlite:///") and not Path(storage.removeprefix("sqlite:///")).is_file():
        print(f"# {storage} not found: using {args.points}", file=sys.stderr)
        storage = ""
    pts = load_points(storage or None, args.study, Path(args.points))
    std1, std2, noise_src = seed_std(Path(args.alpha_signal))
    surrogate = Surrogate(pts["alpha"], pts["values"], args.bandwidth, (std1, std2))
    ref = (pts["baseline"][0] - args.margin, pts["baseline"][1] - args.margin)
    seeds = [int(s) for s in args.seeds.split(",")]
    checkpoints = [c for c in (int(x) for x in args.checkpoints.split(",")) if c <= args.trials]
    curves: dict[str, list[np.ndarray]] = {}
    curves_true: dict[str, list[np.ndarray]] = {}
    for name in SAMPLERS:
        for seed in seeds:
            obs, true = hv_curves(name, seed, args.trials, surrogate, ref)
            curves.setdefault(name, []).append(obs)
            curves_true.setdefault(name, []).append(true)
    scale = 1000.0
    grid_alpha = np.linspace(0, 1, 201)
    dense = np.array([surrogate.mean(a) for a in grid_alpha])
    best = hypervolume_2d([tuple(v) for v in dense[pareto_mask(dense)]], ref)
    print(f"surrogate: {len(pts['alpha'])} measured trials from {pts['source']}; kernel bandwidth {args.bandwidth}; "
          f"seed noise std same_lang_p@1 {std1:.4f}, xling_map {std2:.4f} ({noise_src}); "
          f"reference point = baseline ({pts['baseline'][0]:.4f}, {pts['baseline'][1]:.4f}) - {args.margin}; "
          f"seeds {args.seeds}; HV x {scale:g}; noise-free HV of the surrogate's own front "
          f"(201-point alpha grid): {best * scale:.3f}\n")
    print("Observed front (what the study reports):\n")
    print(table(curves, checkpoints, scale))
    print("\nNoise-free value of the observed front's alphas (surrogate mean):\n")
    print(table(curves_true, checkpoints, scale))
    plot(curves, curves_true, scale, Path(args.plot),
         f"HV vs trials on a surrogate of {len(pts['alpha'])} real trials (ref = baseline - {args.margin}); "
         f"{len(seeds)} seeds, band = min-max")
    print(f"\nplot: {args.plot}; wall time {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
