"""validate-judge: a judge's agreement with human experts, beside GPT-4's and the experts' own."""

from __future__ import annotations

import html
import json
from pathlib import Path

import pytest

from judgebench.errors import UsageError
from judgebench.pipeline.validation import ValidateJob, validate_judge
from judgebench.presentation.validation_format import validation_sections
from judgebench.records import HumanVote, Judgment, PairGame

QUESTIONS = range(81, 91)


def write(path: Path, records: list[HumanVote] | list[PairGame] | list[Judgment]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r.to_dict()) + "\n" for r in records))
    return path


def human_votes() -> list[HumanVote]:
    """expert_0 prefers a on every item; expert_1 too, except ties on 89 and 90."""
    votes = [HumanVote(q, "a", "b", "model_a", "expert_0") for q in QUESTIONS]
    votes += [HumanVote(q, "b", "a", "tie" if q >= 89 else "model_b", "expert_1") for q in QUESTIONS]  # b shown first
    return votes


def judge_games(judge: str = "openai/judge") -> list[PairGame]:
    """a wins both games on 81–86; the games disagree on 87–88; b wins both on 89–90."""
    winners = {q: ("model_1", "model_1") if q <= 86 else ("model_1", "model_2") if q <= 88 else ("model_2", "model_2")
               for q in QUESTIONS}  # fmt: skip
    return [
        PairGame(question_id=q, model_1="a", model_2="b", turn=1, judge=judge, prompt="pair-v2", game=g, winner=w)  # type: ignore[arg-type]
        for q, pair in winners.items()
        for g, w in zip((1, 2), pair, strict=True)
    ]


@pytest.fixture
def release(tmp_path: Path) -> ValidateJob:
    votes = write(tmp_path / "votes" / "human.jsonl", human_votes())
    gpt4 = write(
        tmp_path / "votes" / "gpt4_pair.jsonl", [HumanVote(q, "a", "b", "model_a", "gpt4_pair") for q in QUESTIONS]
    )
    return ValidateJob(
        judge="openai/judge", results_dir=tmp_path / "results", votes=votes, reference=gpt4, bootstrap=500
    )


def test_agreement_beside_gpt4_and_the_experts(release: ValidateJob) -> None:
    write(release.results_dir / "mt-bench-human" / "judgments" / "openai__judge_pair.jsonl", judge_games())
    result = validate_judge(release)
    rows = {r["who"]: r for r in result.agreement if r["turn"] == "all"}
    # judge vs 2 experts on 10 items: agrees with both on 81–86 (12 of 12), with neither on 87–90 (0 of 8)
    assert (rows["judge"]["agree"], rows["judge"]["n"], rows["judge"]["rate"]) == (12, 20, 0.6)
    assert (rows["reference"]["agree"], rows["reference"]["n"]) == (18, 20)  # GPT-4 misses expert_1's two ties
    assert (rows["humans"]["agree"], rows["humans"]["n"]) == (8, 10)
    assert (rows["judge"]["agree_no_tie"], rows["judge"]["n_no_tie"]) == (12, 14)  # without the ties: 89, 90 by b
    assert rows["judge"]["rate_lo"] <= 0.6 <= rows["judge"]["rate_hi"]
    assert [r["turn"] for r in result.agreement if r["who"] == "judge"] == [1, "all"]
    assert result.consistency == {"consistent": 8, "n": 10, "rate": 0.8}
    assert result.tie_rate == 0.2 and (result.items, result.questions) == (10, 10)
    assert result.verdict["difference"] == pytest.approx(-0.3)
    assert result.verdict["difference_lo"] == pytest.approx(-0.55)
    assert result.verdict["difference_hi"] == pytest.approx(-0.05)  # 10 questions: the interval just reaches the margin
    assert result.verdict["verdict"] == "can't tell"
    assert result.verdict_line.startswith("agrees with experts as often as GPT-4 did: can't tell, n=10 items (10 ques")
    strict = validate_judge(ValidateJob(**{**release.__dict__, "margin": 0.01}))
    assert strict.verdict["verdict"] == "no"
    assert result.spend is None  # no run manifests: the games were written by hand
    sections = validation_sections(result)
    assert [s.title for s in sections] == ["mt-bench-human — agreement with the human votes", "the judge", "verdict"]
    assert [(r["who"], r["turn"]) for r in sections[0].rows] == [
        ("openai/judge", 1), ("openai/judge", "all"), ("gpt4_pair (release)", 1), ("gpt4_pair (release)", "all"),
        ("humans with each other", 1), ("humans with each other", "all"),
    ]  # fmt: skip
    assert sections[1].rows == [
        {"judge": "openai/judge", "tie_rate": 0.2, "position_consistency_rate": 0.8, "comparisons": 10}
    ]
    assert sections[2].notes == (result.verdict_line,)


def test_single_grades_become_pair_verdicts(release: ValidateJob) -> None:
    grades = [
        Judgment(question_id=q, model=m, turn=1, judge="openai/judge", prompt="single-v1", score=s)
        for q in QUESTIONS
        for m, s in (("a", 8.0), ("b", 7.5 if q <= 85 else 9.0))
    ]
    write(release.results_dir / "mt-bench-human" / "judgments" / "openai__judge_single.jsonl", grades)
    strict = validate_judge(ValidateJob(**{**release.__dict__, "mode": "single"}))
    loose = validate_judge(ValidateJob(**{**release.__dict__, "mode": "single", "tie_threshold": 0.5}))
    assert strict.tie_rate == 0.0 and loose.tie_rate == 0.5  # 81–85 differ by 0.5
    assert strict.consistency is None and loose.tie_threshold == 0.5
    (row,) = [r for r in strict.agreement if r["who"] == "judge" and r["turn"] == "all"]
    assert (row["agree"], row["n"]) == (10, 20)  # a wins 81–85: both experts agree; b wins 86–90: neither


def test_no_verdicts_is_one_clear_error(release: ValidateJob) -> None:
    with pytest.raises(UsageError, match="no pairwise verdicts on mt-bench-human"):
        validate_judge(release)
    games = [g for g in judge_games() if g.question_id == 81]
    write(release.results_dir / "mt-bench-human" / "judgments" / "openai__judge_pair.jsonl", games)
    with pytest.raises(UsageError, match="--voters 'author_\\*': no human vote"):
        validate_judge(ValidateJob(**{**release.__dict__, "voters": "author_*"}))
    assert validate_judge(release).items == 1


def test_agreement_figures(release: ValidateJob, tmp_path: Path) -> None:
    from judgebench.pipeline.validation import validation_rows
    from judgebench.presentation.plots import draw_agreement

    write(release.results_dir / "mt-bench-human" / "judgments" / "openai__judge_pair.jsonl", judge_games())
    rows = validation_rows(validate_judge(release), "all")
    assert [r["who"] for r in rows] == ["openai/judge", "gpt4_pair (release)", "humans with each other"]
    figures = draw_agreement(rows, "test", tmp_path / "figures")
    paths = [f.png for f in figures if f.png is not None]
    assert [p.name for p in paths] == ["agreement.png", "agreement-no-tie.png"]
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in paths)
    assert [f.title for f in figures] == ["test (with ties)", "test (without ties)"]
    assert all(f.svg.startswith("<svg") for f in figures)
    assert draw_agreement(rows, "no files")[0].png is None


def test_a_panel_counts_each_item_once_and_says_what_it_left_out(release: ValidateJob) -> None:
    """Two members; the second's verdict on q89's first game is unreadable and its q90 second game is missing."""
    from judgebench.pipeline.validation_panel import validate_panel
    from judgebench.presentation.validation_format import panel_rows, panel_sections, validation_html

    folder = release.results_dir / "mt-bench-human" / "judgments"
    write(folder / "openai__judge_pair.jsonl", judge_games())
    other = [
        PairGame(question_id=q, model_1="a", model_2="b", turn=1, judge="openai/other", prompt="pair-v2", game=g,
                 winner=None if (q, g) == (89, 1) else "model_1", status="unparsed" if (q, g) == (89, 1) else "ok")
        for q in QUESTIONS
        for g in (1, 2)
        if (q, g) != (90, 2)
    ]  # fmt: skip
    write(folder / "openai__other_pair.jsonl", other)
    result = validate_panel(release, ["openai/judge", "openai/other"])
    judge, member, panel = result.rows
    assert (member.judge, member.items, member.unreadable) == ("openai/other", 8, 1)  # q89 unreadable, q90 half-judged
    # Two members: a game's verdict needs both; 81–86: a twice; 87–88: a, then (b, a) → a tie: the two games disagree.
    # 89 and 90 lack a verdict of every member in both orders: left out of the panel, counted once each.
    assert (panel.judge, panel.items, panel.unreadable, panel.questions) == ("panel", 8, 2, 8)
    assert panel.consistency == {"consistent": 6, "n": 8, "rate": 0.75}
    overall = {r.judge: next(a for a in r.agreement if a["who"] == "judge" and a["turn"] == "all") for r in result.rows}
    assert {j: (a["agree"], a["n"]) for j, a in overall.items()} == {
        "openai/judge": (12, 20),
        "openai/other": (16, 16),
        "panel": (12, 16),
    }
    assert judge == validate_judge(release)  # a member's row is what validating it alone gives
    assert (result.items, result.questions) == (10, 10)  # the references: on every item some row covers
    refs = {r["who"]: (r["agree"], r["n"]) for r in result.references if r["turn"] == "all"}
    assert refs == {"reference": (18, 20), "humans": (8, 10)}
    assert [(r["who"], r["items"]) for r in panel_rows(result, "all")] == [
        ("openai/judge", 10), ("openai/other", 8), ("panel", 8), ("gpt4_pair (release)", 10),
        ("humans with each other", 10),
    ]  # fmt: skip
    sections = panel_sections(result)
    assert [(r["judge"], r["items"], r["left_out"]) for r in sections[1].rows] == [
        ("openai/judge", 10, 0), ("openai/other", 8, 1), ("panel", 8, 2)
    ]  # fmt: skip
    assert "openai/other: 1 voted item left out: its verdict could not be read" in " ".join(sections[0].notes)
    assert "panel: 2 voted items judged but left out: not every member" in " ".join(sections[0].notes)
    assert sections[2].notes[2].startswith("panel: agrees with experts as often as GPT-4 did: can't tell, n=8 items")
    page = validation_html(result, [])
    assert all(html.escape(line) in page for line in sections[2].notes)
    payload = result.to_dict()
    assert [r["judge"] for r in payload["rows"]] == ["openai/judge", "openai/other", "panel"]
    assert json.loads(json.dumps(payload)) == payload


def test_a_panel_needs_two_judges(release: ValidateJob) -> None:
    from judgebench.pipeline.validation_panel import validate_panel

    with pytest.raises(UsageError, match="a judge panel needs two judges or more"):
        validate_panel(release, ["openai/judge"])
