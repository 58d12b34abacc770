"""The README's worked example prints what the command prints today (real FastChat files, offline)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from builders import MTBENCH, REPO
from clirun import judgebench

ROOT = REPO
STEFANSTUD = MTBENCH / "third_party" / "Stefanstud_FastChat"


def readme_block(after: str) -> list[str]:
    """The lines of the README's code block that follow the line ``after`` (up to the block's end)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index(after + "\n") + len(after) + 1
    return text[start : text.index("```", start)].splitlines()


def test_readme_report_sample_is_what_report_prints(tmp_path: Path) -> None:
    if not STEFANSTUD.is_dir():
        pytest.skip("../shared/mtbench is not beside the repo")
    src = tmp_path / "mt_bench"
    shutil.copytree(STEFANSTUD, src)
    shutil.copy(MTBENCH / "question.jsonl", src / "question.jsonl")
    imported = judgebench("import", "fastchat", "mt_bench", cwd=tmp_path)
    assert imported.returncode == 0, imported.stderr
    shown = judgebench("report", "-q", "mt_bench", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert [line.rstrip() for line in shown.stdout.splitlines()] == readme_block("$ judgebench report -q mt_bench")
    said = [line.rstrip() for line in (imported.stdout + imported.stderr).splitlines()]
    assert said == readme_block("$ judgebench import fastchat mt_bench")[:2]
