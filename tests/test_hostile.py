"""Hostile inputs and faults (issue 14): the batch never dies, every file gets a result.

One batch runs over a folder holding one hostile entry per row of the issue's table (long and
undecodable names, a FIFO, symlink loops, dangling and outside links, a huge PNG, a PDF whose
page tree lies, UTF-16 without BOM...); each test reads what became of its entry. The faults
of the output folder (disk full, read-only) are injected through the batch's ``write_file``
hook, the driver's stop through a real SIGTERM to a real ``extractor batch`` process.
"""

from __future__ import annotations

import contextlib
import errno
import io
import json
import os
import signal
import sqlite3
import struct
import subprocess
import sys
import zlib
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest

import extractor
from extractor.batch import BatchOptions, run_batch
from extractor.batch.ledger import LEDGER_NAME
from extractor.batch.runner import BatchOutputError, _sha256
from extractor.batch.types import BatchReport
from extractor.cli import main
from extractor.config import ExtractConfig, llm_options_from_env
from extractor.output import NAME_MAX, atomic_write

from .batch_hooks import HOOK_FN
from .batch_util import generated_text, output_files
from .conftest import SEED_FILES

LONG = "a" * 240  # + ".txt": a legal 244-byte name
LONGEST = "b" * 251  # + ".txt": 255 bytes, the file-name limit itself
BAD_NAME = os.fsdecode(b"bad\xff\xfename.txt")


def png(width: int, height: int, idat: bytes | None = None) -> bytes:
    """A grayscale PNG; ``idat`` replaces the pixel data (a header that lies about it)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    if idat is None:  # white with a black 8-pixel checkerboard band: not a blank page
        band = bytes(0 if (x // 8) % 2 else 255 for x in range(width))
        rows = [b"\x00" + (band if y % 16 < 8 else b"\xff" * width) for y in range(height)]
        idat = zlib.compress(b"".join(rows))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


LYING_PDF = b"""%PDF-1.4
1 0 obj <</Type/Catalog/Pages 2 0 R>> endobj
2 0 obj <</Type/Pages/Kids[3 0 R]/Count 2147483647>> endobj
3 0 obj <</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>> endobj
trailer <</Root 1 0 R>>
%%EOF
"""


@dataclass
class Run:
    src: Path
    out: Path
    report: BatchReport


def _hostile_folder(root: Path) -> Path:
    src = root / "in"
    src.mkdir()
    seed = SEED_FILES["000"].read_bytes()
    (src / f"{LONG}.txt").write_bytes(seed)
    (src / f"{LONGEST}.txt").write_bytes(seed)
    with open(os.fsencode(src / BAD_NAME), "wb") as fh:  # a name made of bytes
        fh.write(seed)
    os.mkfifo(src / "fifo.txt")
    (src / "loop.txt").symlink_to("loop.txt")
    (src / "dangling.pdf").symlink_to(root / "nowhere.pdf")
    (src / "zero.txt").symlink_to("/dev/zero")
    elsewhere = root / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "x.txt").write_bytes(SEED_FILES["001"].read_bytes())
    (src / "outside.txt").symlink_to(elsewhere / "x.txt")
    (src / "wide.png").write_bytes(png(30000, 30))
    (src / "lying.pdf").write_bytes(LYING_PDF)
    (src / "utf16.txt").write_bytes(seed.decode("utf-8").encode("utf-16-le"))
    # 10000 x 9000: past PIL's bomb warning and the pixel limit; its data is 10 bytes
    (src / "bomb.png").write_bytes(png(10000, 9000, idat=zlib.compress(b"\x00" * 10)))
    return src


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Run:
    root = tmp_path_factory.mktemp("hostile")
    src = _hostile_folder(root)
    out = root / "out"
    report = run_batch([str(src)], ExtractConfig(), BatchOptions(out=out, workers=2),
                       progress=None)
    return Run(src, out, report)


def _entry(run: Run, name: str) -> tuple[str, list[str]]:
    e = next(e for e in run.report.entries if e.name == name)
    return e.status, e.error_codes


def _result(run: Run, name: str) -> dict:  # type: ignore[type-arg]
    return json.loads((run.out / f"{name}.json").read_text(encoding="utf-8"))


def _skipped(run: Run) -> dict[str, str]:
    return {Path(s.path).name: s.code for s in run.report.skipped}


def _ledger_names(out: Path) -> set[str]:
    db = sqlite3.connect(out / LEDGER_NAME)
    try:
        return {r[0] for r in db.execute("SELECT name FROM documents")}
    finally:
        db.close()


# ---------------------------------------------------------------- row 1: long file names


def test_row1_long_names_get_their_results_and_every_output_name_fits(hostile: Run) -> None:
    assert _entry(hostile, LONG) == ("ok", [])
    assert _result(hostile, LONG)["document"]["source"] == f"{LONG}.txt"
    # a 255-byte input name: its outputs are named by a hash-shortened stem
    short = next(e.name for e in hostile.report.entries if e.name.startswith("bbbb"))
    assert short != LONGEST and "~" in short and _entry(hostile, short)[0] == "ok"
    assert len(short.encode()) + len(".table16.csv") <= NAME_MAX
    names = [p.name for p in hostile.out.rglob("*")]
    assert max(len(n.encode()) for n in names) <= NAME_MAX
    assert sum(1 for n in names if n.startswith(LONG) and n.endswith(".csv")) == 16 + 1  # index


def test_row1_a_temporary_name_stays_within_the_limit(tmp_path: Path) -> None:
    target = tmp_path / ("c" * (NAME_MAX - 5) + ".json")  # exactly 255 bytes
    atomic_write(target, "{}\n")
    assert target.read_text() == "{}\n"
    assert [p.name for p in tmp_path.iterdir()] == [target.name]  # no temporary left


# ---------------------------------------------------------------- rows 2-4: special entries


def test_row2_a_fifo_is_skipped_with_its_reason_and_never_read(hostile: Run) -> None:
    assert _skipped(hostile)["fifo.txt"] == "input.special"
    reason = next(s.reason for s in hostile.report.skipped if s.path.endswith("fifo.txt"))
    assert "FIFO" in reason


def test_row2_a_fifo_in_place_of_a_file_does_not_block_the_driver_or_a_worker(
    tmp_path: Path,
) -> None:
    fifo = tmp_path / "late.txt"
    os.mkfifo(fifo)  # no writer: a blocking open or read would never return
    with pytest.raises(OSError, match="not a regular file"):
        _sha256(fifo, 1 << 20)
    r = extractor.extract(fifo)
    assert r.status == "failed" and r.errors[0].code == "input.special"


def test_row3_row4_symlink_loops_dangling_links_and_devices_are_reported(hostile: Run) -> None:
    skipped = _skipped(hostile)
    assert skipped["loop.txt"] == "input.symlink_loop"
    assert skipped["dangling.pdf"] == "input.dangling_link"
    assert skipped["zero.txt"] == "input.special"  # a link to /dev/zero is no document


def test_row4_a_link_to_a_file_outside_the_folder_is_followed(hostile: Run) -> None:
    assert _entry(hostile, "outside") == ("ok", [])
    ref = extractor.extract(SEED_FILES["001"])
    assert len(_result(hostile, "outside")["tables"]) == len(ref.tables)


def test_a_special_file_named_on_the_command_line_is_skipped_not_misuse(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "f.txt")
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        code = main(["batch", str(tmp_path / "f.txt"), "-o", str(tmp_path / "out")])
    # no report at all: the batch says so (exit 2), and why the entry was passed over
    assert code == 2 and "no reports found" in err.getvalue()
    assert "input.special" in err.getvalue() and "f.txt" in err.getvalue()


# ---------------------------------------------------------------- row 5: undecodable names


def test_row5_an_undecodable_file_name_gets_a_result_and_a_ledger_row(hostile: Run) -> None:
    name = next(e.name for e in hostile.report.entries if e.name.startswith("bad"))
    assert name.startswith("bad\ufffd\ufffdname-")  # valid text, unique by the bytes' hash
    assert _entry(hostile, name) == ("ok", [])
    assert _result(hostile, name)["document"]["source"] == "bad\ufffd\ufffdname.txt"
    assert name in _ledger_names(hostile.out)


def test_every_document_of_the_hostile_folder_has_a_result_and_a_ledger_row(
    hostile: Run,
) -> None:
    names = {e.name for e in hostile.report.entries}
    assert len(names) == 8 and len(hostile.report.skipped) == 4
    assert names == _ledger_names(hostile.out)
    for n in names:
        assert (hostile.out / f"{n}.json").is_file()


# ---------------------------------------------------------------- rows 9-11, 13: decoding


def test_row9_an_image_the_ocr_cannot_resize_is_a_page_error(hostile: Run) -> None:
    status, codes = _entry(hostile, "wide")
    assert status == "failed" and codes[0] == "ocr.failed"
    assert _result(hostile, "wide")["errors"][0]["page"] == 1


def test_row10_a_pdf_whose_page_tree_lies_is_corrupt(hostile: Run) -> None:
    assert _entry(hostile, "lying") == ("failed", ["input.corrupt"])


def test_row11_utf16_without_bom_is_read(hostile: Run) -> None:
    assert _entry(hostile, "utf16") == ("ok", [])
    assert _result(hostile, "utf16")["document"]["encoding"] == "utf-16-le"
    ref = extractor.extract(SEED_FILES["000"])
    assert len(_result(hostile, "utf16")["tables"]) == len(ref.tables)


def test_row11_utf16_big_endian_without_bom_and_gbk_are_told_apart(tmp_path: Path) -> None:
    text = SEED_FILES["001"].read_text(encoding="utf-8")
    for enc, expected in (("utf-16-be", "utf-16-be"), ("gb18030", "gb18030")):
        p = tmp_path / f"{enc}.txt"
        p.write_bytes(text.encode(enc))
        r = extractor.extract(p)
        assert r.status == "ok" and r.document.encoding == expected


def test_a_few_stray_nuls_in_a_report_are_removed_and_reported(tmp_path: Path) -> None:
    data = SEED_FILES["000"].read_bytes()
    i = data.index("收入决算表".encode())
    p = tmp_path / "nul.txt"
    p.write_bytes(data[:i] + b"\x00\x00" + data[i:])
    r = extractor.extract(p)
    assert r.status == "partial" and [e.code for e in r.errors] == ["input.encoding"]
    assert "2 NUL bytes" in r.errors[0].message
    assert len(r.tables) == len(extractor.extract(SEED_FILES["000"]).tables)


def test_row13_image_size_is_refused_from_the_header_and_warnings_are_captured(
    hostile: Run,
) -> None:
    res = _result(hostile, "bomb")
    # refused before decoding: its pixel data (10 bytes for 90 M pixels) was never read,
    # which would have made it input.corrupt
    assert [e["code"] for e in res["errors"]] == ["input.too_large"]
    warnings = [f["message"] for f in res["findings"] if f["kind"] == "warning"]
    assert any(w.startswith("DecompressionBombWarning") for w in warnings)


def test_row13_nothing_of_the_libraries_reaches_stderr(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "blank.png").write_bytes(png(200, 200))
    (tmp_path / "bomb.png").write_bytes(png(10000, 9000, idat=zlib.compress(b"\x00" * 10)))
    code = main(["extract", str(tmp_path / "blank.png"), str(tmp_path / "bomb.png"),
                 "-o", str(tmp_path / "out")])
    out, err = capfd.readouterr()
    assert code == 1 and "blank.png: failed" in out and "bomb.png: failed" in out
    assert err == ""  # no rapidocr WARNING for the blank page, no PIL warning


# ---------------------------------------------------------------- row 6: LLM key


def test_row6_a_batch_with_an_llm_key_starts_and_a_dead_endpoint_is_a_document_error(
    tmp_path: Path,
) -> None:
    from .test_llm import hard_case

    src = tmp_path / "in"
    src.mkdir()
    (src / "hard.txt").write_text(hard_case(3)[0], encoding="utf-8")
    env = {
        "EXTRACTOR_LLM_API_KEY": "sk-hostile-secret",
        "EXTRACTOR_LLM_MODEL": "x",
        "EXTRACTOR_LLM_BASE_URL": "http://127.0.0.1:9/v1",  # nothing listens on port 9
    }
    llm = llm_options_from_env(env).model_copy(update={"transport_retries": 0})
    out = tmp_path / "out"
    report = run_batch([str(src)], ExtractConfig(llm=llm), BatchOptions(out=out, workers=1),
                       progress=None)
    status, codes = _entry(Run(src, out, report), "hard")
    assert status == "partial" and "llm.transport" in codes
    for p in out.rglob("*"):  # the key is in no output, sidecar or ledger
        if p.is_file():
            assert b"sk-hostile-secret" not in p.read_bytes()


# ---------------------------------------------------------------- rows 7-8: output faults


def _reports(root: Path, n: int) -> Path:
    src = root / "in"
    src.mkdir()
    for i in range(n):
        (src / f"r{i}.txt").write_text(generated_text(200 + i), encoding="utf-8")
    return src


class Quota:
    """A disk that holds ``limit`` bytes: writes past it fail with ENOSPC (or another
    errno), after the files before them were written for real."""

    def __init__(self, limit: int, err: int = errno.ENOSPC) -> None:
        self.left, self.err, self.failed = limit, err, 0

    def __call__(self, path: Path, text: str | bytes) -> None:
        size = len(text.encode("utf-8") if isinstance(text, str) else text)
        if size > self.left:
            self.failed += 1
            raise OSError(self.err, os.strerror(self.err), str(path))
        self.left -= size
        atomic_write(path, text)


@pytest.mark.parametrize("err", [errno.ENOSPC, errno.EROFS])
def test_rows7_8_a_full_or_read_only_output_stops_the_batch_and_resume_loses_nothing(
    tmp_path: Path, err: int
) -> None:
    src = _reports(tmp_path, 6)
    clean = tmp_path / "clean"
    run_batch([str(src)], ExtractConfig(), BatchOptions(out=clean, workers=1), progress=None)
    # room for about two and a half documents' files: the third fails midway
    per_doc = sum(p.stat().st_size for p in clean.glob("r0.*") if ".run." not in p.name)
    quota = Quota(int(per_doc * 2.5), err)
    out = tmp_path / "out"
    with pytest.raises(BatchOutputError, match=os.strerror(err)):
        run_batch([str(src)], ExtractConfig(), BatchOptions(out=out, workers=1), progress=None,
                  write_file=quota)
    assert quota.failed == 1
    done = _ledger_names(out)
    assert 1 <= len(done) < 6
    # the ledger holds only whole results, and nothing of the failed document is left
    stems = {p.name.split(".")[0] for p in out.iterdir() if not p.name.startswith(".")}
    assert stems == done
    for n in done:
        assert (out / f"{n}.json").is_file()
    assert not list(out.rglob("*.tmp"))

    report = run_batch([str(src)], ExtractConfig(), BatchOptions(out=out, workers=1),
                       progress=None)
    assert report.processed == 6 - len(done)
    assert output_files(out) == output_files(clean)


def test_rows7_8_an_unwritable_output_folder_is_one_line_and_exit_code_2(tmp_path: Path) -> None:
    src = _reports(tmp_path, 1)
    blocker = tmp_path / "file"
    blocker.write_text("a file where the output folder's parent should be\n")
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        code = main(["batch", str(src), "-o", str(blocker / "out")])
    assert code == 2
    lines = err.getvalue().strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("batch: error batch.output: cannot write")
    assert "Traceback" not in err.getvalue()


# ---------------------------------------------------------------- row 12: stopping


def _wait_for_worker(proc: subprocess.Popen[bytes], mark: Path) -> psutil.Process:
    """The worker process of a running batch once it is inside its (hanging) document: the
    hook leaves ``mark``. Polled a bounded, generous number of times: no deadline on the
    machine's speed."""
    for _ in range(12000):
        assert proc.poll() is None, "the batch ended before it could be stopped"
        kids = psutil.Process(proc.pid).children(recursive=True)
        if kids and mark.exists():
            return kids[0]
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(0.05)
    raise AssertionError("the worker never started its document")


def _hanging_batch(tmp_path: Path, output: int) -> tuple[subprocess.Popen[bytes], psutil.Process]:
    """`extractor batch` in a subprocess on one document that never finishes, and its worker
    once it is inside that document."""
    src = tmp_path / "in"
    src.mkdir()
    (src / "hang.txt").write_bytes(b"#HANG\n")
    proc = subprocess.Popen(
        [sys.executable, "-m", "extractor.cli", "batch", str(src), "-o", str(tmp_path / "out"),
         "--workers", "1", "--timeout", "0", "--document-fn", HOOK_FN],
        stdout=output,
        stderr=output,
    )
    return proc, _wait_for_worker(proc, src / "hang.txt.hanging")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_row12_stopping_the_driver_stops_its_workers_and_prints_the_resume_hint(
    tmp_path: Path, sig: signal.Signals
) -> None:
    proc, worker = _hanging_batch(tmp_path, subprocess.PIPE)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == (143 if sig == signal.SIGTERM else 130)
    assert b"run the same command again to resume" in err
    assert b"Traceback" not in err
    _, alive = psutil.wait_procs([worker], timeout=60)
    assert not alive


def test_row12_a_worker_whose_driver_is_killed_exits_mid_document(tmp_path: Path) -> None:
    proc, worker = _hanging_batch(tmp_path, subprocess.DEVNULL)
    proc.kill()
    proc.wait()
    _, alive = psutil.wait_procs([worker], timeout=60)
    assert not alive  # it did not wait for its hour-long document to end


def test_reading_an_input_is_under_the_documents_deadline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An input whose read never returns (a stalled network file system, here a reader that
    blocks until the test ends) gets batch.timeout and the batch goes on: every document in
    this batch stalls, so the deadline holds however fast the machine is."""
    import threading

    from extractor.batch import runner

    release = threading.Event()

    def stalled(path: Path, limit: int) -> str:
        release.wait(600)
        raise OSError("released")

    monkeypatch.setattr(runner, "_sha256", stalled)
    src = tmp_path / "in"
    src.mkdir()
    for name in ("stall1.txt", "stall2.txt"):
        (src / name).write_text(generated_text(5), encoding="utf-8")
    try:
        report = run_batch([str(src)], ExtractConfig(),
                           BatchOptions(out=tmp_path / "out", workers=1, timeout_s=0.5),
                           progress=None)
    finally:
        release.set()
    assert [(e.name, e.status, e.error_codes) for e in report.entries] == [
        ("stall1", "failed", ["batch.timeout"]), ("stall2", "failed", ["batch.timeout"])
    ]
    result = json.loads((tmp_path / "out" / "stall1.json").read_text(encoding="utf-8"))
    assert "reading the input did not end within the 0.5 s deadline" in (
        result["errors"][0]["message"]
    )
