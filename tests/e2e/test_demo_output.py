"""What a newcomer sees: the tiny-model caveat travels with its numbers; library chatter waits for -v."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from builders import write_questions
from clirun import judgebench

from judgebench.cli.progress import share_verbose
from judgebench.cli.render import configure_logging
from judgebench.pipeline import AnswerJob, gen_answers
from judgebench.pipeline.judge import JudgeJob, judge
from judgebench.providers.fake import FakeProvider

CAVEAT = "local/gemma-3-270m: tiny base model, not for conclusions — these numbers show the pipeline working"


@pytest.mark.parametrize(("judge_id", "caveats"), [("local/gemma-3-270m", 2), ("fake/judge", 0)])
def test_tiny_model_numbers_carry_the_caveat_in_tables_and_html(tmp_path: Path, judge_id: str, caveats: int) -> None:
    qfile = write_questions(tmp_path / "bench.jsonl", n=3)
    results = tmp_path / "results"
    gen_answers(AnswerJob(model="fake/a", questions=str(qfile), results_dir=results), provider=FakeProvider("a"))
    job = JudgeJob(judge=judge_id, questions=str(qfile), results_dir=results, verdict="text")
    assert judge(job, provider=FakeProvider("judge", reply=lambda m: "[[7]]")).judged == 6
    shown = judgebench("report", "-q", str(qfile), "--html", "report.html", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    # under the grades table and the per-category table
    assert shown.stdout.count(CAVEAT) == caveats
    assert (tmp_path / "report.html").read_text(encoding="utf-8").count(CAVEAT) == caveats
    markdown = judgebench("report", "-q", str(qfile), "-f", "markdown", cwd=tmp_path)
    assert markdown.stdout.count(CAVEAT) == caveats


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    logging.captureWarnings(False)  # in-process CLI runs of other tests may have left it on
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    logging.getLogger("judgebench").setLevel(logging.NOTSET)
    logging.captureWarnings(False)


@pytest.mark.usefixtures("restore_logging")
@pytest.mark.parametrize(("verbose", "shown"), [(0, False), (1, True)])
def test_library_warnings_show_only_with_verbose(capsys: pytest.CaptureFixture[str], verbose: int, shown: bool) -> None:
    pytest.importorskip("transformers")
    from judgebench.providers.hf import route_library_output

    configure_logging(verbose)
    route_library_output()  # what loading a local model does
    with warnings.catch_warnings():
        warnings.simplefilter("always")  # this test's warning is the subject, not a failure
        warnings.warn("a library's note", FutureWarning, stacklevel=1)
    logging.getLogger("transformers.modeling_utils").warning("a transformers note")
    err = capsys.readouterr().err
    assert ("a library's note" in err) is shown
    assert ("WARNING transformers.modeling_utils: a transformers note" in err) is shown
    assert logging.getLogger("judgebench").isEnabledFor(logging.INFO) is shown


@pytest.mark.usefixtures("restore_logging")
def test_a_commands_verbose_flag_and_the_global_one_agree() -> None:
    configure_logging(0)
    assert share_verbose(False) is False
    assert share_verbose(True) is True  # gen-answers -v: also lets library notes through
    assert logging.getLogger("judgebench").isEnabledFor(logging.INFO)
    assert share_verbose(False) is True  # judgebench -v gen-answers: every retry printed too
