"""The evaluation is its own distribution (packages/extractor-evals): the core never imports
it, `extractor eval` reaches it through an entry point, and says what to install without it."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

import extractor.cli
from extractor.cli import main

# what is imported after `import extractor` and `extractor --help`, run in a fresh interpreter
_PROBE = """
import contextlib, io, sys
import extractor
import extractor.cli
with contextlib.redirect_stdout(io.StringIO()) as out:
    try:
        extractor.cli.main(["--help"])
    except SystemExit:
        pass
assert "eval" in out.getvalue(), out.getvalue()
print(sorted(m for m in sys.modules if m.split(".")[0] == "extractor_evals"))
"""


def test_core_and_help_do_not_import_the_evals() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]", done.stdout + done.stderr


def test_eval_runs_through_the_entry_point(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["eval", "--help"])
    assert stop.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: extractor eval") and "--compare" in out
    assert "extractor_evals.cli" in sys.modules


def test_eval_without_the_evals_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # the installed metadata as it is without extractor-evals: no extractor.cli.commands entry
    def no_commands(**select: Any) -> list[Any]:
        assert select["group"] == extractor.cli.COMMAND_GROUP
        return []

    monkeypatch.setattr(extractor.cli, "entry_points", no_commands)
    assert main(["eval", "evals/datasets/seeds"]) == 2
    err = capsys.readouterr().err
    assert "needs extractor-evals, which is not installed" in err
    assert "pip install extractor-evals" in err and "packages/extractor-evals" in err
