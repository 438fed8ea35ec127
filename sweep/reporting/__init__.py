"""What a finished study shows: the console summary, the report's data, its figures and its text.

``_summary`` is the one-screen summary the commands print, ``_report_data`` collects what
the report shows, ``_plots`` draws it and ``_report`` writes the folder. Uses
:mod:`sweep.answer` and :mod:`sweep.study`; nothing imports this package but the commands.
"""

from sweep.reporting._plots import kernel_smooth, plot_bias, plot_curve, plot_heatmap, plot_metrics_vs_alpha, plot_pareto
from sweep.reporting._report import ReportResult, front_phrase, plotted_baseline, render_report, write_report
from sweep.reporting._report_data import ConfirmationData, ReportData, collect_report
from sweep.reporting._summary import print_summary, summary_text

__all__ = [
    "ConfirmationData",
    "ReportData",
    "ReportResult",
    "collect_report",
    "front_phrase",
    "kernel_smooth",
    "plot_bias",
    "plot_curve",
    "plot_heatmap",
    "plot_metrics_vs_alpha",
    "plot_pareto",
    "plotted_baseline",
    "print_summary",
    "render_report",
    "summary_text",
    "write_report",
]
