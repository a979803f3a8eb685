"""The batch's output folder: each document's files written atomically, the result JSON last
(``output.write_document``, which ``extract`` uses too), and its review page."""

from __future__ import annotations

from pathlib import Path

from extractor.output import OutputFiles, WriteFile, output_path, write_document

__all__ = ["WriteFile", "output_path", "write_document", "write_review_page"]


def write_review_page(out_dir: Path, name: str, files: OutputFiles, source: Path) -> Path:
    """Write a document's ``.review.html`` page from its result JSON and its input file."""
    from extractor.model import DocumentResult
    from extractor.review import write_review

    result = DocumentResult.model_validate_json(files[".json"])
    return write_review(result, source, output_path(out_dir, name, ".review.html"))
