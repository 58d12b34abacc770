"""The columnar pair-game path (bulk loader, latest games, comparisons, stale verdicts) against the record path.

Every case compares the product's two readings of the same file: ``load_game_table`` (orjson, validated
in bulk) with ``load_pair_games`` (one ``PairGame.from_dict`` per line), and the vectorised statistics
with the record-by-record rules they replace.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from builders import same_error_both_ways

from judgebench.pipeline.judge_plan import answer_hash
from judgebench.pipeline.staleness import CurrentAnswers
from judgebench.records import PairGame
from judgebench.records.columns import game_frame, games_from_frame
from judgebench.stats import comparisons, latest_games, pair_rows_from_games, pairwise_table, to_records
from judgebench.stats.games import join_games, latest_game_table
from judgebench.storage import game_table as game_table_module
from judgebench.storage import load_game_table, load_pair_games

MODELS = ["a", "b", "c", "d"]


def random_games(seed: int, n: int = 400) -> list[dict[str, Any]]:
    """Wire dicts with every twist: repeats, pairs named both ways, failures, FastChat-style judges, hashes."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        m1, m2 = rng.sample(MODELS, 2)
        winner = rng.choice(["model_1", "model_2", "tie", None])
        d: dict[str, Any] = {
            "question_id": rng.choice([1, 2, 3, "4", "x"]),
            "model_1": m1,
            "model_2": m2,
            "turn": rng.choice([1, 2]),
            "game": rng.choice([1, 2]),
            "winner": winner,
            "judge": rng.choice([["j", "pair-v2"], ["k", "pair-v2"]]),
            "status": "ok" if winner is not None else rng.choice(["unparsed", "failed"]),
        }
        roll = rng.random()
        if roll < 0.6:
            d["answer_hashes"] = {m1: rng.choice(["h1", "h2"]), m2: rng.choice(["h1", "h2"])}
        elif roll < 0.65:
            d["answer_hashes"] = {m1: "h1", "zz": "h2"}
        if rng.random() < 0.05:
            d["status"] = "failed"  # a winner on a failed game is not read
        elif rng.random() < 0.1:
            del d["status"]
            if d["winner"] is None:
                d["status"] = "failed"
        if rng.random() < 0.3:
            d["strong"] = True  # a strong verdict (kept only in an ok game)
        out.append(d)
    return out


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


@pytest.mark.parametrize("seed", range(6))
def test_table_equals_the_records_it_replaces(tmp_path: Path, seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(game_table_module, "GAME_TABLE_CHUNK", 97)  # many chunks, some read in bulk, some not
    games = random_games(seed)
    if seed % 2:
        games[150]["judge"] = "j"  # FastChat's string judge: valid, read by from_dict (one chunk only)
        games[150]["prompt"] = "pair-v2"
    path = write(tmp_path / "j_pair.jsonl", [json.dumps(g) for g in games])
    table = load_game_table(path)
    records = load_pair_games(path)
    assert len(table) == len(records) == 400
    pd.testing.assert_frame_equal(table, game_frame(records))

    latest = latest_games(records)
    got = games_from_frame(latest_game_table(table))
    assert [(g.model_1, g.model_2, g.game, g.winner, g.status, dict(g.answer_hashes)) for g in got] == [
        (g.model_1, g.model_2, g.game, g.winner, g.status, dict(g.answer_hashes)) for g in latest
    ]
    rows = pair_rows_from_games(records)
    joined = join_games(table)
    labels = ["model_1", "model_2", "tie", "error"]
    assert [(joined.models[a], joined.models[b], labels[x], labels[y]) for a, b, x, y in zip(
        joined.model_1, joined.model_2, joined.g1, joined.g2, strict=True
    )] == [(r["model_1"], r["model_2"], r["g1_winner"], r["g2_winner"]) for r in rows]  # fmt: skip
    assert table["strong"].any()
    kept = latest_game_table(table)
    for part in (kept, kept.iloc[::3].reset_index(drop=True)):  # a latest table, or rows of one: joined alike
        told, found = join_games(part, latest=True), join_games(part)
        assert all(
            np.array_equal(getattr(told, f), getattr(found, f)) for f in ("qid", "model_1", "g1", "g2", "strong")
        )
        assert (told.models, told.questions) == (found.models, found.questions)
    for baseline in (None, "a"):
        for weight in (1, 3):
            by_table_t = pairwise_table(table, baseline, weight)
            by_records_t = pairwise_table(records, baseline, weight)
            assert to_records(by_table_t) == to_records(by_records_t)
            assert to_records(by_table_t.consistency) == to_records(by_records_t.consistency)
        by_table, by_records = comparisons(table, baseline), comparisons(list(records), baseline)
        assert by_table.models == by_records.models and by_table.questions == by_records.questions
        assert by_table.n_excluded == by_records.n_excluded
        for name in ("question", "turn", "model_1", "model_2", "outcome", "consistent", "strong"):
            assert np.array_equal(getattr(by_table, name), getattr(by_records, name)), name
        weighted_t, weighted_r = by_table.weighted(3), by_records.weighted(3)
        assert len(weighted_t) == len(by_table) + 2 * int(by_table.strong.sum())
        for name in ("question", "model_1", "model_2", "outcome", "strong"):
            assert np.array_equal(getattr(weighted_t, name), getattr(weighted_r, name)), name


def test_strong_is_or_of_the_latest_ok_games() -> None:
    g: dict[str, Any] = {"question_id": 1, "model_1": "a", "model_2": "b", "turn": 1, "judge": "j", "prompt": "p"}
    strong_then_plain = [
        PairGame(game=1, winner="model_1", strong=True, **g),
        PairGame(game=2, winner="model_1", **g),
    ]
    assert join_games(strong_then_plain).strong.tolist() == [True]
    superseded = [*strong_then_plain, PairGame(game=1, winner="model_1", **g)]  # the last record of game 1 wins
    assert join_games(superseded).strong.tolist() == [False]
    failed = [PairGame(game=1, winner=None, status="failed", strong=True, **g), PairGame(game=2, winner="model_1", **g)]
    assert join_games(failed).strong.tolist() == [False]
    t = pairwise_table(strong_then_plain, strong_weight=3)
    assert to_records(t)[0]["win"] == 3 and to_records(t)[0]["n"] == 3
    assert to_records(t.consistency) == [{"judge": "j", "consistent": 1, "n": 1, "rate": 1.0}]


def test_a_cache_of_an_older_layout_is_not_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(game_table_module, "COLUMN_CACHE_MIN_ROWS", 0)
    import hashlib

    from judgebench.storage import columns_cache

    path = write(tmp_path / "j_pair.jsonl", [json.dumps(g) for g in random_games(7, 100)])
    data = path.read_bytes()
    fresh = load_game_table(path)
    assert fresh["strong"].any()
    stale = fresh.assign(strong=False)  # what a cache from before ``strong`` would give back
    with monkeypatch.context() as m:
        m.setattr(columns_cache, "_LAYOUT", "judgebench.game_columns/1")
        columns_cache.write_column_cache(path, len(data), hashlib.sha256(data).hexdigest(), stale)
    pd.testing.assert_frame_equal(load_game_table(path), game_frame(load_pair_games(path)))


def test_stale_rows_are_those_the_record_test_finds(tmp_path: Path) -> None:
    games = random_games(7)
    path = write(tmp_path / "j_pair.jsonl", [json.dumps(g) for g in games])
    now = CurrentAnswers(
        {
            "a": {"1": ("x", "y"), "2": ("x",)},
            "b": {"1": ("x", "y"), "3": ()},
            "zz": {"1": ("x",)},
        }
    )
    h1 = answer_hash(["x"])
    games[0] |= {"question_id": 1, "turn": 1, "answer_hashes": {games[0]["model_1"]: h1}}
    path = write(tmp_path / "j_pair.jsonl", [json.dumps(g) for g in games])
    records = load_pair_games(path)
    expected = [now.is_stale(g) for g in records]
    assert now.stale_games(load_game_table(path)).tolist() == expected
    assert 0 < sum(expected) < len(expected)


BAD = [
    ('{"question_id": 1, "model_1": "a", "model_2": "b", "turn": 1, "game": 3, "judge": ["j", "p"], "winner": "tie"}'),
    ('{"question_id": 1, "model_1": "a", "model_2": "b", "turn": 0, "game": 1, "judge": ["j", "p"], "winner": "tie"}'),
    ('{"question_id": true, "model_1": "a", "model_2": "b", "turn": 1, "game": 1, "judge": ["j", "p"]}'),
    ('{"question_id": 1, "model_2": "b", "turn": 1, "game": 1, "judge": ["j", "p"], "winner": "tie"}'),
    ('{"question_id": 1, "model_1": "a", "model_2": "b", "turn": 1, "game": 1, "judge": ["j"], "winner": "tie"}'),
    ('{"question_id": 1, "model_1": "a", "model_2": "b", "turn": 1, "game": 1, "judge": ["j", "p"], "winner": "A"}'),
    ('{"question_id": 1, "model_1": "a", "model_2": "b", "turn": 1, "game": 1, "judge": ["j", "p"], "status": "ok"}'),
    ('{"question_id": 1, "model_1": "a", "model_2": "b", "turn": 1, "game": 1, "judge": ["j", "p"], "status": "odd"}'),
    (
        '{"question_id": 1, "model_1": "a", "model_2": "b", "turn": 1, "game": 1, "judge": ["j", "p"], '
        '"winner": "tie", "answer_hashes": {"a": 3}}'
    ),
    "[1, 2]",
    '{"question_id": 1, "model_1": "a",',
    '{"question_id": 1, "model_1": "a", "model_2": "b", "turn": 1, "game": 1, "judge": ["j", "p"], "winner": NaN}',
]


@pytest.mark.parametrize("bad", BAD)
def test_a_bad_line_gives_the_record_readers_error(tmp_path: Path, bad: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(game_table_module, "GAME_TABLE_CHUNK", 50)
    good = [json.dumps(g) for g in random_games(1, 120)]
    path = write(tmp_path / "j_pair.jsonl", [*good[:107], bad, *good[107:]])
    assert "j_pair.jsonl:108" in same_error_both_ways(path)


def test_torn_last_line_and_blank_lines_read_alike(tmp_path: Path) -> None:
    good = [json.dumps(g) for g in random_games(2, 30)]
    path = tmp_path / "j_pair.jsonl"
    path.write_text("\n".join(good[:10]) + "\n\n  \n" + "\n".join(good[10:]) + '\n{"question_id": 1, "mod', "utf-8")
    warned: list[str] = []
    table = load_game_table(path, warn=warned.append)
    from_records: list[str] = []
    pd.testing.assert_frame_equal(table, game_frame(load_pair_games(path, warn=from_records.append)))
    assert len(table) == 30 and warned == from_records and len(warned) == 1 and ":33:" in warned[0]


def test_an_empty_file_is_an_empty_table(tmp_path: Path) -> None:
    path = tmp_path / "j_pair.jsonl"
    path.write_text("")
    table = load_game_table(path)
    assert len(table) == 0 and to_records(pairwise_table(table)) == []
    assert len(comparisons(table)) == 0
    assert list(table.columns) == list(game_frame([]).columns)


def test_a_pair_game_field_added_to_the_spec_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    from judgebench.records import columns

    extra = columns.Field("attempts", (int,), dtype="int64")
    monkeypatch.setattr(columns, "PAIR_GAME_FIELDS", (*columns.PAIR_GAME_FIELDS, extra))
    monkeypatch.setattr(columns, "GAME_COLUMNS", (*columns.GAME_COLUMNS, "attempts"))
    d = {"question_id": 1, "model_1": "a", "model_2": "b", "turn": 1, "game": 1, "judge": ["j", "p"], "winner": "tie"}
    cols = columns.game_columns([d | {"attempts": 2}])
    assert cols is not None and cols["attempts"] == [2]
    table = columns.game_frame(cols)
    assert table["attempts"].tolist() == [2]
    assert columns.game_frame([PairGame.from_dict(d | {"attempts": 3})])["attempts"].tolist() == [3]


def test_group_commit_puts_each_line_on_disk_before_its_caller_goes_on(tmp_path: Path) -> None:
    import asyncio

    from judgebench.storage import JsonlAppender

    path = tmp_path / "out.jsonl"

    async def one(out: JsonlAppender, n: int) -> None:
        await asyncio.sleep(0)
        out.stage({"n": n})
        await out.commit()
        assert f'{{"n":{n}}}\n' in path.read_text()  # durable before the caller's next step

    async def main() -> None:
        with JsonlAppender(path) as out:
            async with asyncio.TaskGroup() as group:
                for n in range(300):
                    group.create_task(one(out, n))

    asyncio.run(main())
    assert sorted(json.loads(line)["n"] for line in path.read_text().splitlines()) == list(range(300))


def test_staged_lines_are_written_when_the_appender_closes(tmp_path: Path) -> None:
    from judgebench.storage import JsonlAppender

    path = tmp_path / "out.jsonl"

    def stopped_run() -> None:
        with JsonlAppender(path) as out:
            out.stage({"n": 1})
            raise KeyError("the run stopped")

    with pytest.raises(KeyError):
        stopped_run()
    assert path.read_text() == '{"n":1}\n'


def test_the_column_cache_is_used_only_while_the_file_is_unchanged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(game_table_module, "COLUMN_CACHE_MIN_ROWS", 0)
    import hashlib

    from judgebench.storage.columns_cache import CACHE_SUFFIX, write_column_cache

    raw = random_games(3, 200)
    raw[7]["answer_hashes"] = {raw[7]["model_1"]: "h1", "zz": "h4"}  # an entry of neither side: kept as a dict
    games = [json.dumps(g) for g in raw]
    path = write(tmp_path / "j_pair.jsonl", games)
    cache = path.with_name(path.name + CACHE_SUFFIX)
    first = load_game_table(path)
    assert cache.is_file()
    data = path.read_bytes()
    write_column_cache(path, len(data), hashlib.sha256(data).hexdigest(), first.iloc[:3])
    assert len(load_game_table(path)) == 3  # what a current cache holds is what is read
    write_column_cache(path, len(data), hashlib.sha256(data).hexdigest(), first)
    cached = load_game_table(path)
    pd.testing.assert_frame_equal(cached, game_frame(load_pair_games(path)))
    assert cached["hash_other"][7] == {"zz": "h4"} and cached["hash_1"][7] == "h1"

    with path.open("a") as f:  # an append invalidates it
        f.write(json.dumps(random_games(4, 1)[0]) + "\n")
    appended = load_game_table(path)
    assert len(appended) == 201
    pd.testing.assert_frame_equal(appended, game_frame(load_pair_games(path)))

    edited = path.read_text().replace('"turn": 1', '"turn": 2', 1)  # so does an edit of the same size
    path.write_text(edited)
    pd.testing.assert_frame_equal(load_game_table(path), game_frame(load_pair_games(path)))

    cache.write_bytes(b"not an npz")  # a broken cache is ignored and rewritten
    pd.testing.assert_frame_equal(load_game_table(path), game_frame(load_pair_games(path)))
    assert cache.read_bytes()[:2] == b"PK"


def test_a_torn_file_is_not_cached_so_it_warns_every_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(game_table_module, "COLUMN_CACHE_MIN_ROWS", 0)
    from judgebench.storage.columns_cache import CACHE_SUFFIX

    path = tmp_path / "j_pair.jsonl"
    path.write_text("\n".join(json.dumps(g) for g in random_games(5, 5)) + '\n{"question_id": 1, "mod')
    for _ in range(2):
        warned: list[str] = []
        assert len(load_game_table(path, warn=warned.append)) == 5
        assert len(warned) == 1
    assert not path.with_name(path.name + CACHE_SUFFIX).exists()


def test_the_callers_work_beside_the_parse_runs_once_on_every_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A report imports its statistics there: once whether the file is parsed, cached or read record by record."""
    monkeypatch.setattr(game_table_module, "COLUMN_CACHE_MIN_ROWS", 0)
    games = random_games(5, 50)
    path = write(tmp_path / "j_pair.jsonl", [json.dumps(g) for g in games])
    unusual = write(tmp_path / "k_pair.jsonl", [json.dumps(g | {"judge": "j"}) for g in games])  # FastChat's judge
    calls: list[str] = []
    for file, how in ((path, "parsed"), (path, "cached"), (unusual, "by record")):
        table = load_game_table(file, while_parsing=lambda how=how: calls.append(how))
        assert len(table) == 50
    assert calls == ["parsed", "cached", "by record"]
    assert path.with_name(path.name + ".columns.npz").is_file()
