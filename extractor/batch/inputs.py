"""The documents of a batch: files, folders (recursive) and globs, each with a unique output name.

Naming scheme: a document's output name is its path relative to the argument it was found
through (a folder: the path inside it; a glob: the path below the glob's first wildcard-free
folder; a file: its name), without the suffix, with ``/`` kept, so ``batch reports/`` writes
``OUT/2023/财政局.json`` for ``reports/2023/财政局.pdf``. Two documents that would share a name
(``a.txt`` and ``a.pdf`` in one folder, or the same relative path under two arguments) keep
their suffix (``a.txt``, ``a.pdf``); if that still collides, the name gets ``-`` and 8 hex
digits of the hash of the absolute path. Names depend only on the inputs given, so re-running
the same command finds the same names. A name that is not valid text (file-name bytes that do
not decode) gets its undecodable bytes replaced and ``-`` plus 8 hex digits of its bytes' hash;
a last component too long to take the output suffixes is hash-shortened (``output.fit_name``).

Discovery never raises for what it finds: symlinks are followed to regular files wherever they
point (outside the folder too); a symlink loop, a dangling link, a FIFO, a device or a socket
is a ``Skipped`` entry with a stable code and the reason, listed in the batch summary. Only an
argument that names nothing at all is misuse (``input.not_found``).
"""

from __future__ import annotations

import errno
import glob
import hashlib
import os
import stat
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from extractor.errors import Code, InputError
from extractor.model import printable
from extractor.output import NAME_MAX, fit_name

REPORT_SUFFIXES = frozenset({".txt", ".pdf", ".png", ".jpg", ".jpeg", ".tif", ".tiff"})

# room left in the last name component for the longest suffix a document's files get
# (".table1000.csv", ".run.json")
_SUFFIX_ROOM = 15


@dataclass(frozen=True, slots=True)
class InputFile:
    """One document of the batch and the name its outputs get under OUT/."""

    path: Path  # absolute, symlinks resolved
    name: str  # relative output name without suffix, '/'-separated


@dataclass(frozen=True, slots=True)
class Skipped:
    """An entry of the inputs that is no document: why, with a stable code."""

    path: str  # as found, printable
    code: Code  # input.special | input.symlink_loop | input.dangling_link | input.unreadable
    reason: str


@dataclass
class Discovery:
    """What the inputs hold: the documents, and the entries skipped."""

    files: list[InputFile] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


_KINDS = {
    stat.S_IFIFO: "a FIFO",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
    stat.S_IFDIR: "a folder",
}


def _not_regular(p: Path) -> Skipped | None:
    """None for a regular file (through any symlinks), else why it is skipped."""
    try:
        st = os.stat(p)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return Skipped(printable(str(p)), Code.INPUT_SYMLINK_LOOP, "a symlink loop")
        if exc.errno == errno.ENOENT and os.path.islink(p):
            target = printable(os.readlink(p))
            why = f"a symlink to {target}, which does not exist"
            return Skipped(printable(str(p)), Code.INPUT_DANGLING_LINK, why)
        return Skipped(printable(str(p)), Code.INPUT_UNREADABLE, f"cannot stat: {exc.strerror}")
    if stat.S_ISREG(st.st_mode):
        return None
    kind = _KINDS.get(stat.S_IFMT(st.st_mode), "not a regular file")
    return Skipped(printable(str(p)), Code.INPUT_SPECIAL, f"{kind}, not a regular file")


def _walk(folder: Path, found: Discovery) -> list[Path]:
    out: list[Path] = []

    def unreadable(exc: OSError) -> None:
        where = printable(str(exc.filename or folder))
        found.skipped.append(Skipped(where, Code.INPUT_UNREADABLE, f"cannot list: {exc.strerror}"))

    for dirpath, dirnames, filenames in os.walk(folder, onerror=unreadable):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for f in sorted(filenames):
            if not f.startswith(".") and Path(f).suffix.lower() in REPORT_SUFFIXES:
                p = Path(dirpath) / f
                why = _not_regular(p)
                if why is None:
                    out.append(p)
                else:
                    found.skipped.append(why)
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


def _found(arg: str, found: Discovery) -> list[tuple[Path, Path]]:
    """(file, root) pairs one command-line argument stands for, both absolute and
    unresolved (the name comes from the path as found, the target may be anywhere)."""
    p = Path(os.path.abspath(arg))
    if glob.has_magic(arg) and not os.path.lexists(arg):
        root = Path(os.path.abspath(_glob_base(arg)))
        pairs: list[tuple[Path, Path]] = []
        for m in sorted(glob.glob(arg, recursive=True)):
            mp = Path(os.path.abspath(m))
            if mp.is_dir():
                pairs.extend((f, root) for f in _walk(mp, found))
            elif (why := _not_regular(mp)) is None:
                pairs.append((mp, root))
            else:
                found.skipped.append(why)
        return pairs
    if p.is_dir():
        return [(f, p) for f in _walk(p, found)]
    if not os.path.lexists(p):
        raise InputError(f"no such file or folder: {arg}", code=Code.INPUT_NOT_FOUND)
    why = _not_regular(p)
    if why is not None:
        found.skipped.append(why)
        return []
    return [(p, p.parent)]


def _clean(name: str) -> str:
    """An output name that is valid text and whose last component fits the name limit."""
    if printable(name) != name:
        digest = hashlib.sha256(name.encode("utf-8", "surrogateescape")).hexdigest()[:8]
        name = f"{printable(name)}-{digest}"
    head, _, last = name.rpartition("/")
    last = fit_name(last, NAME_MAX - _SUFFIX_ROOM)
    return f"{head}/{last}" if head else last


def discover_all(args: list[str]) -> Discovery:
    """The batch's documents in a stable order, each once, with collision-free names, and
    the entries skipped. Raises InputError only for an argument that names nothing."""
    found = Discovery()
    seen: dict[Path, PurePosixPath] = {}  # target -> path relative to its argument
    for arg in args:
        for f, root in _found(arg, found):
            rel = PurePosixPath(f.relative_to(root).as_posix())
            seen.setdefault(Path(os.path.realpath(f)), rel)
    by_stem: dict[str, list[Path]] = defaultdict(list)
    for f, r in seen.items():
        by_stem[str(r.with_suffix(""))].append(f)
    names: dict[Path, str] = {}
    for stem, files in by_stem.items():
        for f in files:
            names[f] = stem if len(files) == 1 else str(seen[f])
    by_name: dict[str, list[Path]] = defaultdict(list)
    for f, n in names.items():
        by_name[n].append(f)
    for n, files in by_name.items():
        if len(files) > 1:
            for f in files:
                digest = hashlib.sha256(str(f).encode("utf-8", "surrogateescape")).hexdigest()
                names[f] = f"{n}-{digest[:8]}"
    found.files = sorted((InputFile(f, _clean(names[f])) for f in seen), key=lambda i: i.name)
    return found


def discover(args: list[str]) -> list[InputFile]:
    """The batch's documents (``discover_all`` without the skipped entries)."""
    return discover_all(args).files
