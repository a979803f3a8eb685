"""Progress on stderr while a batch runs, and the summary after it.

On a terminal the progress line is redrawn in place; elsewhere (a log file, CI) a plain line is
printed at most every 10 seconds and at the end, so logs stay readable.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from extractor.batch.types import BatchReport


class Progress:
    """Counts and rate of a batch: done/total, ok/partial/failed, skipped, documents/s."""

    def __init__(
        self,
        total: int,
        stream: TextIO | None,
        *,
        every_s: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.total = total
        self.stream = stream
        self.tty = bool(stream is not None and stream.isatty())
        self.every_s = every_s
        self.counts: Counter[str] = Counter()
        self.skipped = 0
        self.ran = 0
        self._clock = clock
        self._t0 = clock()
        # when the last plain line was printed; None: never, so the first document prints one
        # at once (a monotonic clock may start near 0 on a fresh machine: no sentinel time)
        self._last: float | None = None
        self._printed = -1  # documents done at the last plain line

    def add(self, status: str, *, skipped: bool = False) -> None:
        self.counts[status] += 1
        if skipped:
            self.skipped += 1
        else:
            self.ran += 1
        self._draw(final=False)

    @property
    def done(self) -> int:
        return sum(self.counts.values())

    def line(self) -> str:
        done = self.done
        elapsed = max(self._clock() - self._t0, 1e-9)
        rate = self.ran / elapsed
        left = self.total - done
        eta = f" eta {left / rate:.0f}s" if rate > 0 and left else ""
        width = 24
        filled = int(width * done / self.total) if self.total else width
        return (
            f"[{'#' * filled}{'.' * (width - filled)}] {done}/{self.total} "
            f"ok {self.counts['ok']} partial {self.counts['partial']} "
            f"failed {self.counts['failed']} skipped {self.skipped} | {rate:.2f} docs/s{eta}"
        )

    def _draw(self, *, final: bool) -> None:
        if self.stream is None:
            return
        now = self._clock()
        if self.tty:
            self.stream.write("\r" + self.line() + ("\n" if final else ""))
            self.stream.flush()
        elif (
            (final and self._printed != self.done)
            or self._last is None
            or now - self._last >= self.every_s
        ):
            self._last = now
            self._printed = self.done
            self.stream.write(self.line() + "\n")
            self.stream.flush()

    def close(self) -> None:
        self._draw(final=True)


def format_failures(report: BatchReport, most: int | None = 10) -> str:
    """The failed, then partial, documents by name with their first error (``most`` of
    them; None: all), pointing at failures.csv for the rest."""
    shown = report.failures if most is None else report.failures[:most]
    lines = [
        f"  {f.status:<8}{f.name}: {', '.join(f.codes) or '-'}"
        + (f" ({f.message[:120]})" if f.message else "")
        for f in shown
    ]
    if len(shown) < len(report.failures):
        lines.append(f"  ... {len(report.failures) - len(shown)} more in failures.csv")
    return "\n".join(lines)


def format_summary(report: BatchReport) -> str:
    """The end-of-batch summary: statuses, failures by error category, tables, checks,
    tokens, time."""
    entries = report.entries
    status = Counter(e.status for e in entries)
    failed_by = Counter(
        e.error_codes[0] if e.error_codes else "?" for e in entries if e.status == "failed"
    )
    partial_by = Counter(c for e in entries if e.status == "partial" for c in set(e.error_codes))
    n = len(entries)
    lines = [
        f"documents {n}: ok {status['ok']}, partial {status['partial']}, "
        f"failed {status['failed']} ({report.processed} run now, {n - report.processed} "
        "done before)"
    ]
    if failed_by:
        lines.append(
            "  failed by category: "
            + ", ".join(
                f"{k} {v}" for k, v in sorted(failed_by.items(), key=lambda x: (-x[1], x[0]))
            )
        )
    if partial_by:
        lines.append(
            "  partial because of: "
            + ", ".join(
                f"{k} {v}" for k, v in sorted(partial_by.items(), key=lambda x: (-x[1], x[0]))
            )
        )
    lines.append(
        f"tables {sum(e.tables for e in entries)}; hard checks "
        f"{sum(e.hard_checks for e in entries)} ({sum(e.failed_checks for e in entries)} fail); "
        f"source inconsistencies {sum(e.source_inconsistencies for e in entries)}; "
        f"extraction errors {sum(e.extraction_errors for e in entries)}"
    )
    lines.append(
        f"LLM calls {sum(e.llm_calls for e in entries)}, tokens "
        f"{sum(e.prompt_tokens for e in entries)} prompt + "
        f"{sum(e.completion_tokens for e in entries)} completion"
    )
    rate = report.processed / report.seconds if report.seconds > 0 else 0.0
    lines.append(
        f"time {report.seconds:.1f} s ({rate:.2f} docs/s run now); worker peak RSS "
        f"{report.max_worker_rss_bytes / 2**20:.0f} MiB"
    )
    return "\n".join(lines)
