"""Batch extraction: many documents, isolated workers, a resumable ledger, a results store."""

from extractor.batch.runner import BatchOptions, BatchReport, run_batch

__all__ = ["BatchOptions", "BatchReport", "run_batch"]
