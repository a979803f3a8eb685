"""One exception tree. Data problems are results (``ErrorInfo`` in the document result);
exceptions are for misuse and infrastructure, each with a stable dotted ``code``."""

from __future__ import annotations


class ExtractorError(Exception):
    """Base of every error this package raises."""

    code = "extractor.error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code


class ConfigError(ExtractorError):
    """Invalid configuration or report definitions."""

    code = "config.invalid"


class InputError(ExtractorError):
    """A document cannot be read (empty, binary, encrypted, too large...)."""

    code = "input.invalid"


class DefinitionError(ConfigError):
    """A report definition file does not validate."""

    code = "config.definition"


class OcrError(ExtractorError):
    """The OCR engine failed on one page image (an image it cannot resize, a runtime error):
    an error of that page, the other pages go on."""

    code = "ocr.failed"
