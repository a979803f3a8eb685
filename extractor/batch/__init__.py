"""Batch extraction: many documents, isolated workers, a resumable ledger, a results store."""

from extractor.batch.runner import run_batch
from extractor.batch.types import BatchOptions, BatchReport

__all__ = ["BatchOptions", "BatchReport", "run_batch"]
