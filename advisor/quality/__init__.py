"""Quality: scorers per task type and the statistics of student-minus-teacher gaps."""

from .classification import LabelScores, macro_f1, parse_label, score_labels
from .hardcases import HardCases, analyse_hard_cases
from .recorded import recorded_correctness
from .scoring import METRICS, ModelScores, check_references, score_outputs
from .stats import (
    GapComparison,
    GapEstimate,
    GapTest,
    bootstrap_gap_table,
    bootstrap_mean_ci,
    compare_to_teacher,
    holm,
    margin_tests,
    mcnemar_exact,
    paired_gap,
    samples_needed,
)

__all__ = [
    "METRICS",
    "ModelScores",
    "GapComparison",
    "GapEstimate",
    "GapTest",
    "HardCases",
    "LabelScores",
    "analyse_hard_cases",
    "bootstrap_gap_table",
    "bootstrap_mean_ci",
    "check_references",
    "compare_to_teacher",
    "holm",
    "macro_f1",
    "margin_tests",
    "mcnemar_exact",
    "paired_gap",
    "parse_label",
    "recorded_correctness",
    "samples_needed",
    "score_outputs",
    "score_labels",
]
