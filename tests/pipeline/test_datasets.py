"""`datasets pull` against a local HTTP server that serves the real MT-Bench files."""

from __future__ import annotations

import functools
import http.server
import json
import shutil
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from builders import MTBENCH, human_vote_row
from clirun import judgebench

from judgebench.errors import DownloadError, UnknownQuestionSetError
from judgebench.pipeline.datasets import DATASETS, FASTCHAT_COMMIT, MT_BENCH_HUMAN_REVISION, pull
from judgebench.storage import load_answers, load_pair_games, load_votes, resolve_question_set


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def mirror(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """Serve a copy of the upstream FastChat layout built from ../shared/mtbench."""
    if not MTBENCH.is_dir():
        pytest.skip("../shared/mtbench is not beside the repo")
    root = tmp_path / "upstream"
    (root / "mt_bench" / "reference_answer").mkdir(parents=True)
    shutil.copy(MTBENCH / "question.jsonl", root / "mt_bench" / "question.jsonl")
    shutil.copy(MTBENCH / "reference_answer" / "gpt-4.jsonl", root / "mt_bench" / "reference_answer" / "gpt-4.jsonl")
    shutil.copy(MTBENCH / "judge_prompts.jsonl", root / "judge_prompts.jsonl")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", root
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "data"
    monkeypatch.setenv("JUDGEBENCH_DATA_DIR", str(folder))
    return folder


def test_pull_verifies_and_makes_mt_bench_usable(mirror: tuple[str, Path], data_dir: Path) -> None:
    url, _ = mirror
    with pytest.raises(UnknownQuestionSetError, match="judgebench datasets pull mt-bench"):
        resolve_question_set("mt-bench")
    result = pull("mt-bench", mirror=url)
    assert sorted(result.downloaded) == [
        "judge_prompts.jsonl",
        "question.jsonl",
        "reference_answer/gpt-4.jsonl",
    ]
    assert (data_dir / "datasets" / "mt-bench" / "question.jsonl").is_file()
    qset = resolve_question_set("mt-bench")
    assert qset.name == "mt-bench"
    assert len(qset.questions) == 80
    by_id = {q.question_id: q for q in qset.questions}
    # References come from the GPT-4 reference-answer file, both turns.
    math = [q for q in qset.questions if q.category == "math"]
    assert len(math) == 10
    assert all(q.reference is not None and len(q.reference) == 2 for q in math)
    assert by_id[81].category == "writing"
    # A second pull finds verified files and downloads nothing.
    again = pull("mt-bench", mirror=url)
    assert again.downloaded == ()
    assert len(again.already_present) == 3


def test_checksum_mismatch_saves_nothing(mirror: tuple[str, Path], data_dir: Path) -> None:
    url, root = mirror
    question = root / "mt_bench" / "question.jsonl"
    question.write_bytes(question.read_bytes().replace(b"Hawaii", b"Hawai'i", 1))
    with pytest.raises(DownloadError, match="does not match the pinned"):
        pull("mt-bench", mirror=url)
    folder = data_dir / "datasets" / "mt-bench"
    assert not (folder / "question.jsonl").exists()
    assert [p.name for p in folder.iterdir()] == []  # no temporary leftovers


def test_missing_file_is_a_clear_error(mirror: tuple[str, Path], data_dir: Path) -> None:
    url, root = mirror
    (root / "judge_prompts.jsonl").unlink()
    with pytest.raises(DownloadError, match=r"judge_prompts\.jsonl: HTTP 404"):
        pull("mt-bench", mirror=url)


def test_unreachable_server_is_a_clear_error(data_dir: Path) -> None:
    with pytest.raises(DownloadError, match="ConnectError"):
        pull("mt-bench", mirror="http://127.0.0.1:9/", timeout=2)


def test_pinned_hashes_match_the_published_files() -> None:
    if not MTBENCH.is_dir():
        pytest.skip("../shared/mtbench is not beside the repo")
    import hashlib

    for file in DATASETS["mt-bench"].files:
        local = MTBENCH / file.target
        assert hashlib.sha256(local.read_bytes()).hexdigest() == file.sha256


def test_upstream_urls_are_pinned_to_a_commit() -> None:
    """A branch name would let a checksum break by itself; every URL names a commit or revision."""
    for dataset in DATASETS.values():
        for file in dataset.files:
            base = file.base_url or dataset.base_url
            assert "/main/" not in base and "/master/" not in base, (dataset.name, base)
            assert FASTCHAT_COMMIT in base or MT_BENCH_HUMAN_REVISION in base


def _serve(root: Path) -> tuple[str, Callable[[], None]]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join()

    return f"http://127.0.0.1:{server.server_address[1]}/", stop


def test_pull_vicuna_bench(tmp_path: Path, data_dir: Path) -> None:
    if not (MTBENCH / "vicuna_bench").is_dir():
        pytest.skip("../shared/mtbench is not beside the repo")
    root = tmp_path / "upstream"
    shutil.copytree(MTBENCH / "vicuna_bench", root / "vicuna_bench")
    shutil.copy(MTBENCH / "judge_prompts.jsonl", root / "judge_prompts.jsonl")
    url, stop = _serve(root)
    try:
        result = pull("vicuna-bench", mirror=url)
    finally:
        stop()
    assert sorted(result.downloaded) == ["judge_prompts.jsonl", "question.jsonl", "reference_answer/gpt-4.jsonl"]
    qset = resolve_question_set("vicuna-bench")
    assert (qset.name, len(qset.questions)) == ("vicuna-bench", 80)
    assert {len(q.turns) for q in qset.questions} == {1}
    assert len({q.category for q in qset.questions}) == 9
    with_refs = [q for q in qset.questions if q.reference is not None]
    assert [q.question_id for q in with_refs] == list(range(61, 71))
    assert {q.category for q in with_refs} == {"coding", "math"}
    assert qset.references == "reference_answer/gpt-4.jsonl (10 questions)"


def _human_release(root: Path) -> dict[str, bytes]:
    """Small parquet files with the release's columns and labels (built here with pandas/pyarrow)."""
    import pandas as pd

    human = [
        human_vote_row(81, "gpt-4", "llama-13b", "model_a", "expert_0", 1),
        human_vote_row(81, "gpt-4", "llama-13b", "tie (bothbad)", "expert_1", 2),
        human_vote_row(82, "claude-v1", "gpt-4", "tie", "author_2", 1),
    ]
    gpt4 = [
        human_vote_row(81, "gpt-4", "llama-13b", "model_a", "gpt4_pair", 1),
        human_vote_row(81, "gpt-4", "llama-13b", "tie (inconsistent)", "gpt4_pair", 2),
        human_vote_row(82, "claude-v1", "gpt-4", "model_b", "gpt4_pair", 1, b_says="differently on"),
    ]
    (root / "data").mkdir(parents=True)
    out = {}
    for name, rows in (
        ("human-00000-of-00001-25f4910818759289", human),
        ("gpt4_pair-00000-of-00001-c0b431264a82ddc0", gpt4),
    ):
        path = root / "data" / f"{name}.parquet"
        pd.DataFrame(rows).to_parquet(path)
        out[name] = path.read_bytes()
    return out


def test_pull_mt_bench_human_files_votes_and_answers(
    mirror: tuple[str, Path], data_dir: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import hashlib

    url, root = mirror
    made = _human_release(root)
    # the test's small release stands in for the real one: pin its checksums
    dataset = DATASETS["mt-bench-human"]
    files = tuple(
        replace(f, sha256=hashlib.sha256(made[Path(f.source).stem]).hexdigest()) if f.source.endswith(".parquet") else f
        for f in dataset.files
    )
    monkeypatch.setitem(DATASETS, "mt-bench-human", replace(dataset, files=files))
    proc = judgebench(
        "datasets", "pull", "mt-bench-human", "--mirror", url, cwd=tmp_path, env={"JUDGEBENCH_DATA_DIR": str(data_dir)}
    )
    assert proc.returncode == 0, proc.stderr
    folder = data_dir / "datasets" / "mt-bench-human"
    assert "answers filed in results/mt-bench-human/answers: claude-v1 (1), gpt-4 (2), llama-13b (1)" in proc.stdout
    assert "1 row(s) showed answers differently from an earlier row; the first row's version was kept" in proc.stderr

    votes = load_votes(folder / "votes" / "gpt4_pair.jsonl")
    assert [(v.question_id, v.turn, v.winner) for v in votes] == [
        (81, 1, "model_a"),
        (81, 2, "tie (inconsistent)"),  # the release's own label, read as it is
        (82, 1, "model_b"),
    ]
    assert [v.winner for v in load_votes(folder / "votes" / "human.jsonl")] == ["model_a", "tie (bothbad)", "tie"]
    gpt4 = load_answers(tmp_path / "results" / "mt-bench-human" / "answers" / "gpt-4.jsonl")
    assert {k: a.choices[0].turns for k, a in gpt4.items()} == {
        "81": ("gpt-4 on 81", "gpt-4 again on 81"),
        "82": ("gpt-4 on 82", "gpt-4 again on 82"),
    }
    qset = resolve_question_set("mt-bench-human")
    assert (len(qset.questions), qset.references) == (80, "reference_answer/gpt-4.jsonl (30 questions)")
    by_id = {q.question_id: q for q in qset.questions}
    assert by_id[81].turns == ("Q81", "Q81b")  # what the voters saw
    assert by_id[81].category == "writing"  # MT-Bench's category
    assert by_id[83].turns[0].startswith("Imagine you are writing a blog post")  # not voted on: MT-Bench's text

    # any judge can be run on exactly the voted items: 3 (question, turn, pair) items x 2 games
    env = {"JUDGEBENCH_DATA_DIR": str(data_dir)}
    votes_file = str(folder / "votes" / "human.jsonl")
    dry = judgebench(
        "judge", "-j", "fake/judge", "-q", "mt-bench-human", "--mode", "pairwise", "--pairs-from", votes_file,
        "--dry-run", cwd=tmp_path, env=env,
    )  # fmt: skip
    assert dry.returncode == 0, dry.stderr
    assert "would make 6 judge calls" in dry.stdout
    run = judgebench(
        "judge", "-j", "fake/judge", "-q", "mt-bench-human", "--mode", "pairwise", "--pairs-from", votes_file,
        cwd=tmp_path, env=env,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    games = load_pair_games(tmp_path / "results" / "mt-bench-human" / "judgments" / "fake__judge_pair.jsonl")
    assert sorted({(g.question_id, g.turn, g.model_1, g.model_2) for g in games}) == [
        (81, 1, "gpt-4", "llama-13b"),
        (81, 2, "gpt-4", "llama-13b"),
        (82, 1, "claude-v1", "gpt-4"),
    ]
    assert len(games) == 6

    # agreement reads the release's labels unchanged: GPT-4 vs the humans on the shared items
    agree = judgebench(
        "agreement", "-q", "mt-bench-human", "--votes", str(folder / "votes" / "human.jsonl"),
        "--votes", str(folder / "votes" / "gpt4_pair.jsonl"), "-a", "gpt4_pair", "-b", "expert_*", "-f", "json",
        "--bootstrap", "0", cwd=tmp_path, env={"JUDGEBENCH_DATA_DIR": str(data_dir)},
    )  # fmt: skip
    assert agree.returncode == 0, agree.stderr
    data = json.loads(agree.stdout)
    assert data["sources"] == {
        "a": "3 votes by 1 voter matching 'gpt4_pair'",
        "b": "2 votes by 2 voters matching 'expert_*'",
    }
    rows = {t["turn"]: (t["n"], t["agree"], t["n_no_tie"]) for t in data["turns"]}
    # turn 2: GPT-4's "tie (inconsistent)" and expert_1's "tie (bothbad)" are both ties, so they agree
    assert rows == {1: (1, 1, 1), 2: (1, 1, 0), "all": (2, 2, 1)}


def test_pull_from_a_local_copy_bad_input(tmp_path: Path, data_dir: Path) -> None:
    from clirun import assert_one_line_error

    copy = tmp_path / "copy"
    copy.mkdir()
    both = judgebench("datasets", "pull", "mt-bench", "--from", str(copy), "--mirror", "http://x/", cwd=tmp_path)
    assert_one_line_error(both, 2, "--from and --mirror: give one")
    alone = judgebench("datasets", "pull", "mt-bench", "--no-verify", cwd=tmp_path)
    assert_one_line_error(alone, 2, "--no-verify is for --from DIR")
    empty = judgebench("datasets", "pull", "mt-bench", "--from", str(copy), cwd=tmp_path)
    assert_one_line_error(empty, 2, "no mt_bench/question.jsonl, ", "copy them there")
    assert not (tmp_path / "data" / "datasets" / "mt-bench").exists()


def test_pull_from_a_verified_local_copy(mirror: tuple[str, Path], data_dir: Path, tmp_path: Path) -> None:
    _, root = mirror  # the upstream layout, published bytes
    proc = judgebench("datasets", "pull", "mt-bench", "--from", str(root), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert f"mt-bench: 3 files copied from {root} and verified" in proc.stdout and "UNVERIFIED" not in proc.stderr
    source = json.loads((tmp_path / "data" / "datasets" / "mt-bench" / "SOURCE.json").read_text())
    assert (source["verified"], source["unverified"]) == (True, {})
    assert len(resolve_question_set("mt-bench").questions) == 80
