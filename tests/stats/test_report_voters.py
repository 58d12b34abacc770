"""Arena and imported votes: one pooled leaderboard, each voter's count and agreement with the others."""

from __future__ import annotations

import json
from pathlib import Path

from clirun import judgebench

from judgebench.pipeline.report import ReportJob, report
from judgebench.records import HumanVote
from judgebench.stats import Bootstrap
from judgebench.stats.voters import voter_agreement

BETTER_FIRST = (("a", "b"), ("b", "c"), ("a", "c"))  # a > b > c


def arena_votes() -> list[HumanVote]:
    """ann and bob pick the better model except on every fifth question; eve is right on odd questions only."""
    votes = []
    for q in range(1, 21):
        for better, worse in BETTER_FIRST:
            for voter, right in (("ann", q % 5 != 0), ("bob", q % 5 != 0), ("eve", q % 2 == 1)):
                winner = "model_a" if right else "model_b"
                votes.append(HumanVote(q, better, worse, winner, f"arena-{voter}"))  # type: ignore[arg-type]
    votes.append(HumanVote(21, "a", "c", "tie", "arena-eve"))
    return votes


def test_each_voter_is_scored_against_the_others_ratings() -> None:
    rows = voter_agreement(arena_votes(), bootstrap=Bootstrap(200, seed=1))
    by = {r["voter"]: r for r in rows}
    assert [r["voter"] for r in rows] == ["arena-eve", "arena-ann", "arena-bob"]  # most votes first
    assert (by["arena-ann"]["votes"], by["arena-ann"]["scored"], by["arena-ann"]["agree"]) == (60, 60, 48)
    assert (by["arena-eve"]["votes"], by["arena-eve"]["ties"], by["arena-eve"]["scored"]) == (61, 1, 60)
    assert by["arena-eve"]["agree"] == 30 and by["arena-eve"]["rate"] == 0.5
    assert by["arena-eve"]["at_chance"] is True and by["arena-eve"]["p_chance"] > 0.5
    assert by["arena-ann"]["at_chance"] is False and by["arena-ann"]["p_chance"] < 1e-5
    assert by["arena-ann"]["rate_lo"] < 0.8 < by["arena-ann"]["rate_hi"]


def test_a_lone_vote_cannot_be_told_from_chance() -> None:
    votes = [*arena_votes(), HumanVote(1, "a", "b", "model_a", "arena-new")]
    (new,) = [r for r in voter_agreement(votes, bootstrap=Bootstrap(0)) if r["voter"] == "arena-new"]
    assert (new["agree"], new["scored"], new["rate"], new["p_chance"], new["at_chance"]) == (1, 1, 1.0, 0.5, True)
    assert new["rate_lo"] is None  # no bootstrap asked for


def test_report_pools_every_voter_into_one_leaderboard(tmp_path: Path) -> None:
    path = tmp_path / "votes.jsonl"
    path.write_text("".join(json.dumps(v.to_dict()) + "\n" for v in arena_votes()))
    args = ("report", "--votes", str(path), "--ratings", "--bootstrap", "100")
    proc = judgebench(*args, "-f", "json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    (pooled,) = data["vote_ratings"]
    assert (pooled["voters"], pooled["n_voters"], pooled["votes"], pooled["comparisons"]) == ("all", 3, 181, 181)
    assert [m["model"] for m in pooled["models"]] == ["a", "b", "c"]
    assert [m["n"] for m in pooled["models"]] == [121, 120, 121]  # two pairs × 20 questions × 3 voters, + the tie
    assert all(m["rating_lo"] <= m["rating"] <= m["rating_hi"] for m in pooled["models"])
    assert {r["voter"]: r["at_chance"] for r in pooled["voter_agreement"]} == {
        "arena-eve": True,
        "arena-ann": False,
        "arena-bob": False,
    }
    assert any("1 of 3 voters agree with the others' ratings no better than chance" in n for n in data["notes"])
    table = judgebench(*args, cwd=tmp_path)
    assert table.returncode == 0, table.stderr
    assert table.stdout.count("pooled ratings from all votes") == 1
    assert "181 votes by 3 voters pooled" in table.stdout and "agreement with the others' ratings" in table.stdout
    csv_rows = judgebench(*args, "-f", "csv", cwd=tmp_path).stdout.splitlines()
    assert sum(row.startswith("votes:all,ratings,") for row in csv_rows) == 3


def test_models_filter_the_pool(tmp_path: Path) -> None:
    path = tmp_path / "votes.jsonl"
    path.write_text("".join(json.dumps(v.to_dict()) + "\n" for v in arena_votes()))
    job = ReportJob(results_dir=tmp_path, votes=(path,), ratings=True, models=("a", "b"), bootstrap=0)
    (pooled,) = report(job).vote_ratings
    assert pooled["votes"] == 60 and [m["model"] for m in pooled["models"]] == ["a", "b"]


def test_votes_without_ratings_say_how(tmp_path: Path) -> None:
    path = tmp_path / "votes.jsonl"
    path.write_text("".join(json.dumps(v.to_dict()) + "\n" for v in arena_votes()[:3]))
    data = json.loads(judgebench("report", "--votes", str(path), "-f", "json", cwd=tmp_path).stdout)
    assert "vote_ratings" not in data and "add --ratings" in " ".join(data["notes"])


def test_a_voter_who_votes_the_other_way_round_is_flagged_reversed(tmp_path: Path) -> None:
    # zed picks the worse model on five questions: 0 of 15 agree, far below chance (p = 0.5**15).
    flipped = [HumanVote(q, b, w, "model_b", "arena-zed") for q in range(1, 6) for b, w in BETTER_FIRST]
    votes = [*arena_votes(), *flipped]
    by = {r["voter"]: r for r in voter_agreement(votes, bootstrap=Bootstrap(0))}
    assert (by["arena-zed"]["agree"], by["arena-zed"]["scored"], by["arena-zed"]["reversed"]) == (0, 15, True)
    assert by["arena-zed"]["at_chance"] is True  # the one-sided test "better than chance" still fails
    assert (by["arena-eve"]["reversed"], by["arena-ann"]["reversed"]) == (False, False)
    path = tmp_path / "votes.jsonl"
    path.write_text("".join(json.dumps(v.to_dict()) + "\n" for v in votes))
    proc = judgebench("report", "--votes", str(path), "--ratings", "--bootstrap", "0", "-f", "json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    notes = json.loads(proc.stdout)["notes"]
    assert any("1 of 4 voters mostly vote against the others' ratings" in n and "arena-zed" in n for n in notes)
    assert any("1 of 4 voters agree with the others' ratings no better than chance" in n for n in notes)
