"""Relative quality: ``report --relative-to`` and paired scoring's Vicuna table, on fixtures computed by hand."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Literal

import pytest
from builders import write_questions
from clirun import assert_one_line_error, judgebench

from judgebench.pipeline.report import ReportJob, report
from judgebench.records import Judgment, PairScore
from judgebench.stats import Bootstrap
from judgebench.stats.paired import ScoredGame, paired_table
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
    assert (rows["a"]["relative_total"], rows["a"]["reference_total"]) == (26.0, 28.0)
    assert rows["a"]["total"] == 26.0 and rows["ref"]["total"] == 30.0  # the table's own sums stay
    assert (rows["b"]["total"], rows["b"]["relative_total"]) == (4.0, 4.0)
    assert (rows["b"]["relative_pct"], rows["ref"]["relative_pct"]) == (50.0, 100.0)
    assert "relative_pct_lo" not in rows["a"]
    with_iv = json.loads(judgebench(*args, "-f", "json", cwd=graded).stdout)
    b = {r["model"]: r for r in with_iv["judges"][0]["single"]}["b"]
    r_lo = {r["model"]: r for r in with_iv["judges"][0]["single"]}["a"]["relative_pct_lo"]
    assert (b["relative_pct_lo"], b["relative_pct_hi"]) == (50.0, 50.0)
    table = judgebench(*args, cwd=graded)
    assert table.returncode == 0, table.stderr
    assert "92.86 [" in table.stdout and "as a percentage of ref's total (reference_total)" in table.stdout
    markdown = judgebench(*args, "-f", "markdown", "--bootstrap", "0", cwd=graded).stdout
    assert "| 92.86 |" in markdown and "relative_pct" in markdown
    rows_csv = list(csv.DictReader(io.StringIO(judgebench(*args, "-f", "csv", "--bootstrap", "0", cwd=graded).stdout)))
    assert {r["model"]: r["relative_pct"] for r in rows_csv} == {"a": str(100 * 26 / 28), "b": "50.0", "ref": "100.0"}
    job = ReportJob(questions=str(graded / "q.jsonl"), results_dir=graded / "results", models=("a",), relative_to="ref")
    (only_a,) = report(job).judges  # the reference counts even when the table leaves it out
    assert [(r["model"], r["relative_n"], r["relative_pct_lo"]) for r in only_a.single] == [
        ("a", 4, pytest.approx(r_lo))
    ]
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


def scored(q: int, game: Literal[1, 2], v: float | None, gpt: float | None) -> ScoredGame:
    return ScoredGame(question_id=q, turn=1, baseline="gpt", model="v", game=game, model_score=v, baseline_score=gpt)


# The Vicuna table by hand. Game 1 shows v as A, game 2 shows gpt as A; each answer's two scores are averaged.
#   q1: v 8 | 7 → 7.5, gpt 6 | 7 → 6.5   (v +1: win)
#   q2: v 5 | 6 → 5.5, gpt 9 | 9 → 9.0   (v −3.5: loss)
#   q3: v 7 | 7 → 7.0, gpt 7 | 8 → 7.5   (v −0.5: loss, or a tie with a threshold of 0.5)
#   q4: game 2 has no verdict → excluded
# Totals: v 20, gpt 23 → 86.96 %. Shown first minus shown second: v +1, −1, 0; gpt +1, 0, +1 → bonus 2/6, shift 4/6.
VICUNA_GAMES = [
    scored(1, 1, 8, 6), scored(1, 2, 7, 7), scored(2, 1, 5, 9), scored(2, 2, 6, 9),
    scored(3, 1, 7, 7), scored(3, 2, 7, 8), scored(4, 1, 9, 1), scored(4, 2, None, 3),
]  # fmt: skip


def test_vicuna_table_by_hand() -> None:
    (row,) = paired_table(VICUNA_GAMES, bootstrap=Bootstrap(0))
    assert row == {
        "baseline": "gpt", "model": "v", "n": 3, "excluded": 1, "model_total": 20.0, "baseline_total": 23.0,
        "relative_pct": pytest.approx(100 * 20 / 23), "wins": 1, "ties": 0, "losses": 2,
        "win_rate": pytest.approx(1 / 3), "tie_rate": 0.0, "loss_rate": pytest.approx(2 / 3),
        "first_position_bonus": pytest.approx(2 / 6), "order_shift": pytest.approx(4 / 6),
    }  # fmt: skip
    (tied,) = paired_table(VICUNA_GAMES, tie_threshold=0.5, bootstrap=Bootstrap(0))
    assert (tied["wins"], tied["ties"], tied["losses"]) == (1, 1, 1)
    with pytest.raises(ValueError, match="tie_threshold"):
        paired_table(VICUNA_GAMES, tie_threshold=-1)


def test_vicuna_table_intervals_resample_questions() -> None:
    (row,) = paired_table(VICUNA_GAMES, bootstrap=Bootstrap(400, seed=1))
    # Per-question ratios 7.5/6.5, 5.5/9 and 7/7.5 bound every replicate's percentage.
    assert 100 * 5.5 / 9 <= row["relative_pct_lo"] < 100 * 20 / 23 < row["relative_pct_hi"] <= 100 * 7.5 / 6.5
    assert 0.0 <= row["win_rate_lo"] < 1 / 3 < row["win_rate_hi"] <= 1.0
    assert 0.0 <= row["loss_rate_lo"] < 2 / 3 < row["loss_rate_hi"] <= 1.0


def as_records(games: list[ScoredGame], baseline_first: bool = True) -> str:
    """The fixture as paired-scoring records: the baseline as model_1 (as `judge --baseline` writes), or the model."""
    lines = []
    for g in games:
        if baseline_first:  # model_1 = the baseline, shown as A in its game 1 = the fixture's game 2
            pair, game, scores = ("gpt", "v"), 2 if g.game == 1 else 1, (g.baseline_score, g.model_score)
        else:
            pair, game, scores = ("v", "gpt"), g.game, (g.model_score, g.baseline_score)
        ok = None not in scores
        record = PairScore(
            question_id=g.question_id, model_1=pair[0], model_2=pair[1], turn=1, judge="j", prompt="pair-score-v1",
            game=game, score_1=scores[0] if ok else None, score_2=scores[1] if ok else None,
            status="ok" if ok else "unparsed",
        )  # fmt: skip
        lines.append(json.dumps(record.to_dict()) + "\n")
    return "".join(lines)


@pytest.fixture
def paired(tmp_path: Path) -> Path:
    write_questions(tmp_path / "q.jsonl", n=4)
    folder = tmp_path / "results" / "q" / "judgments"
    folder.mkdir(parents=True)
    (folder / "j_pairscore.jsonl").write_text(as_records(VICUNA_GAMES), encoding="utf-8")
    return tmp_path


def test_report_prints_the_vicuna_table(paired: Path) -> None:
    args = ("report", "-q", "q.jsonl")
    data = json.loads(judgebench(*args, "-f", "json", "--bootstrap", "0", cwd=paired).stdout)
    (judge,) = data["judges"]
    assert judge["pair_score"]["tie_threshold"] == 0.0
    (row,) = judge["pair_score"]["models"]
    assert row == paired_table(VICUNA_GAMES, bootstrap=Bootstrap(0))[0]  # the hand-checked figures above
    assert (row["model_total"], row["baseline_total"], row["wins"], row["ties"], row["losses"]) == (20.0, 23.0, 1, 0, 2)
    tied = json.loads(judgebench(*args, "-f", "json", "--tie-threshold", "0.5", cwd=paired).stdout)
    (row,) = tied["judges"][0]["pair_score"]["models"]
    assert (row["wins"], row["ties"], row["losses"]) == (1, 1, 1) and row["relative_pct_lo"] <= 100 * 20 / 23
    table = judgebench(*args, "--tie-threshold", "0.5", cwd=paired)
    assert table.returncode == 0, table.stderr
    assert "paired scoring (Vicuna table), judged by j" in table.stdout and "86.96 [" in table.stdout
    assert "at most 0.5 points apart" in table.stdout and "1 excluded" in table.stdout
    markdown = judgebench(*args, "-f", "markdown", "--bootstrap", "0", cwd=paired).stdout
    assert "| gpt | v | 3 | 1 | 20.00 | 23.00 | 86.96 | 1 | 0 | 2 |" in markdown
    rows_csv = list(csv.DictReader(io.StringIO(judgebench(*args, "-f", "csv", "--bootstrap", "0", cwd=paired).stdout)))
    assert [(r["mode"], r["model"], r["model_total"], r["baseline_total"]) for r in rows_csv] == [
        ("pair_score", "v", "20.0", "23.0")
    ]
    assert_one_line_error(judgebench(*args, "--tie-threshold", "-1", cwd=paired), 2, "--tie-threshold -1")


def test_vicuna_table_follows_the_named_baseline(paired: Path) -> None:
    path = paired / "results" / "q" / "judgments" / "j_pairscore.jsonl"
    path.write_text(as_records(VICUNA_GAMES, baseline_first=False), encoding="utf-8")
    args = ("report", "-q", "q.jsonl", "-f", "json", "--bootstrap", "0")
    (row,) = json.loads(judgebench(*args, "--baseline", "gpt", cwd=paired).stdout)["judges"][0]["pair_score"]["models"]
    assert row == paired_table(VICUNA_GAMES, bootstrap=Bootstrap(0))[0]
    (flipped,) = json.loads(judgebench(*args, cwd=paired).stdout)["judges"][0]["pair_score"]["models"]
    assert (flipped["baseline"], flipped["model"], flipped["model_total"], flipped["baseline_total"]) == (
        "v", "gpt", 23.0, 20.0,
    )  # fmt: skip


def test_a_bad_pair_score_line_is_one_line(paired: Path) -> None:
    path = paired / "results" / "q" / "judgments" / "j_pairscore.jsonl"
    line = json.loads(as_records(VICUNA_GAMES[:1]))
    path.write_text(json.dumps(line | {"score_1": 11}) + "\n", encoding="utf-8")
    proc = judgebench("report", "-q", "q.jsonl", cwd=paired)
    assert_one_line_error(proc, 1, "j_pairscore.jsonl:1", "'score_1' must be a number from 1 to 10")


def test_vicuna_figures_in_html_and_png(paired: Path) -> None:
    proc = judgebench("report", "-q", "q.jsonl", "--html", "out/r.html", "--plots", "out/png", cwd=paired)
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in (paired / "out" / "png").iterdir()) == ["j-pair-relative.png", "j-pair-wtl.png"]
    html = (paired / "out" / "r.html").read_text()
    assert "paired scoring: win / tie / loss against the baseline, judged by j" in html
    assert "paired scoring (Vicuna table), judged by j" in html


def test_the_model_every_pair_involves_is_the_baseline(paired: Path) -> None:
    path = paired / "results" / "q" / "judgments" / "j_pairscore.jsonl"
    second = as_records(VICUNA_GAMES, baseline_first=False)
    path.write_text(second + second.replace('"model_1": "v"', '"model_1": "w"'), encoding="utf-8")
    args = ("report", "-q", "q.jsonl", "-f", "json", "--bootstrap", "0")
    rows = json.loads(judgebench(*args, cwd=paired).stdout)["judges"][0]["pair_score"]["models"]
    expected = paired_table(VICUNA_GAMES, bootstrap=Bootstrap(0))[0]
    assert rows == [expected, expected | {"model": "w"}]
