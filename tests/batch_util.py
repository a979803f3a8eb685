"""Inputs for the batch tests: a folder mixing good reports and bad ones."""

from __future__ import annotations

import shutil
from pathlib import Path

from extractor.batch.runner import FAILURES_NAME

from .conftest import SEED_FILES

# name in the folder -> (status, first error code or None) the batch must give it
MIXED_EXPECTED: dict[str, tuple[str, str | None]] = {
    "seeds/000": ("ok", None),
    "seeds/001": ("ok", None),
    "gen/gen0001": ("ok", None),
    "gen/gen0002": ("ok", None),
    "gen/sub/gen0001": ("ok", None),  # same file name as gen/gen0001.txt, another folder
    "pdf/gen0003": ("ok", None),
    "bad/corrupt": ("failed", "input.corrupt"),
    "bad/encrypted": ("failed", "input.encrypted"),
    "bad/empty": ("failed", "input.empty"),
    "bad/dup.txt": ("failed", "input.binary"),  # dup.txt and dup.pdf share a stem
    "bad/dup.pdf": ("failed", "input.empty"),
    "bad/prose": ("failed", "extract.no_tables"),
    "hooks/crash": ("failed", "batch.crashed"),
    "hooks/oom": ("failed", "batch.memory"),
    "hooks/raise": ("failed", "batch.exception"),
}


def generated_text(seed: int, kind: str | None = None) -> str:
    from extractor_evals.inject import make_case

    return make_case(seed, kind)[0]


def make_mixed(root: Path) -> Path:
    """The mixed folder of MIXED_EXPECTED under ``root/in``."""
    import pymupdf

    from extractor_evals.generate import generate_final_report
    from extractor_evals.render_pdf import STYLES, render_pdf

    src = root / "in"
    for d in ("seeds", "gen/sub", "pdf", "bad", "hooks"):
        (src / d).mkdir(parents=True, exist_ok=True)
    shutil.copy(SEED_FILES["000"], src / "seeds" / "000.txt")
    shutil.copy(SEED_FILES["001"], src / "seeds" / "001.txt")
    (src / "gen" / "gen0001.txt").write_text(generated_text(1), encoding="utf-8")
    (src / "gen" / "gen0002.txt").write_text(generated_text(2, "source.total"), encoding="utf-8")
    (src / "gen" / "sub" / "gen0001.txt").write_text(generated_text(1), encoding="utf-8")
    pdf = render_pdf(generate_final_report(3), STYLES["ruled_portrait"], seed=3)
    (src / "pdf" / "gen0003.pdf").write_bytes(pdf)
    (src / "bad" / "corrupt.pdf").write_bytes(b"%PDF-1.7\n%\xe2\xe3\n1 0 obj garbage")
    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), "secret")
    doc.save(src / "bad" / "encrypted.pdf", encryption=pymupdf.PDF_ENCRYPT_AES_256,
             user_pw="u", owner_pw="o")
    (src / "bad" / "empty.pdf").write_bytes(b"")
    (src / "bad" / "dup.txt").write_bytes(bytes(range(256)) * 40)
    (src / "bad" / "dup.pdf").write_bytes(b"")
    (src / "bad" / "prose.txt").write_text("第一部分 概况\n\n本部门负责医疗保障工作。\n")
    (src / "bad" / "notes.md").write_text("not a report extension: not picked up\n")
    (src / "hooks" / "crash.txt").write_bytes(b"#CRASH\n")
    (src / "hooks" / "oom.txt").write_bytes(b"#OOM\n")
    (src / "hooks" / "raise.txt").write_bytes(b"#RAISE\n")
    return src


def output_files(out: Path) -> dict[str, bytes]:
    """Every document's output file, by path: not the run-dependent ones (sidecars, ledger,
    lock) nor the batch's own failures.csv (it lists this run's inputs, with their paths)."""
    return {
        p.relative_to(out).as_posix(): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.is_file()
        and not p.name.endswith(".run.json")
        and not p.name.startswith(".")
        and p.relative_to(out).as_posix() != FAILURES_NAME
    }
