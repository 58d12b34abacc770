"""Where ``validate-judge`` finds the MT-Bench human-judgment release that ``datasets pull mt-bench-human`` left."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from judgebench.storage import data_dir

__all__ = ["HUMAN_BENCH", "file_release_answers", "human_votes_path"]

HUMAN_BENCH = "mt-bench-human"
"""The bench ``datasets pull mt-bench-human`` files the voted answers under."""


def human_votes_path(split: Literal["human", "gpt4_pair"]) -> Path:
    """``<data dir>/datasets/mt-bench-human/votes/<split>.jsonl``, where ``datasets pull`` leaves them."""
    return data_dir() / "datasets" / HUMAN_BENCH / "votes" / f"{split}.jsonl"


def file_release_answers(results_dir: Path) -> dict[str, int]:
    """File the pulled release's voted answers under ``results_dir/mt-bench-human/answers`` when none are there.

    ``datasets pull mt-bench-human`` files them under the results dir it ran with;
    ``validate-judge`` run from another folder or with another ``--results-dir``
    files them here from the pulled copy (as the pull did, with
    :func:`judgebench.storage.fastchat.import_fastchat`) instead of stopping
    with "no answers".

    Returns:
        answers filed per model; ``{}`` when the results dir already has answers
        for the bench or the release is not pulled.

    Raises:
        UsageError: a results file of the bench exists with other content.
        DataError: a bad line in the pulled answers (``file:line``).
    """
    release = human_votes_path("human").parent.parent
    answers = results_dir / HUMAN_BENCH / "answers"
    if any(answers.glob("*.jsonl")) or not (release / "model_answer").is_dir():
        return {}
    from judgebench.storage.fastchat import import_fastchat

    return dict(import_fastchat(release, results_dir, HUMAN_BENCH).answers)
