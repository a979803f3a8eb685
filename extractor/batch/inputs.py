"""The documents of a batch: files, folders (recursive) and globs, each with a unique output name.

Naming scheme: a document's output name is its path relative to the argument it was found
through (a folder: the path inside it; a glob: the path below the glob's first wildcard-free
folder; a file: its name), without the suffix, with ``/`` kept, so ``batch reports/`` writes
``OUT/2023/财政局.json`` for ``reports/2023/财政局.pdf``. Two documents that would share a name
(``a.txt`` and ``a.pdf`` in one folder, or the same relative path under two arguments) keep
their suffix (``a.txt``, ``a.pdf``); if that still collides, the name gets ``-`` and 8 hex
digits of the hash of the absolute path. Names depend only on the inputs given, so re-running
the same command finds the same names.
"""

from __future__ import annotations

import glob
import hashlib
import os
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from extractor.errors import InputError

REPORT_SUFFIXES = frozenset({".txt", ".pdf", ".png", ".jpg", ".jpeg", ".tif", ".tiff"})


@dataclass(frozen=True, slots=True)
class InputFile:
    """One document of the batch and the name its outputs get under OUT/."""

    path: Path  # absolute
    name: str  # relative output name without suffix, '/'-separated


def _walk(folder: Path) -> list[Path]:
    out: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for f in sorted(filenames):
            if not f.startswith(".") and Path(f).suffix.lower() in REPORT_SUFFIXES:
                out.append(Path(dirpath) / f)
    return out


def _glob_base(pattern: str) -> Path:
    """The deepest folder of a glob pattern before its first wildcard."""
    parts = Path(pattern).parts
    base: list[str] = []
    for part in parts:
        if glob.has_magic(part):
            break
        base.append(part)
    return Path(*base) if base else Path(".")


def _found(arg: str) -> list[tuple[Path, Path]]:
    """(file, root) pairs one command-line argument stands for."""
    p = Path(arg)
    if glob.has_magic(arg) and not p.exists():
        root = _glob_base(arg)
        pairs: list[tuple[Path, Path]] = []
        for m in sorted(glob.glob(arg, recursive=True)):
            mp = Path(m)
            if mp.is_dir():
                pairs.extend((f, root) for f in _walk(mp))
            elif mp.is_file():
                pairs.append((mp, root))
        return pairs
    if p.is_dir():
        return [(f, p) for f in _walk(p)]
    if p.is_file():
        return [(p, p.parent)]
    raise InputError(f"no such file or folder: {arg}", code="input.not_found")


def discover(args: list[str]) -> list[InputFile]:
    """The batch's documents in a stable order, each once, with collision-free names.

    Raises InputError for an argument that names nothing (misuse, not a data problem).
    """
    seen: dict[Path, Path] = {}
    for arg in args:
        for f, root in _found(arg):
            seen.setdefault(f.resolve(), root.resolve())
    rel = {f: PurePosixPath(f.relative_to(root).as_posix()) for f, root in seen.items()}
    by_stem: dict[str, list[Path]] = defaultdict(list)
    for f, r in rel.items():
        by_stem[str(r.with_suffix(""))].append(f)
    names: dict[Path, str] = {}
    for stem, files in by_stem.items():
        for f in files:
            names[f] = stem if len(files) == 1 else str(rel[f])
    by_name: dict[str, list[Path]] = defaultdict(list)
    for f, n in names.items():
        by_name[n].append(f)
    for n, files in by_name.items():
        if len(files) > 1:
            for f in files:
                names[f] = f"{n}-{hashlib.sha256(str(f).encode()).hexdigest()[:8]}"
    return sorted((InputFile(f, names[f]) for f in seen), key=lambda i: i.name)
