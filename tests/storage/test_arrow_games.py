"""The pyarrow reading of pair-game files (``read_game_frame``) against the record reader it stands in for.

Each case reads the same bytes both ways: the Arrow table must equal ``game_frame`` of the records
``PairGame.from_dict`` builds, or the Arrow reader must decline (``None``) and ``load_game_table``
must then give what the record path gives — the same table, or the same ``file:line`` error.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from builders import MTBENCH, same_error_both_ways

from judgebench.records import PairGame, Usage
from judgebench.records.columns import game_frame
from judgebench.storage import load_game_table, load_pair_games
from judgebench.storage.arrow_games import read_game_frame
from judgebench.storage.fastchat import import_fastchat

THIRD_PARTY = MTBENCH / "third_party"
needs_shared = pytest.mark.skipif(not THIRD_PARTY.is_dir(), reason="needs ../shared/mtbench (real FastChat files)")


def plain_games(seed: int, n: int = 300, *, string_ids: bool = False) -> list[dict[str, Any]]:
    """Wire dicts as judgebench writes them, with the twists a plain file may hold."""
    rng = random.Random(seed)
    models = ["a", "b", "c", "d", "e"]
    out = []
    for i in range(n):
        m1, m2 = rng.sample(models, 2)
        winner = rng.choice(["model_1", "model_2", "tie", None])
        status = "ok" if winner is not None else rng.choice(["unparsed", "failed", "truncated"])
        game = PairGame(
            question_id=f"q{rng.randint(1, 9)}" if string_ids else rng.randint(1, 9),
            model_1=m1, model_2=m2, turn=rng.choice([1, 2]), judge=rng.choice(["j", "k"]),
            prompt=rng.choice(["pair-v2", "pair-math-v1"]), game=rng.choice([1, 2]),
            winner=winner if status == "ok" else None, status=status,  # type: ignore[arg-type]
            strong=rng.random() < 0.3 and status == "ok", key=f"{i:04x}", tstamp=1.7e9 + i,
            usage=Usage(input_tokens=rng.randint(1, 900), output_tokens=7), judgment="[[A]]",
        )  # fmt: skip
        d = game.to_dict()
        roll = rng.random()
        if roll < 0.6:
            d["answer_hashes"] = {m1: rng.choice(["h1", "h2"]), m2: rng.choice(["h1", "h2"])}
        elif roll < 0.7:
            d["answer_hashes"] = {m2: "h3", "zz": "h4"}  # an entry of neither side
        elif roll < 0.75:
            d["answer_hashes"] = None
        if rng.random() < 0.1:
            del d["status"]  # the default: ok with a winner, unparsed without
            if d["winner"] is None:
                d["status"] = "unparsed"
        if rng.random() < 0.05:
            d.pop("strong", None)
        if rng.random() < 0.05 and status == "failed":
            d["winner"] = "tie"  # a winner on a failed game is not read
        out.append(d)
    return out


def write(path: Path, dicts: list[dict[str, Any]], *, compact: bool = False) -> Path:
    """``dicts`` as JSON lines, spaced as ``json.dumps`` spaces them or compact as judgebench writes them."""
    separators = (",", ":") if compact else None
    path.write_text("".join(json.dumps(d, separators=separators) + "\n" for d in dicts), encoding="utf-8")
    return path


@pytest.mark.parametrize(("seed", "string_ids"), [(0, False), (1, False), (2, True), (3, True)])
def test_a_plain_file_is_read_by_arrow_as_the_records_read_it(tmp_path: Path, seed: int, string_ids: bool) -> None:
    path = write(tmp_path / "j_pair.jsonl", plain_games(seed, string_ids=string_ids), compact=seed % 2 == 1)
    table = read_game_frame(path.read_bytes())
    assert table is not None
    expected = game_frame(load_pair_games(path))
    pd.testing.assert_frame_equal(table, expected)
    pd.testing.assert_frame_equal(load_game_table(path), expected)
    assert len(table) == 300
    assert table["hash_other"].notna().sum() > 0 and table["strong"].sum() > 0


def test_a_file_of_many_blocks_is_read_alike(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Answer hashes are split chunk by chunk: rows with other models' entries in later chunks too."""
    from judgebench.storage import arrow_games

    monkeypatch.setattr(arrow_games, "BLOCK_SIZE", 8 << 10)
    path = write(tmp_path / "j_pair.jsonl", plain_games(8, 400), compact=True)
    assert len(path.read_bytes()) > 10 * arrow_games.BLOCK_SIZE
    table = read_game_frame(path.read_bytes())
    assert table is not None
    pd.testing.assert_frame_equal(table, game_frame(load_pair_games(path)))
    assert table["hash_other"].iloc[200:].notna().sum() > 0


def test_a_self_pair_and_blank_lines_and_no_last_newline(tmp_path: Path) -> None:
    games = plain_games(4, 40)
    games[5] |= {"model_2": games[5]["model_1"], "answer_hashes": {games[5]["model_1"]: "h9"}}
    path = tmp_path / "j_pair.jsonl"
    lines = [json.dumps(g) for g in games]
    path.write_text("\n".join(lines[:10]) + "\n\n" + "\n".join(lines[10:]), encoding="utf-8")
    table = read_game_frame(path.read_bytes())
    assert table is not None
    pd.testing.assert_frame_equal(table, game_frame(load_pair_games(path)))
    assert table["hash_1"][5] == "h9" and table["hash_2"][5] == "h9" and table["hash_other"][5] is None


VALID_BUT_DECLINED = [
    ("a string judge (FastChat's)", {"judge": "j", "prompt": "pair-v2"}),
    ("re-asks", {"reasks": [{"reply": "hm", "reason": "no verdict"}]}),
    ("question ids of both types", {"question_id": "x"}),
    ("strong given as 1", {"strong": 1}),
    ("a usage count as text", {"usage": {"input_tokens": "3"}}),
    ("attempts as text", {"attempts": "2"}),
]


@pytest.mark.parametrize(("what", "change"), VALID_BUT_DECLINED, ids=[w for w, _ in VALID_BUT_DECLINED])
def test_valid_but_unusual_lines_are_left_to_the_record_path(tmp_path: Path, what: str, change: dict[str, Any]) -> None:
    games = plain_games(5, 50)
    games[17] |= change
    path = write(tmp_path / "j_pair.jsonl", games)
    assert read_game_frame(path.read_bytes()) is None, what
    pd.testing.assert_frame_equal(load_game_table(path), game_frame(load_pair_games(path)))


DELETE = object()

BAD = [
    ("status null", {"status": None}),
    ("a hash null", {"answer_hashes": {"a": None}}),
    ("a usage count null", {"usage": {"calls": None, "input_tokens": 3}}),
    ("game 3", {"game": 3}),
    ("turn 0", {"turn": 0}),
    ("turn as text", {"turn": "1"}),
    ("no model_1", {"model_1": DELETE}),
    ("a one-item judge", {"judge": ["j"]}),
    ("winner A", {"winner": "A"}),
    ("ok without a winner", {"winner": None, "status": "ok"}),
    ("an unknown status", {"status": "odd"}),
    ("a hash that is a number", {"answer_hashes": {"a": 3}}),
    ("reasks not a list", {"reasks": 5}),
    ("attempts null", {"attempts": None}),
    ("tstamp null", {"tstamp": None}),
    ("usage a list", {"usage": [1]}),
]


@pytest.mark.parametrize("compact", [False, True], ids=["spaced", "compact"])
@pytest.mark.parametrize(("what", "change"), BAD, ids=[w for w, _ in BAD])
def test_a_bad_line_is_declined_and_gets_the_record_readers_error(
    tmp_path: Path, what: str, change: dict[str, Any], compact: bool
) -> None:
    """Compact lines (``"error":null`` on every one, as judgebench writes) take the one-scan null check."""
    games = plain_games(6, 60)
    games[41] = {k: v for k, v in (games[41] | change).items() if v is not DELETE}
    path = write(tmp_path / "j_pair.jsonl", games, compact=compact)
    assert read_game_frame(path.read_bytes()) is None, what
    assert "j_pair.jsonl:42" in same_error_both_ways(path)


def no_nulls_but_error(n: int) -> list[dict[str, Any]]:
    """Plain games whose only JSON null is each line's ``"error": null`` (the one-scan null check's case)."""
    games = [
        g | {"answer_hashes": {g["model_1"]: "h1", g["model_2"]: "h2"}}
        for g in plain_games(7, 4 * n)
        if g["winner"] is not None and g.get("status", "ok") == "ok"
    ][:n]
    for g in games:
        assert g["error"] is None and None not in [v for k, v in g.items() if k != "error"]
    return games


@pytest.mark.parametrize(
    ("what", "hashes"),
    [("a hash null", {"a": None}), ("the hash of a model named 'error' null", {"error": None, "a": "h1"})],
)
def test_an_explicit_null_among_only_error_nulls_is_found(tmp_path: Path, what: str, hashes: dict[str, Any]) -> None:
    games = no_nulls_but_error(40)
    games[5]["answer_hashes"]["error"] = "h5"  # a model named "error" (its hash a string elsewhere)
    path = write(tmp_path / "j_pair.jsonl", games, compact=True)
    assert read_game_frame(path.read_bytes()) is not None
    games[23]["answer_hashes"] = hashes
    write(path, games, compact=True)
    assert read_game_frame(path.read_bytes()) is None, what
    assert "j_pair.jsonl:24" in same_error_both_ways(path)


def test_an_empty_file_is_left_to_the_record_path() -> None:
    assert read_game_frame(b"") is None
    assert read_game_frame(b"\n  \n") is None


@needs_shared
@pytest.mark.parametrize("source", ["SFMI-Byeongsu_mtbench-question-korean", "Stefanstud_FastChat"])
def test_real_fastchat_pair_judgments_read_alike(tmp_path: Path, source: str) -> None:
    """FastChat's published GPT-4 pair judgments, imported, then read both ways."""
    import_fastchat(THIRD_PARTY / source, tmp_path / "r", "b")
    (path,) = sorted((tmp_path / "r" / "b" / "judgments").glob("*_pair.jsonl"))
    table = read_game_frame(path.read_bytes())
    records = load_pair_games(path)
    assert table is not None and len(table) == len(records) > 100
    pd.testing.assert_frame_equal(table, game_frame(records))


def test_the_work_beside_the_parse_runs_once_whatever_the_file(tmp_path: Path) -> None:
    """``while_parsing`` (a report imports pandas there) runs once: empty, plain, or left to the record path."""
    plain = write(tmp_path / "a_pair.jsonl", plain_games(9, 20)).read_bytes()
    declined = write(tmp_path / "b_pair.jsonl", [*plain_games(9, 20), {"judge": "j"}]).read_bytes()
    calls: list[bytes] = []
    for data, read in ((b"", False), (plain, True), (declined, False)):
        table = read_game_frame(data, while_parsing=lambda data=data: calls.append(data))
        assert (table is not None) == read
    assert calls == [b"", plain, declined]
