"""The report's figures (matplotlib, PNG; plotly's PNG export would need a browser)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from sweep.answer import pareto_mask  # noqa: E402

__all__ = ["kernel_smooth", "plot_bias", "plot_curve", "plot_heatmap", "plot_metrics_vs_alpha", "plot_pareto"]


def kernel_smooth(x: np.ndarray, y: np.ndarray, grid: np.ndarray, bandwidth: float = 0.12) -> np.ndarray:
    """Nadaraya-Watson regression with a Gaussian kernel: a smooth trend through noisy points."""
    weights = np.exp(-0.5 * ((grid[:, None] - x[None, :]) / bandwidth) ** 2)
    return (weights @ y) / np.clip(weights.sum(1), 1e-12, None)


def _confirmed_errorbars(ax, confirmed: pd.DataFrame | None, x: str | None, y: str) -> None:  # type: ignore[no-untyped-def]
    """Confirmed points as mean ± sample std over seeds (x: a column, or None for mono_ratio without x error)."""
    if confirmed is None or confirmed.empty:
        return
    xs = confirmed["mono_ratio"] if x is None else confirmed[x]
    xerr = None if x is None else confirmed[f"{x}_sd"]
    ax.errorbar(xs, confirmed[y], xerr=xerr, yerr=confirmed[f"{y}_sd"], fmt="D", ms=5, color="tab:purple",
                ecolor="tab:purple", elinewidth=1, capsize=3, label="confirmed (mean ± std)", zorder=6)


def plot_curve(smooth, column: int, name: str, out: Path) -> Path:  # type: ignore[no-untyped-def]
    """One objective against α: every run fitted as a dot, the posterior mean with its band, the answer and its interval."""
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    lo, hi = smooth.interval
    ax.axvspan(lo, hi, color="tab:orange", alpha=0.15, label=f"answer's {smooth.level:.0%} interval {lo:.2f}–{hi:.2f}")
    ax.fill_between(smooth.grid, smooth.lower[:, column], smooth.upper[:, column], color="tab:blue", alpha=0.2,
                    label=f"posterior {smooth.level:.0%} band")
    ax.plot(smooth.grid, smooth.mean[:, column], color="tab:blue", lw=1.6, label="posterior mean")
    ax.scatter(smooth.alphas, smooth.values[:, column], s=14, color="black", alpha=0.7, label=f"runs ({len(smooth.alphas)})",
               zorder=4)
    ax.axvline(smooth.mono_ratio, color="tab:orange", lw=1.6, label=f"answer α = {smooth.mono_ratio:.2f}")
    ax.set_xlabel("mono_ratio α")
    ax.set_ylabel(name)
    ax.set_title(f"{name} against α (noise sd {smooth.noise_sd[column]:.4f}, posterior mean)")
    ax.legend(fontsize=7, loc="best")
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return out


def plot_pareto(trials: pd.DataFrame, front: Sequence[int], chosen: int, baseline: tuple[float, float],
                names: Sequence[str], out: Path, confirmed: pd.DataFrame | None = None, smooth=None) -> Path:  # type: ignore[no-untyped-def]
    fig, ax = plt.subplots(figsize=(6.4, 4.8))
    _confirmed_errorbars(ax, confirmed, "obj1", "obj2")
    if smooth is not None:

        on = pareto_mask(smooth.mean)
        ax.plot(smooth.mean[:, 0], smooth.mean[:, 1], "-", color="tab:blue", lw=0.8, alpha=0.5, label="posterior-mean curve")
        ax.plot(smooth.mean[on, 0], smooth.mean[on, 1], ".", color="tab:blue", ms=4, label="its front")
        ax.scatter([smooth.predicted[0]], [smooth.predicted[1]], marker="P", s=160, color="tab:blue", edgecolors="black",
                   label=f"smoothed answer α={smooth.mono_ratio:.2f}", zorder=6)
    sc = ax.scatter(trials["obj1"], trials["obj2"], c=trials["mono_ratio"], cmap="viridis", s=28, label="trials")
    fig.colorbar(sc, ax=ax, label="mono_ratio α")
    pf = trials[trials["number"].isin(front)].sort_values("obj1")
    ax.plot(pf["obj1"], pf["obj2"], "-", color="tab:red", lw=1.2, label="Pareto front")
    anchors = trials[trials["anchor"]]
    ax.scatter(anchors["obj1"], anchors["obj2"], marker="s", facecolors="none", edgecolors="black", s=90, label="anchors α=0/0.5/1")
    for _, row in anchors.iterrows():
        ax.annotate(f"α={row.mono_ratio:g}", (row.obj1, row.obj2), textcoords="offset points", xytext=(6, -10), fontsize=8)
    pick = trials[trials["number"] == chosen].iloc[0]
    # With a confirm study the answer is its pick (error bars); the star is what the search chose.
    star = "search knee" if confirmed is not None else "chosen"
    ax.scatter([pick.obj1], [pick.obj2], marker="*", s=260, color="tab:orange", edgecolors="black",
               label=f"{star} α={pick.mono_ratio:.3f}", zorder=5)
    if all(np.isfinite(baseline)):
        ax.scatter([baseline[0]], [baseline[1]], marker="X", s=110, color="gray", label="zero-shot", zorder=4)
    ax.set_xlabel(names[0])
    ax.set_ylabel(names[1])
    ax.set_title("Pareto front (dev split)")
    ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return out


def plot_metrics_vs_alpha(trials: pd.DataFrame, columns: Sequence[tuple[str, str]], baseline: dict[str, float],
                          out: Path, confirmed: pd.DataFrame | None = None) -> Path:
    fig, axes = plt.subplots(1, len(columns), figsize=(4.2 * len(columns), 3.8))
    grid = np.linspace(0, 1, 101)
    for ax, (col, label) in zip(np.atleast_1d(axes), columns):
        data = trials[["mono_ratio", col]].dropna()
        ax.scatter(data["mono_ratio"], data[col], s=18, alpha=0.8, label="trials")
        if len(data) >= 3:
            ax.plot(grid, kernel_smooth(data["mono_ratio"].to_numpy(), data[col].to_numpy(), grid), color="tab:red", label="smoothed")
        if confirmed is not None and f"{col}_sd" in confirmed:
            _confirmed_errorbars(ax, confirmed, None, col)
        if col in baseline and baseline[col] is not None:
            ax.axhline(baseline[col], color="gray", ls="--", lw=1, label="zero-shot")
        ax.set_xlabel("mono_ratio α")
        ax.set_title(label)
    np.atleast_1d(axes)[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return out


def plot_bias(trials: pd.DataFrame, baseline: float | None, out: Path) -> Path:
    return plot_metrics_vs_alpha(trials, [("language_bias", "language bias (mean rank spread, lower is better)")],
                                 {"language_bias": baseline} if baseline is not None else {}, out)


def plot_heatmap(delta: pd.DataFrame, title: str, out: Path) -> Path:
    fig, ax = plt.subplots(figsize=(0.55 * len(delta) + 2.5, 0.5 * len(delta) + 2))
    limit = float(np.nanmax(np.abs(delta.to_numpy()))) or 1.0
    im = ax.imshow(delta.to_numpy(), cmap="RdBu", vmin=-limit, vmax=limit)
    ax.set_xticks(range(len(delta.columns)), delta.columns)
    ax.set_yticks(range(len(delta.index)), delta.index)
    ax.set_xlabel("candidate language")
    ax.set_ylabel("query language")
    for i in range(len(delta.index)):
        for j in range(len(delta.columns)):
            v = delta.iat[i, j]
            if np.isfinite(v):
                ax.text(j, i, f"{v * 100:+.1f}", ha="center", va="center", fontsize=6)
    fig.colorbar(im, ax=ax, label="Δ mAP")
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return out
