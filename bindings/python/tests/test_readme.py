"""The README's examples run as written (from the repository root's layout)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1]
REPO = PKG.parents[1]


def runnable_blocks() -> list[str]:
    text = (PKG / "README.md").read_text()
    return re.findall(r"<!-- test: run -->\n```python\n(.*?)```", text, re.S)


def test_the_readme_has_runnable_examples() -> None:
    assert len(runnable_blocks()) >= 2


@pytest.mark.parametrize("index", range(len(runnable_blocks())))
def test_readme_example(
    index: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The repository layout the example expects: build/guests/wordfreq.wasm
    # (what `make guests` builds) and examples/data.
    (tmp_path / "build" / "guests").mkdir(parents=True)
    subprocess.run(
        [
            os.environ.get("CLANG", "clang"),
            "--target=wasm32-wasi",
            "-O2",
            "-o",
            str(tmp_path / "build/guests/wordfreq.wasm"),
            str(REPO / "examples/guests/wordfreq.c"),
        ],
        check=True,
        timeout=600,
    )
    shutil.copytree(REPO / "examples" / "data", tmp_path / "examples" / "data")
    monkeypatch.chdir(tmp_path)
    exec(compile(runnable_blocks()[index], f"README.md example {index + 1}", "exec"), {})
    out = capsys.readouterr().out
    if index == 0:
        lines = out.splitlines()
        assert lines[0] == "0"
        assert lines[1] == "wrote the top 5 words to /out/top.txt"
        assert lines[2].startswith("-- ") and lines[2].endswith("(LANG=C)")
        assert lines[3].split() == ["word", "count"] and len(lines) == 4 + 5
