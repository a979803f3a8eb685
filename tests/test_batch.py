"""Batch runs: every document of a mixed folder gets a status, crashes/hangs/OOM are isolated,
the ledger skips done work, retries failures on request and reprocesses on a config change."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import pytest

from extractor.batch import BatchOptions, run_batch
from extractor.batch.inputs import discover
from extractor.batch.ledger import LEDGER_NAME
from extractor.cli import main
from extractor.config import ExtractConfig
from extractor.definitions import default_schema_dir

from .batch_hooks import HOOK_FN
from .batch_util import MIXED_EXPECTED, generated_text, make_mixed, output_files

# deadlines that only a hang can reach, however loaded the machine (the timeout path has a
# test of its own with documents that never finish); the OOM hook holds 2 GiB until killed
TIMEOUT_S = 600
MEMORY_MB = 700
LIMITS = ["--timeout", str(TIMEOUT_S), "--max-memory-mb", str(MEMORY_MB)]


@dataclass
class Run:
    src: Path
    out: Path
    code: int
    stdout: str


def _cli(argv: list[str]) -> tuple[int, str]:
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(io.StringIO()):
        code = main(argv)
    return code, buf.getvalue()


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> Run:
    root = tmp_path_factory.mktemp("mixed")
    src = make_mixed(root)
    out = root / "out"
    code, stdout = _cli(
        ["batch", str(src), "-o", str(out), "--workers", "2", "--document-fn", HOOK_FN, *LIMITS]
    )
    return Run(src, out, code, stdout)


def _result(out: Path, name: str) -> dict:  # type: ignore[type-arg]
    return json.loads((out / f"{name}.json").read_text(encoding="utf-8"))


def test_every_document_of_a_mixed_folder_gets_its_status(mixed: Run) -> None:
    got = {}
    for name in MIXED_EXPECTED:
        res = _result(mixed.out, name)
        got[name] = (res["status"], res["errors"][0]["code"] if res["errors"] else None)
    assert got == MIXED_EXPECTED
    # nothing else was picked up (notes.md), nothing lost
    names = {p.relative_to(mixed.out).as_posix().removesuffix(".json")
             for p in mixed.out.rglob("*.json") if not p.name.endswith(".run.json")}
    assert names == set(MIXED_EXPECTED)
    crash = _result(mixed.out, "hooks/crash")["errors"][0]["message"]
    assert "SIGSEGV" in crash
    # results of good documents are the same as a direct extraction
    import extractor
    from extractor.output import result_json

    direct = result_json(extractor.extract(mixed.src / "gen" / "gen0002.txt"))
    assert (mixed.out / "gen" / "gen0002.json").read_text(encoding="utf-8") == direct
    assert (mixed.out / "gen" / "gen0002.table01.csv").is_file()
    run = json.loads((mixed.out / "hooks" / "oom.run.json").read_text(encoding="utf-8"))
    assert run["peak_rss_bytes"] > 700 * 2**20


def test_summary_and_exit_code(mixed: Run) -> None:
    assert mixed.code == 1  # something failed
    s = mixed.stdout
    assert "documents 15: ok 6, partial 0, failed 9 (15 run now, 0 done before)" in s
    for cat in ("batch.crashed 1", "batch.memory 1", "batch.exception 1", "input.empty 2"):
        assert cat in s
    assert "LLM calls 0, tokens 0 prompt + 0 completion" in s
    assert "source inconsistencies" in s


def test_ledger_records_every_document(mixed: Run) -> None:
    db = sqlite3.connect(mixed.out / LEDGER_NAME)
    rows = dict(db.execute("SELECT name, status FROM documents").fetchall())
    db.close()
    assert rows == {k: v[0] for k, v in MIXED_EXPECTED.items()}


def test_rerun_skips_done_and_retry_failed_reruns_failures(mixed: Run, tmp_path: Path) -> None:
    out = tmp_path / "out"
    shutil.copytree(mixed.out, out)
    before = output_files(out)
    opts = BatchOptions(
        out=out, workers=2, timeout_s=TIMEOUT_S, max_memory_mb=MEMORY_MB, document_fn=HOOK_FN
    )
    report = run_batch([str(mixed.src)], ExtractConfig(), opts, progress=None)
    assert report.processed == 0 and report.failed == 9
    # failed documents run again on request; done ones still do not
    (mixed.src / "hooks").rename(tmp_path / "hooks_away")  # keep the retry fast
    try:
        retry = opts.model_copy(update={"retry_failed": True})
        report = run_batch([str(mixed.src)], ExtractConfig(), retry, progress=None)
    finally:
        (tmp_path / "hooks_away").rename(mixed.src / "hooks")
    assert report.processed == 6  # the failed documents of bad/
    assert output_files(out) == before
    db = sqlite3.connect(out / LEDGER_NAME)
    attempts = dict(db.execute("SELECT name, attempts FROM documents").fetchall())
    db.close()
    assert attempts["bad/corrupt"] == 2 and attempts["seeds/000"] == 1


def test_a_document_past_its_deadline_is_killed_and_the_batch_goes_on(tmp_path: Path) -> None:
    """The timeout path, independent of the machine's speed: every document here never
    finishes, so any deadline is passed; the one worker is killed and replaced each time."""
    src = tmp_path / "in"
    src.mkdir()
    for name in ("hang1", "hang2"):
        (src / f"{name}.txt").write_bytes(b"#HANG\n")
    opts = BatchOptions(out=tmp_path / "out", workers=1, timeout_s=0.5, document_fn=HOOK_FN)
    report = run_batch([str(src)], ExtractConfig(), opts, progress=None)
    assert [(e.name, e.status, e.error_codes) for e in report.entries] == [
        ("hang1", "failed", ["batch.timeout"]),
        ("hang2", "failed", ["batch.timeout"]),
    ]
    # hang2 ran at all: the killed worker was replaced
    assert "0.5 s deadline" in _result(opts.out, "hang2")["errors"][0]["message"]


def test_retry_failed_recovers_a_transient_crash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "flaky.txt").write_text("#FLAKY\n" + generated_text(4), encoding="utf-8")
    (src / "good.txt").write_text(generated_text(5), encoding="utf-8")
    out = tmp_path / "out"
    opts = BatchOptions(out=out, workers=1, document_fn=HOOK_FN)
    r1 = run_batch([str(src)], ExtractConfig(), opts, progress=None)
    assert [(e.name, e.status) for e in r1.entries] == [("flaky", "failed"), ("good", "ok")]
    assert r1.entries[0].error_codes == ["batch.crashed"]
    monkeypatch.setenv("BATCH_TEST_FLAKY_OK", "1")  # the spawned workers inherit it
    r2 = run_batch([str(src)], ExtractConfig(), opts, progress=None)
    assert r2.processed == 0 and r2.entries[0].status == "failed"  # not retried unasked
    retry = opts.model_copy(update={"retry_failed": True})
    r3 = run_batch([str(src)], ExtractConfig(), retry, progress=None)
    assert r3.processed == 1 and r3.entries[1].status == "ok"
    assert r3.entries[0].status != "failed" and _result(out, "flaky")["tables"]


def test_configuration_change_reprocesses(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    for i in (6, 7):
        (src / f"r{i}.txt").write_text(generated_text(i), encoding="utf-8")
    schemas = tmp_path / "schemas"
    shutil.copytree(default_schema_dir(), schemas)
    out = tmp_path / "out"
    opts = BatchOptions(out=out, workers=1)
    cfg = ExtractConfig(schema_dir=schemas)

    def run(c: ExtractConfig) -> int:
        return run_batch([str(src)], c, opts, progress=None).processed

    assert run(cfg) == 2
    assert run(cfg) == 0  # same content, same configuration: done
    assert run(cfg.model_copy(update={"family": "final"})) == 2  # a config field changed
    toml = next(schemas.glob("*.toml"))
    toml.write_text(toml.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert run(cfg) == 2  # a report definition file changed
    assert run(cfg) == 0
    (src / "r6.txt").write_text(generated_text(8), encoding="utf-8")
    assert run(cfg) == 1  # the document's content changed
    (out / "r7.json").unlink()
    assert run(cfg) == 1  # an output removed by hand is written again


def test_names_do_not_collide(tmp_path: Path) -> None:
    for rel in ("a/x.txt", "a/x.pdf", "a/sub/x.txt", "b/x.txt", "b/y.tif"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(b"")
    names = {f.path.relative_to(tmp_path).as_posix(): f.name
             for f in discover([str(tmp_path / "a"), str(tmp_path / "b")])}
    assert names["a/x.pdf"] == "x.pdf" and names["a/sub/x.txt"] == "sub/x"
    assert names["b/y.tif"] == "y"
    # a/x.txt and b/x.txt would both be "x.txt": both get a hash of their path
    assert names["a/x.txt"].startswith("x.txt-") and names["b/x.txt"].startswith("x.txt-")
    assert names["a/x.txt"] != names["b/x.txt"]
    assert len(set(names.values())) == len(names)
    globbed = {f.name for f in discover([str(tmp_path / "*" / "*.tif")])}
    assert globbed == {"b/y"}


def test_missing_input_is_an_error(tmp_path: Path) -> None:
    code, _ = _cli(["batch", str(tmp_path / "nope"), "-o", str(tmp_path / "out")])
    assert code == 2


def test_a_second_batch_on_the_same_output_is_refused(tmp_path: Path) -> None:
    from extractor.batch.runner import BatchBusyError, _lock

    (tmp_path / "in.txt").write_text(generated_text(9), encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    held = _lock(out)
    try:
        with pytest.raises(BatchBusyError):
            run_batch([str(tmp_path / "in.txt")], ExtractConfig(),
                      BatchOptions(out=out), progress=None)
    finally:
        held.close()


def test_ray_engine_runs_the_mixed_folder_the_same(mixed: Run, tmp_path: Path) -> None:
    """One local Ray instance (starting one is the slow part) for two things: the mixed folder
    gives the process engine's outputs byte for byte, and an actor lost midway (a node lost)
    costs only the document it ran."""
    pytest.importorskip("ray")
    lost = tmp_path / "lost"
    lost.mkdir()
    (lost / "a_lost.txt").write_bytes(b"#KILL_RAY_ACTOR\n")
    for i in range(3):
        (lost / f"b{i}.txt").write_text(generated_text(300 + i), encoding="utf-8")
    out = tmp_path / "ray"
    opts = BatchOptions(
        out=out, workers=2, engine="ray", timeout_s=TIMEOUT_S, max_memory_mb=MEMORY_MB,
        document_fn=HOOK_FN,
    )
    # no address: the engine starts a local instance (num_cpus = workers) and shuts it down
    report = run_batch([str(mixed.src), str(lost)], ExtractConfig(), opts, progress=None)
    got = {e.name: (e.status, e.error_codes[0] if e.error_codes else None)
           for e in report.entries}
    assert got.pop("a_lost") == ("failed", "batch.crashed")
    assert "Ray actor" in _result(out, "a_lost")["errors"][0]["message"]
    # the documents queued behind it on the lost actor ran on its replacement
    extra = {"a_lost", *(f"b{i}" for i in range(3))}
    assert {k: got.pop(k) for k in extra - {"a_lost"}} == {
        f"b{i}": ("ok", None) for i in range(3)
    }
    assert got == MIXED_EXPECTED
    ray_files = {k: v for k, v in output_files(out).items() if k.split(".")[0] not in extra}
    assert ray_files == output_files(mixed.out)  # same outputs, byte for byte
    import ray

    assert not ray.is_initialized()
    # the same ledger: a re-run on the process engine skips everything
    again = run_batch([str(mixed.src), str(lost)], ExtractConfig(),
                      opts.model_copy(update={"engine": "process"}), progress=None)
    assert again.processed == 0
