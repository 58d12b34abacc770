"""Relative quality: ``report --relative-to`` and paired scoring's Vicuna table, on fixtures computed by hand."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from builders import write_questions
from clirun import assert_one_line_error, judgebench

from judgebench.records import Judgment
from judgebench.stats import Bootstrap
from judgebench.stats.relative import relative_totals

# (model, question, turn) → grade. "a" lacks q2 turn 2; "b" was graded on q1 turn 1 only.
GRADES = {
    ("ref", 1, 1): 8.0, ("ref", 1, 2): 6.0, ("ref", 2, 1): 4.0, ("ref", 2, 2): 2.0, ("ref", 3, 1): 10.0,
    ("a", 1, 1): 6.0, ("a", 1, 2): 6.0, ("a", 2, 1): 5.0, ("a", 3, 1): 9.0,
    ("b", 1, 1): 4.0,
}  # fmt: skip


def grades() -> list[Judgment]:
    return [
        Judgment(question_id=q, model=m, turn=t, judge="j", prompt="single-v1", score=s)
        for (m, q, t), s in GRADES.items()
    ]


def test_totals_count_only_the_items_both_models_have() -> None:
    out = relative_totals(grades(), "ref", Bootstrap(0))
    # a: q1t1 6 + q1t2 6 + q2t1 5 + q3t1 9 = 26 against ref's 8 + 6 + 4 + 10 = 28 on the same four items.
    assert (out["a"].total, out["a"].reference_total, out["a"].n) == (26.0, 28.0, 4)
    assert out["a"].pct == pytest.approx(100 * 26 / 28)
    assert (out["b"].total, out["b"].reference_total, out["b"].n, out["b"].pct) == (4.0, 8.0, 1, 50.0)
    assert (out["ref"].total, out["ref"].n, out["ref"].pct) == (30.0, 5, 100.0)
    assert out["a"].pct_lo is None and relative_totals(grades(), "nobody") == {}


def test_interval_resamples_whole_questions() -> None:
    out = relative_totals(grades(), "ref", Bootstrap(500, seed=3))
    # b has one question: every replicate that draws it gives exactly 50 %, the rest are undefined and left out.
    assert (out["b"].pct_lo, out["b"].pct_hi) == (50.0, 50.0)
    assert (out["ref"].pct_lo, out["ref"].pct_hi) == (100.0, 100.0)
    # a's per-question ratios are 12/14, 5/4 and 9/10: every replicate lies between the extremes.
    lo, hi = out["a"].pct_lo, out["a"].pct_hi
    assert lo is not None and hi is not None
    assert 100 * 12 / 14 <= lo < 100 * 26 / 28 < hi <= 125.0


@pytest.fixture
def graded(tmp_path: Path) -> Path:
    write_questions(tmp_path / "q.jsonl", n=3)
    folder = tmp_path / "results" / "q" / "judgments"
    folder.mkdir(parents=True)
    lines = [json.dumps(j.to_dict()) + "\n" for j in grades()]
    (folder / "j_single.jsonl").write_text("".join(lines), encoding="utf-8")
    return tmp_path


def test_report_relative_to_in_every_format(graded: Path) -> None:
    args = ("report", "-q", "q.jsonl", "--relative-to", "ref")
    data = json.loads(judgebench(*args, "-f", "json", "--bootstrap", "0", cwd=graded).stdout)
    (judge,) = data["judges"]
    assert judge["relative_to"] == "ref"
    rows = {r["model"]: r for r in judge["single"]}
    assert rows["a"]["relative_pct"] == pytest.approx(100 * 26 / 28) and rows["a"]["relative_n"] == 4
    assert (rows["a"]["total"], rows["a"]["reference_total"]) == (26.0, 28.0)
    assert (rows["b"]["relative_pct"], rows["ref"]["relative_pct"]) == (50.0, 100.0)
    assert "relative_pct_lo" not in rows["a"]
    with_iv = json.loads(judgebench(*args, "-f", "json", cwd=graded).stdout)
    b = {r["model"]: r for r in with_iv["judges"][0]["single"]}["b"]
    assert (b["relative_pct_lo"], b["relative_pct_hi"]) == (50.0, 50.0)
    table = judgebench(*args, cwd=graded)
    assert table.returncode == 0, table.stderr
    assert "92.86 [" in table.stdout and "percentage of ref's total" in table.stdout
    markdown = judgebench(*args, "-f", "markdown", "--bootstrap", "0", cwd=graded).stdout
    assert "| 92.86 |" in markdown and "relative_pct" in markdown
    rows_csv = list(csv.DictReader(io.StringIO(judgebench(*args, "-f", "csv", "--bootstrap", "0", cwd=graded).stdout)))
    assert {r["model"]: r["relative_pct"] for r in rows_csv} == {"a": str(100 * 26 / 28), "b": "50.0", "ref": "100.0"}
    plain = json.loads(judgebench("report", "-q", "q.jsonl", "-f", "json", "--bootstrap", "0", cwd=graded).stdout)
    assert "relative_to" not in plain["judges"][0] and "relative_pct" not in plain["judges"][0]["single"][0]


def test_relative_to_an_ungraded_model_is_one_line(graded: Path) -> None:
    proc = judgebench("report", "-q", "q.jsonl", "--relative-to", "nobody", cwd=graded)
    assert_one_line_error(proc, 2, "--relative-to nobody", "graded: a, b, ref")


def test_relative_quality_figure_in_html_and_png(graded: Path) -> None:
    args = ("report", "-q", "q.jsonl", "--relative-to", "ref", "--html", "out/r.html", "--plots", "out/png")
    proc = judgebench(*args, cwd=graded)
    assert proc.returncode == 0, proc.stderr
    assert (graded / "out" / "png" / "j-relative.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "relative quality: total as % of ref&#x27;s, judged by j" in (graded / "out" / "r.html").read_text()
    without = judgebench("report", "-q", "q.jsonl", "--plots", "out/png2", cwd=graded)
    assert without.returncode == 0 and not (graded / "out" / "png2" / "j-relative.png").exists()
