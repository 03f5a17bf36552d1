"""The published evaluation: ``tokenscam eval --report DIR`` and ``make report``.

``run`` scores every dataset with ours and the baselines, ``build`` turns scores into the
report's numbers (``metrics.json``), ``plots`` draws the PNGs and ``page`` renders
``index.html`` from those same numbers.
"""

from .build import Dataset, ModelInfo, Report, build_metrics
from .run import Evaluation, run_evaluation, text_summary, write_report

__all__ = [
    "Dataset",
    "Evaluation",
    "ModelInfo",
    "Report",
    "build_metrics",
    "run_evaluation",
    "text_summary",
    "write_report",
]
