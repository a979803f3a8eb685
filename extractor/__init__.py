"""extractor: verified tables from Chinese government budget and final-account reports."""

from extractor.api import extract
from extractor.config import ExtractConfig
from extractor.errors import ConfigError, DefinitionError, ExtractorError, InputError
from extractor.model import (
    Cell,
    CellRef,
    Check,
    Column,
    DocumentResult,
    Finding,
    Row,
    Section,
    Table,
)

__all__ = [
    "Cell",
    "CellRef",
    "Check",
    "Column",
    "ConfigError",
    "DefinitionError",
    "DocumentResult",
    "ExtractConfig",
    "ExtractorError",
    "Finding",
    "InputError",
    "Row",
    "Section",
    "Table",
    "extract",
]
__version__ = "0.1.0"
