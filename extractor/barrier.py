"""The fault barrier: an element of a document (a table, an identity, a narrative claim, an
annex) whose processing raises costs that element, never the document (DESIGN.md rule 3).

Each stage runs its elements under ``barrier.guard(stage, element)``. An exception inside
becomes an ``internal.<stage>`` error naming the element (table, line/page) and the exception;
what the element had added to an ``undo`` list is taken back, so a half-evaluated identity
leaves no partial checks; the stage goes on with the next element. A bad configuration
(``ConfigError``) and ``MemoryError`` are not data problems and pass through.

``Barrier(reraise=True)`` guards nothing: direct callers of a stage (tests, the library's
parts used on their own) see the exception; the pipeline always passes a real barrier.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from extractor.errors import ConfigError, internal_code
from extractor.model import ErrorInfo

__all__ = ["Barrier", "Guard", "describe", "or_reraise"]

# not data problems: misuse and an exhausted machine are reported by the caller's layer
_PASS_THROUGH: tuple[type[BaseException], ...] = (ConfigError, MemoryError)
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")  # object reprs: the result must be deterministic
_MAX_MESSAGE = 300


def describe(exc: BaseException) -> str:
    """``Type: message`` of an exception, short and free of memory addresses."""
    text = _ADDRESS.sub("", str(exc))
    if len(text) > _MAX_MESSAGE:
        text = text[:_MAX_MESSAGE] + "…"
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class Guard:
    """One guarded element (a context manager). ``failed`` is the error it recorded, if any."""

    def __init__(
        self,
        barrier: Barrier,
        stage: str,
        element: str,
        where: tuple[int | None, int | None],
        undo: list[Any] | None,
    ) -> None:
        self._barrier = barrier
        self._code = internal_code(stage)  # an unregistered stage fails here, not on error
        self._element = element
        self._where = where  # (line, page)
        self._undo = undo
        self._mark = 0
        self.failed: ErrorInfo | None = None

    def __enter__(self) -> Guard:
        self._mark = len(self._undo) if self._undo is not None else 0
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        if exc is None or self._barrier.reraise or not isinstance(exc, Exception):
            return False
        if isinstance(exc, _PASS_THROUGH):
            return False
        if self._undo is not None:
            del self._undo[self._mark :]
        self.failed = ErrorInfo(
            code=self._code,
            message=f"{self._element}: {describe(exc)}",
            line=self._where[0],
            page=self._where[1],
        )
        self._barrier.record(self.failed)
        return True


@dataclass
class Barrier:
    """The internal errors of one document, in the order they happened (each once)."""

    reraise: bool = False
    errors: list[ErrorInfo] = field(default_factory=list)

    def guard(
        self,
        stage: str,
        element: str,
        *,
        line: int | None = None,
        page: int | None = None,
        undo: list[Any] | None = None,
    ) -> Guard:
        """Run a block for one element: an exception in it becomes ``internal.<stage>``."""
        return Guard(self, stage, element, (line, page), undo)

    def record(self, error: ErrorInfo) -> None:
        # a stage that runs again on the same tables (repair and LLM rounds re-verify) hits
        # the same element again: one error for it
        if error not in self.errors:
            self.errors.append(error)


def or_reraise(barrier: Barrier | None) -> Barrier:
    """The barrier given, or one that lets exceptions through (a stage called on its own)."""
    return barrier if barrier is not None else Barrier(reraise=True)
