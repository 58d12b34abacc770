"""Presets: one option that sets a whole published judging setup (``judge --preset``).

``mt-bench`` reproduces MT-Bench as FastChat's ``llm_judge`` scores it
(Zheng et al., 2023; ``fastchat/llm_judge/gen_judgment.py``):

- questions: the pulled ``mt-bench`` set, unless ``--questions`` names another
  bench (an imported one, say);
- references: the ``gpt-4`` reference answers (FastChat looks them up under
  the judge's name, ``gpt-4``);
- prompts: FastChat's own ``judge_prompts.jsonl`` as pulled with ``judgebench
  datasets pull mt-bench``, picked per category and turn by FastChat's names
  (:data:`judgebench.judging.FASTCHAT_PROMPT_NAMES`) for FastChat's
  reference-guided categories (:data:`judgebench.judging.FASTCHAT_REFERENCE_CATEGORIES`)
  and rendered verbatim, so the judge receives FastChat's exact messages;
- judge: ``openai/gpt-4`` unless ``--judge`` names another, at temperature 0
  with 2048 reply tokens, and no re-asks (FastChat asks once).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from judgebench.errors import UsageError
from judgebench.judging import FASTCHAT_REFERENCE_CATEGORIES
from judgebench.pipeline.judge_plan import DEFAULT_PROMPTS, JudgeJob
from judgebench.storage import DEFAULT_QUESTION_SET, DEFAULT_REFERENCE_SET, data_dir

__all__ = ["PRESETS", "Preset", "apply_preset"]


@dataclass(frozen=True)
class Preset:
    """A published judging setup.

    Attributes:
        name: the ``--preset`` value.
        dataset: the pulled dataset holding its questions and prompt file.
        prompts_file: the prompt file inside that dataset's folder.
        judge: the judge used unless ``--judge`` names one.
        references: the reference set (a file of ``reference_answer/``).
    """

    name: str
    dataset: str
    prompts_file: str
    judge: str
    references: str


PRESETS: dict[str, Preset] = {
    "mt-bench": Preset("mt-bench", "mt-bench", "judge_prompts.jsonl", "openai/gpt-4", DEFAULT_REFERENCE_SET),
}


def apply_preset(job: JudgeJob) -> JudgeJob:
    """``job`` with its preset's settings filled in (options the user gave are kept).

    Args:
        job: a job whose ``preset`` is set (returned unchanged when it is not);
            an empty ``judge`` takes the preset's.

    Raises:
        UsageError: unknown preset, or its dataset has not been pulled.
    """
    if job.preset is None:
        return job
    if job.preset not in PRESETS:
        raise UsageError(f"--preset {job.preset!r}: unknown; available: {', '.join(sorted(PRESETS))}")
    preset = PRESETS[job.preset]
    prompts = data_dir() / "datasets" / preset.dataset / preset.prompts_file
    if job.prompts == DEFAULT_PROMPTS and not prompts.is_file():
        raise UsageError(
            f"--preset {preset.name}: {prompts} is missing — run 'judgebench datasets pull {preset.dataset}' "
            f"first, or pass FastChat's prompt file with --prompts PATH/{preset.prompts_file}"
        )
    return replace(
        job,
        judge=job.judge or preset.judge,
        questions=preset.dataset if job.questions == DEFAULT_QUESTION_SET else job.questions,
        prompts=str(prompts) if job.prompts == DEFAULT_PROMPTS else job.prompts,
        references=job.references or preset.references,
        reference_categories=FASTCHAT_REFERENCE_CATEGORIES,
        reasks=0,
    )
