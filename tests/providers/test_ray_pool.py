"""--num-workers: two local Ray CPU workers, each with its own model copy, the driver writing the store."""

from __future__ import annotations

from pathlib import Path

import pytest
from builders import write_questions

from judgebench.pipeline import AnswerJob, gen_answers
from judgebench.providers import LocalOptions, ProviderOptions, create_provider
from judgebench.storage import load_answers

pytest.importorskip("ray")
pytest.importorskip("transformers")


@pytest.mark.slow
def test_two_ray_workers_answer_like_one_process(tiny_llama: Path, tmp_path: Path) -> None:
    import ray

    qfile = write_questions(tmp_path / "mini.jsonl", n=6)
    model = f"hf/{tiny_llama}"
    local = LocalOptions(dtype="float32", batch_size=4)
    pool = create_provider(model, ProviderOptions(local=LocalOptions(dtype="float32", batch_size=4, num_workers=2)))
    try:
        pids = pool.worker_pids()  # type: ignore[attr-defined]
        assert len(set(pids)) == 2
        job = AnswerJob(model=model, questions=str(qfile), results_dir=tmp_path / "ray", max_tokens=6, temperature=0.0)
        run = gen_answers(job, provider=pool)  # closes the pool, which shuts Ray down
    finally:
        if ray.is_initialized():
            ray.shutdown()
    assert not ray.is_initialized()
    assert (run.answered, run.failed) == (6, 0)
    # the same answers as in-process generation (greedy); resume works on the pool's output
    single = gen_answers(
        AnswerJob(model=model, questions=str(qfile), results_dir=tmp_path / "one", max_tokens=6, temperature=0.0),
        provider=create_provider(model, ProviderOptions(local=local)),
    )
    ray_answers, one_answers = load_answers(run.path), load_answers(single.path)
    assert {k: a.choices for k, a in ray_answers.items()} == {k: a.choices for k, a in one_answers.items()}
    rerun = gen_answers(job, provider=create_provider(model, ProviderOptions(local=local)))
    assert (rerun.skipped, rerun.answered) == (6, 0)
