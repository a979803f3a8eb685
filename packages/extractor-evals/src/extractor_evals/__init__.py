"""Measuring extraction against labeled reports: scoring, the harness, generated datasets.

from extractor_evals import run_eval, format_table
report = run_eval(["my_labeled_reports/"], ExtractConfig(), load_definitions())
print(format_table(report))
"""

from extractor_evals.harness import (
    Case,
    CaseMetrics,
    Label,
    Report,
    compare,
    format_table,
    load_dataset,
    measure,
    run_eval,
)
from extractor_evals.score import CellMismatch, TableScore, match_tables, score_document
from extractor_evals.truth import TruthDocument

__all__ = [
    "Case",
    "CaseMetrics",
    "CellMismatch",
    "Label",
    "Report",
    "TableScore",
    "TruthDocument",
    "compare",
    "format_table",
    "load_dataset",
    "match_tables",
    "measure",
    "run_eval",
    "score_document",
]
