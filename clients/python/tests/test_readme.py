"""Every `python` block of this package's README and of the root README's "Client SDKs" section runs as
pasted against the real server: its address in place of localhost:50051, TIMELY_API_KEY set, and run from
a folder laid out as the repository root (the development key at src/Timely.Server/data/dev-admin-key). A
block passes when it exits 0, or, when it keeps running (a stream it follows, a receiver it serves), once it
has written to stdout and nothing to stderr for a second."""

from __future__ import annotations

import base64
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from conftest import HERE, REPOSITORY


def code_blocks(markdown: str, language: str) -> list[str]:
    """The fenced blocks of `language` (indented ones too, as under a list item), without their indent."""
    blocks = []
    for match in re.finditer(r"^( *)```" + language + r"\n(.*?)^\1```", markdown, re.S | re.M):
        indent = len(match.group(1))
        blocks.append("\n".join(line[indent:] if line[:indent].strip() == "" else line for line in match.group(2).split("\n")))
    return blocks


def snippets() -> list[tuple[str, str]]:
    readme = (HERE.parent / "README.md").read_text()
    root = (REPOSITORY / "README.md").read_text()
    start = root.index("## Client SDKs")
    section = root[start:root.index("\n## ", start + 1)]
    return [(f"clients/python/README.md block {i + 1}", code) for i, code in enumerate(code_blocks(readme, "python"))] + [
        (f"README.md, Client SDKs, python block {i + 1}", code) for i, code in enumerate(code_blocks(section, "python"))
    ]


def test_the_readmes_have_python_blocks_to_run():
    assert len(snippets()) >= 3


@pytest.mark.parametrize("name,code", snippets(), ids=[name for name, _ in snippets()])
def test_a_readme_block_runs_as_pasted(server, name, code):
    with tempfile.TemporaryDirectory(prefix="timely-readme-") as folder:
        key = Path(folder, "src/Timely.Server/data/dev-admin-key")
        key.parent.mkdir(parents=True)
        key.write_text(server.api_key + "\n")
        script = Path(folder, "snippet.py")
        script.write_text(code.replace("localhost:50051", server.target))
        environment = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(str(HERE.parent / p) for p in ("src", "generated")),
            "PYTHONUNBUFFERED": "1",
            "TIMELY_API_KEY": server.api_key,
            "TIMELY_WEBHOOK_SECRET": "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode(),
            "PORT": "0",
        }
        with open(Path(folder, "out"), "w+") as out, open(Path(folder, "err"), "w+") as err:
            child = subprocess.Popen([sys.executable, str(script)], cwd=folder, env=environment, stdout=out, stderr=err)
            deadline = time.monotonic() + 60
            while child.poll() is None and Path(folder, "out").stat().st_size == 0 and time.monotonic() < deadline:
                time.sleep(0.1)
            try:
                child.wait(timeout=1)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
            out.seek(0)
            err.seek(0)
            stdout, stderr = out.read(), err.read()
        assert stderr == "", f"{name} wrote to stderr:\n{stderr}"
        assert child.returncode == 0 or (child.returncode < 0 and stdout), f"{name} ended with {child.returncode}, output:\n{stdout}"
