"""extractor: verified tables from Chinese government budget and final-account reports."""

from extractor.api import extract
from extractor.config import ExtractConfig
from extractor.errors import ConfigError, DefinitionError, ExtractorError, InputError
from extractor.model import DocumentResult

__all__ = [
    "ConfigError",
    "DefinitionError",
    "DocumentResult",
    "ExtractConfig",
    "ExtractorError",
    "InputError",
    "extract",
]
__version__ = "0.1.0"
