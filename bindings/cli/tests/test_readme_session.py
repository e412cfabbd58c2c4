"""The README's "Command-line tool" session, run as written: every command
and every line of its output must match."""

import os
import shlex
import subprocess

import pytest
from conftest import README, TIMEOUT, TOOL, destroy

README_PATH = "/tmp/cairn-example"


def session_block():
    lines = open(README, encoding="utf-8").read().splitlines()
    start = lines.index("<!-- cli-session -->")
    assert lines[start + 1] == "```console"
    end = lines.index("```", start + 2)
    return lines[start + 2:end]


@pytest.mark.skipif(not README, reason="CAIRN_README not set")
def test_readme_session(tmp_path):
    base = str(tmp_path / "cairn-example")
    expected = [l.replace(README_PATH, base) for l in session_block()]
    script = ["set -u"]
    for line in expected:
        if line.startswith("$ "):
            script.append("printf '%s\\n' " + shlex.quote(line))
            script.append("{ " + line[2:] + "; } 2>&1")
    env = dict(os.environ)
    env["PATH"] = os.path.dirname(os.path.abspath(TOOL)) + os.pathsep + env["PATH"]
    env.pop("CAIRN_DB", None)
    try:
        r = subprocess.run(["bash", "-c", "\n".join(script)], env=env,
                           stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=TIMEOUT)
    finally:
        destroy(base)
        destroy(base + "-copy")
    assert r.stderr == b""
    assert r.stdout.decode().splitlines() == expected
