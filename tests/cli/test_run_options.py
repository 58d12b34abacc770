"""``run`` takes every option of the steps it chains, under the same name and help, and each reaches its step."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import pytest
import typer
from builders import write_questions
from clirun import judgebench
from llm_server import Behaviour, LLMServer
from typer.core import TyperGroup, TyperOption

from judgebench.cli import app
from judgebench.cli.groups import group, takes
from judgebench.pipeline.answer_job import AnswerJob
from judgebench.pipeline.judge_job import JudgeJob
from judgebench.providers import LocalOptions

NOT_IN_RUN = {
    "gen-answers": {"--name", "--dry-run"},  # one name cannot file several models; judging needs real answers
    "judge": {"--dry-run", "--temperature", "--max-tokens"},  # run's --temperature/--max-tokens are the answers'
}
OWN_HELP = {"--model"}  # run's --model names the models it answers and then judges


def options(command: str) -> dict[str, TyperOption]:
    """The options of ``judgebench COMMAND`` by long name, read from the click command typer builds."""
    group = typer.main.get_command(app)
    assert isinstance(group, TyperGroup)
    params = group.commands[command].params
    return {next(o for o in p.opts if o.startswith("--")): p for p in params if isinstance(p, TyperOption)}


@pytest.mark.parametrize("step", ["gen-answers", "judge"])
def test_run_takes_every_option_of_the_steps_it_chains(step: str) -> None:
    run, chained = options("run"), options(step)
    shared = set(chained) - NOT_IN_RUN[step]
    assert sorted(shared - set(run)) == []
    for name in sorted(shared - OWN_HELP):
        assert (run[name].opts, run[name].help) == (chained[name].opts, chained[name].help), name
        assert run[name].default == chained[name].default, name


def test_run_help_lists_them(tmp_path: Path) -> None:
    proc = judgebench("run", "--help", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    chained = (set(options("gen-answers")) - NOT_IN_RUN["gen-answers"]) | (set(options("judge")) - NOT_IN_RUN["judge"])
    assert len(chained) == 44
    assert sorted(name for name in chained if name not in proc.stdout) == []


def test_defaults_are_the_jobs(tmp_path: Path) -> None:
    answers, judge = options("gen-answers"), options("judge")
    assert answers["--max-tokens"].default == AnswerJob.max_tokens == 1024
    assert judge["--max-tokens"].default == JudgeJob.max_tokens == 2048
    assert judge["--batch-wait"].default == JudgeJob.batch_wait == 86400.0
    assert {answers["--max-attempts"].default, judge["--max-attempts"].default} == {6}
    assert options("run")["--engine"].default == LocalOptions.engine == "transformers"


def test_run_timeout_and_max_attempts_reach_the_calls(tmp_path: Path, llm_server: LLMServer) -> None:
    qfile = write_questions(tmp_path / "mini.jsonl", n=1)
    llm_server.script(Behaviour(status=500), Behaviour(delay=120))  # one 500, then a reply slower than --timeout
    proc = judgebench(
        "run", "-m", "openai/a", "-j", "openai/judge", "-q", str(qfile), "--base-url", llm_server.base_url,
        "--max-attempts", "2", "--timeout", "1", cwd=tmp_path,
    )  # fmt: skip
    assert len(llm_server.requests) == 2  # --max-attempts 2: the answer's call is tried twice, then given up
    reasons = [line for line in proc.stderr.splitlines() if line.startswith("question ")]
    assert len(reasons) == 1, proc.stderr
    assert reasons[0].startswith("question 1: turn 1: gave up after 2 attempts: APITimeoutError"), reasons
    assert proc.returncode == 2  # nothing to report: the one answer failed
    assert proc.stderr.splitlines()[-1].startswith("error: --judge openai/judge: no judgments in"), proc.stderr


def test_run_local_options_reach_the_local_models_job(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """--engine and --num-workers (and --timeout, --max-attempts) are in the jobs ``run`` builds, local ones only
    where the model is local."""
    import judgebench.cli.run as run_module

    built: list[AnswerJob | JudgeJob] = []

    class Ran:
        failed = 0
        cost_usd = 0.0

    def answer(job: AnswerJob, *, verbose: bool = False) -> Ran:
        built.append(job)
        return Ran()

    def judge_all(judges: tuple[str, ...], job: JudgeJob, *, verbose: bool = False) -> int:
        built.append(job)
        return 0

    monkeypatch.setattr(run_module, "answer", answer)
    monkeypatch.setattr(run_module, "judge_all", judge_all)
    monkeypatch.setattr(run_module, "run_report", lambda job, fmt: None)
    proc = judgebench(
        "run", "-m", "hf/./ckpt", "-j", "fake/judge", "--engine", "vllm", "--num-workers", "2",
        "--timeout", "7.5", "--max-attempts", "3", "--reasks", "4", "--num-choices", "2", cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    answers, judging = built
    assert isinstance(answers, AnswerJob)
    assert isinstance(judging, JudgeJob)
    assert (answers.model, answers.num_choices, answers.max_tokens) == ("hf/./ckpt", 2, 1024)
    assert (answers.provider_options.local.engine, answers.provider_options.local.num_workers) == ("vllm", 2)
    assert (judging.judge, judging.reasks, judging.max_tokens, judging.temperature) == ("fake/judge", 4, 2048, 0.0)
    assert judging.provider_options.local == LocalOptions()  # the judge is an API model: no local settings
    for job in built:
        assert (job.provider_options.timeout, job.retry.max_attempts) == (7.5, 3)


def test_an_option_declared_twice_is_refused() -> None:
    def command(limit: int = 2, **options: Any) -> None:
        """A command with an option of its own that a group declares too."""

    with pytest.raises(TypeError, match="command: parameters named twice: limit"):
        takes(group(limit=(int, 1), seed=(int, 0)))(command)
    assert list(inspect.signature(takes(group(seed=(int, 0)))(command)).parameters) == ["limit", "seed"]
