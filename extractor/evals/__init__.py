"""Scoring extraction results against truth files (TABLE_FORMAT.md shape)."""

from extractor.evals.score import CellMismatch, TableScore, match_tables, score_document

__all__ = ["CellMismatch", "TableScore", "match_tables", "score_document"]
