"""The batch ledger: one SQLite file in the output folder that records, for each document
(output name, content sha256, configuration hash), its status, error codes, counts, tokens and
timings. A re-run skips what the ledger says is done for the same content and configuration.

Only the batch's driver process writes it (one connection, one commit per document), so a
SIGKILL loses at most the documents in flight, which the next run redoes.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from extractor import __version__
from extractor.config import ExtractConfig
from extractor.definitions import default_schema_dir, prompts_dir
from extractor.ocr.registry import ENGINES

LEDGER_NAME = ".ledger.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    name TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    config_hash TEXT NOT NULL,
    source TEXT NOT NULL,
    status TEXT NOT NULL,
    error_codes TEXT NOT NULL,
    tables INTEGER NOT NULL,
    hard_checks INTEGER NOT NULL,
    failed_checks INTEGER NOT NULL,
    source_inconsistencies INTEGER NOT NULL,
    extraction_errors INTEGER NOT NULL,
    llm_calls INTEGER NOT NULL,
    prompt_tokens INTEGER NOT NULL,
    completion_tokens INTEGER NOT NULL,
    seconds REAL NOT NULL,
    peak_rss_bytes INTEGER NOT NULL,
    attempts INTEGER NOT NULL,
    updated_at REAL NOT NULL,
    PRIMARY KEY (name, sha256, config_hash)
)
"""


def _tree_digest(folder: Path) -> bytes:
    """A digest of the names and contents of the files under a folder (empty if none)."""
    h = hashlib.sha256()
    if folder.is_dir():
        for f in sorted(p for p in folder.rglob("*") if p.is_file()):
            h.update(f.relative_to(folder).as_posix().encode() + b"\0")
            h.update(hashlib.sha256(f.read_bytes()).digest())
    return h.digest()


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "-"


def config_hash(config: ExtractConfig, document_fn: str) -> str:
    """A hash of everything a document result depends on besides the document: the whole
    configuration (generic over its fields, secrets masked by pydantic's JSON dump so none is
    stored and a changed key does not reprocess), the report definitions' files, the prompt
    templates (``prompts/`` beside the definitions), the package version, the OCR engine's
    version and the per-document function."""
    h = hashlib.sha256()
    h.update(config.model_dump_json().encode())
    for folder in (config.schema_dir or default_schema_dir(), *config.extra_schema_dirs):
        h.update(_tree_digest(folder))
    h.update(_tree_digest(prompts_dir()))
    engine = ENGINES.get(config.ocr.kind)
    ocr_dist = engine.dist if engine is not None else "-"
    h.update(f"\0{__version__}\0{ocr_dist}={_version(ocr_dist)}\0{document_fn}".encode())
    return h.hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class Entry:
    """What the ledger knows of one document under one configuration."""

    name: str
    sha256: str
    config_hash: str
    source: str
    status: str
    error_codes: list[str]
    tables: int = 0
    hard_checks: int = 0
    failed_checks: int = 0
    source_inconsistencies: int = 0
    extraction_errors: int = 0
    llm_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0
    peak_rss_bytes: int = 0
    attempts: int = 1


_FIELDS = [
    "name",
    "sha256",
    "config_hash",
    "source",
    "status",
    "error_codes",
    "tables",
    "hard_checks",
    "failed_checks",
    "source_inconsistencies",
    "extraction_errors",
    "llm_calls",
    "prompt_tokens",
    "completion_tokens",
    "seconds",
    "peak_rss_bytes",
    "attempts",
]


class Ledger:
    """The SQLite ledger of one output folder."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(_SCHEMA)
        self._db.commit()

    def get(self, name: str, sha256: str, config_hash: str) -> Entry | None:
        """The entry of a document under a configuration, or None."""
        cur = self._db.execute(
            f"SELECT {', '.join(_FIELDS)} FROM documents "
            "WHERE name = ? AND sha256 = ? AND config_hash = ?",
            (name, sha256, config_hash),
        )
        row = cur.fetchone()
        if row is None:
            return None
        data = dict(zip(_FIELDS, row, strict=True))
        data["error_codes"] = json.loads(data["error_codes"])
        return Entry(**data)

    def record(self, entry: Entry) -> None:
        """Insert or replace an entry and commit; attempts count up over runs."""
        prev = self.get(entry.name, entry.sha256, entry.config_hash)
        values = [getattr(entry, f) for f in _FIELDS]
        values[_FIELDS.index("error_codes")] = json.dumps(entry.error_codes)
        values[_FIELDS.index("attempts")] = (prev.attempts if prev else 0) + 1
        self._db.execute(
            f"INSERT OR REPLACE INTO documents ({', '.join(_FIELDS)}, updated_at) "
            f"VALUES ({', '.join('?' for _ in _FIELDS)}, ?)",
            [*values, time.time()],
        )
        self._db.commit()

    def close(self) -> None:
        self._db.close()
