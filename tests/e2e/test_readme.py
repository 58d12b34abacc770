"""The README's worked example prints what the command prints today (real FastChat files, offline)."""

from __future__ import annotations

from pathlib import Path

from builders import REPO, stefanstud_bench
from clirun import judgebench

ROOT = REPO


def readme_block(after: str) -> list[str]:
    """The lines of the README's code block that follow the line ``after`` (up to the block's end)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index(after + "\n") + len(after) + 1
    return text[start : text.index("```", start)].splitlines()


def test_readme_report_sample_is_what_report_prints(tmp_path: Path) -> None:
    stefanstud_bench(tmp_path)
    imported = judgebench("import", "fastchat", "mt_bench", cwd=tmp_path)
    assert imported.returncode == 0, imported.stderr
    shown = judgebench("report", "-q", "mt_bench", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert [line.rstrip() for line in shown.stdout.splitlines()] == readme_block("$ judgebench report -q mt_bench")
    said = [line.rstrip() for line in (imported.stdout + imported.stderr).splitlines()]
    assert said == readme_block("$ judgebench import fastchat mt_bench")[:2]


def test_readme_pair_score_example_prints_what_it_says(tmp_path: Path) -> None:
    """The paired-scoring example: its commands, run in order offline, print the CSV shown."""
    after = "$ judgebench report -f csv"
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text[text.rindex("```", 0, text.index(after + "\n")) : text.index(after + "\n")]
    commands = [line.removeprefix("$ judgebench ").split() for line in block.splitlines() if line.startswith("$ ")]
    assert [c[0] for c in commands] == ["gen-answers", "gen-answers", "judge"]
    for command in commands:
        proc = judgebench(*command, cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
    shown = judgebench("report", "-f", "csv", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.splitlines() == readme_block(after)


def test_readme_panel_example_runs_offline(tmp_path: Path) -> None:
    lines = [line.split("#")[0].split() for line in readme_block("# a judge panel, offline")]
    outputs = []
    for words in lines:
        assert words[0] == "judgebench"
        proc = judgebench(*words[1:], cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        outputs.append(proc.stdout)
    judged, again, shown = outputs[2], outputs[3], outputs[4]
    assert judged.count("12 judged now: 12 with a verdict") == 3  # 3 questions x 2 turns x 2 models, per judge
    assert again.count("0 judged now") == 3 and again.count("0 judge calls bought") == 3
    assert "single grades by panel" in shown and "agreement" in shown and "rank stability" in shown
