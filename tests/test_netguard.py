"""The tests reach no network by construction (tests/netguard): in this process, in every
Python process they start, and with no LLM key or endpoint of the environment."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fake_openai import fake_openai

ROOT = Path(__file__).resolve().parent.parent
TEST_NET = ("203.0.113.7", 80)  # TEST-NET-3: documentation addresses, never routed


def test_a_connection_beyond_this_machine_is_refused_here() -> None:
    with pytest.raises(OSError, match="network access refused in tests"):
        socket.create_connection(TEST_NET, timeout=30)
    raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    with raw, pytest.raises(ConnectionRefusedError, match="network access refused in tests"):
        raw.connect(TEST_NET)
    with pytest.raises(socket.gaierror, match="network access refused in tests"):
        socket.getaddrinfo("api.openai.com", 443)


def test_loopback_stays_open() -> None:
    with fake_openai() as server:
        host, port = server.base_url.split("//")[1].split("/")[0].split(":")
        socket.create_connection((host, int(port)), timeout=30).close()


def test_a_subprocess_is_refused_too() -> None:
    code = (
        "import socket\n"
        "try:\n"
        f"    socket.create_connection({TEST_NET!r}, timeout=30)\n"
        "except OSError as e:\n"
        "    print(e)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=600
    ).stdout
    assert "network access refused in tests" in out


def test_the_environment_holds_no_llm_setting() -> None:
    assert not [n for n in os.environ if n.startswith(("OPENAI_", "EXTRACTOR_LLM_"))]
    assert os.environ["EXTRACTOR_TEST_NETGUARD"] == "1"


def test_no_llm_setting_of_the_environment_reaches_a_test() -> None:
    """Under an environment that names a key and an endpoint, the test above still sees
    none of them."""
    env = {
        **os.environ,
        "OPENAI_API_KEY": "sk-real-looking",
        "EXTRACTOR_LLM_BASE_URL": "https://api.example.com/v1",
        "EXTRACTOR_LLM_MODEL": "gpt-x",
    }
    test = "tests/test_netguard.py::test_the_environment_holds_no_llm_setting"
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", test],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=600,
    )
    assert run.returncode == 0 and "1 passed" in run.stdout, run.stdout + run.stderr
