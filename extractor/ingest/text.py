"""OCR'd or PDF-to-text reports: bytes -> decoded lines -> logical rows.

Handles UTF-8 (with or without BOM), UTF-16 with or without BOM and GBK/GB18030; refuses
binary data;
removes OCR/markdown artefacts (``**``, ``<p>``, ``[bookmark: …]``) without shifting line
numbers; and turns the one-cell-per-line layout (SPEC.md) into ordinary grid rows whose cells
keep their own line numbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from extractor.errors import Code
from extractor.model import ErrorInfo, SourceCell, SourceRow

_ARTEFACT = re.compile(r"\*\*|</?p>|</?br\s*/?>|</?td>|</?tr>")
_BOOKMARK = re.compile(r"^\s*\[bookmark:[^\]]*\]\s*$")
_BOOKMARK_LEAD = re.compile(r"^\s*\[bookmark:[^\]]*\]\s*")
_CELL_LINE = re.compile(r"^\t[^\t]*$")


@dataclass
class TextDocument:
    """Decoded text: its lines (1-based numbering kept) and its logical rows."""

    lines: list[str]
    encoding: str
    rows: list[SourceRow]
    errors: list[ErrorInfo] = field(default_factory=list)


def utf16_without_bom(data: bytes) -> str | None:
    """``utf-16-le`` or ``utf-16-be`` for UTF-16 text written without a byte-order mark,
    else None. Report text always holds ASCII (digits, TABs, line ends), whose high byte is
    NUL: such text has NULs on one byte parity and (almost) none on the other, which no
    UTF-8 or GB18030 text has. The sample must also decode and hold a line end."""
    sample = data[: 65536 & ~1]
    half = len(sample) // 2
    if half < 8:
        return None
    even = sample[0::2].count(0) / half
    odd = sample[1::2].count(0) / half
    if max(even, odd) < 0.1 or min(even, odd) > max(even, odd) / 8:
        return None
    enc = "utf-16-le" if odd > even else "utf-16-be"
    try:
        text = sample.decode(enc)
    except UnicodeDecodeError:
        text = sample[:-2].decode(enc, errors="replace")  # a cut surrogate pair at the end
        if text.count("\ufffd") > 1:
            return None
    return enc if "\n" in text or "\r" in text else None


def decode_bytes(data: bytes) -> tuple[str, str, list[ErrorInfo]]:
    """Decode report text. Returns (text, encoding, errors); errors say what was lossy."""
    errors: list[ErrorInfo] = []
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16", errors
        except UnicodeDecodeError:
            text = data.decode("utf-16", errors="replace")
            return text, "utf-16 (lossy)", [_lossy(text)]
    bomless = utf16_without_bom(data)
    if bomless is not None:
        try:
            return data.decode(bomless), bomless, errors
        except UnicodeDecodeError:
            text = data.decode(bomless, errors="replace")
            return text, f"{bomless} (lossy)", [_lossy(text)]
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if b"\x00" in data:  # a few stray NULs (looks_binary refuses many): not report text
        nuls = data.count(0)
        data = data.replace(b"\x00", b"")
        errors.append(
            ErrorInfo(code=Code.INPUT_ENCODING, message=f"{nuls} NUL bytes in the text removed")
        )
    for enc in ("utf-8", "gb18030"):
        try:
            return data.decode(enc), enc, errors
        except UnicodeDecodeError:
            continue
    text = data.decode("utf-8", errors="replace")
    return text, "utf-8 (lossy)", [*errors, _lossy(text)]


def _lossy(text: str) -> ErrorInfo:
    bad = text.count("\ufffd")
    return ErrorInfo(
        code=Code.INPUT_ENCODING,
        message=f"text does not decode cleanly (UTF-8, GB18030, UTF-16); {bad} bytes replaced",
    )


def looks_binary(data: bytes) -> bool:
    """True for data that is not text: more than one NUL byte in 500, or many control
    characters (a few stray NULs in a text are removed by ``decode_bytes``)."""
    sample = data[:65536]
    if not sample or sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False  # empty, or UTF-16 text (its NUL bytes are half its characters)
    if utf16_without_bom(sample) is not None:
        return False
    if sample.count(0) > len(sample) / 500:
        return True
    controls = sum(1 for b in sample if b < 9 or 13 < b < 32)
    return controls / len(sample) > 0.02


def clean_line(line: str) -> str:
    """Remove artefacts that are not report content; keep the line (numbering stays). A
    bookmark may stand alone or open the line of the title it marks."""
    if _BOOKMARK.match(line):
        return ""
    line = _BOOKMARK_LEAD.sub("", line.replace("\ufeff", "").rstrip("\r\n"))
    return _ARTEFACT.sub("", line)


def _row_from_tab_line(text: str, line_no: int) -> SourceRow:
    parts = text.split("\t")
    # very long runs of trailing empty cells (up to 1574 TABs were seen) carry nothing; a
    # normal row keeps its trailing empty cells (they tell a complete row from a short one)
    if len(parts) > 64:
        while len(parts) > 1 and not parts[-1].strip():
            parts.pop()
    cells = tuple(SourceCell(p.strip(), line=line_no) for p in parts)
    return SourceRow(cells=cells, tabbed=True, line=line_no)


def _cell_per_line_runs(lines: list[str]) -> list[tuple[int, int]]:
    """Index ranges [start, end) of one-cell-per-line runs: lines "\\tcell" grouped by blanks."""
    runs: list[tuple[int, int]] = []
    i, n = 0, len(lines)
    while i < n:
        if not _CELL_LINE.match(lines[i]):
            i += 1
            continue
        j, groups, cells_in_group, multi = i, 0, 0, 0
        while j < n and (_CELL_LINE.match(lines[j]) or lines[j].strip() == ""):
            if lines[j].strip() == "" and not lines[j].startswith("\t"):
                if cells_in_group:
                    groups += 1
                    multi += cells_in_group >= 2
                cells_in_group = 0
                # two truly empty lines in a row end the run
                if j + 1 < n and lines[j + 1].strip() == "" and not lines[j + 1].startswith("\t"):
                    break
            else:
                cells_in_group += 1
            j += 1
        if cells_in_group:
            multi += cells_in_group >= 2
        if multi >= 2:
            runs.append((i, j))
        i = max(j, i + 1)
    return runs


def rows_from_lines(lines: list[str]) -> list[SourceRow]:
    """Logical rows: plain lines, TAB rows, and cell-per-line groups joined into one row."""
    runs = _cell_per_line_runs(lines)
    rows: list[SourceRow] = []
    run_iter = iter(runs)
    next_run = next(run_iter, None)
    i = 0
    while i < len(lines):
        if next_run is not None and i == next_run[0]:
            start, end = next_run
            group: list[SourceCell] = []
            for k in range(start, end):
                if lines[k].startswith("\t"):
                    group.append(SourceCell(lines[k][1:].strip(), line=k + 1))
                elif group:
                    rows.append(SourceRow(tuple(group), tabbed=True, line=group[0].line))
                    group = []
            if group:
                rows.append(SourceRow(tuple(group), tabbed=True, line=group[0].line))
            i = end
            next_run = next(run_iter, None)
            continue
        text = lines[i]
        # a line of TABs only is a printed row of blank cells (an empty table's data row)
        if "\t" in text and (text.strip() or text.count("\t") >= 2):
            rows.append(_row_from_tab_line(text, i + 1))
        else:
            rows.append(
                SourceRow((SourceCell(text.strip(), line=i + 1),), tabbed=False, line=i + 1)
            )
        i += 1
    return rows


def read_text(data: bytes) -> TextDocument:
    """Decode and split a text report into rows. Raises nothing for bad data: see ``errors``."""
    text, encoding, errors = decode_bytes(data)
    lines = [clean_line(x) for x in text.split("\n")]
    if lines and lines[-1] == "":
        lines.pop()
    return TextDocument(lines=lines, encoding=encoding, rows=rows_from_lines(lines), errors=errors)
