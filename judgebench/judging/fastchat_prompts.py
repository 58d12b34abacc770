"""FastChat's own judge prompts, selected and rendered as its ``gen_judgment.py`` does (pure).

FastChat's ``judge_prompts.jsonl`` (``datasets pull mt-bench``) is read into
:class:`~judgebench.records.JudgePrompt` records of ``style`` ``fastchat``.
:func:`judgebench.judging.select_prompt` then picks them by FastChat's names
(:data:`FASTCHAT_PROMPT_NAMES`) and :func:`judgebench.judging.render_single` /
:func:`~judgebench.judging.render_pair` hand them to :func:`render_fastchat`,
which fills them in verbatim, so the judge receives FastChat's exact messages.
The rules (not FastChat's code) are documented here: reference-guided prompts
for the ``NEED_REF_CATS`` categories, ``-multi-turn`` prompts for turn 2 of a
two-turn question, ``ref_answer_1``/``ref_answer_2`` from the reference set.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from judgebench.errors import UsageError
from judgebench.judging.verdicts import JudgeKind
from judgebench.records import JudgePrompt, Message, Question

__all__ = ["FASTCHAT_PROMPT_NAMES", "FASTCHAT_REFERENCE_CATEGORIES", "is_fastchat_set", "render_fastchat"]

FASTCHAT_PROMPT_NAMES: Mapping[tuple[JudgeKind, bool, bool], str] = MappingProxyType(
    {
        ("single", False, False): "single-v1",
        ("single", True, False): "single-math-v1",
        ("single", False, True): "single-v1-multi-turn",
        ("single", True, True): "single-math-v1-multi-turn",
        ("pairwise", False, False): "pair-v2",
        ("pairwise", True, False): "pair-math-v1",
        ("pairwise", False, True): "pair-v2-multi-turn",
        ("pairwise", True, True): "pair-math-v1-multi-turn",
    }
)
"""The names FastChat's ``gen_judgment.py`` picks from its ``judge_prompts.jsonl``, by
``(kind, reference, multi_turn)``: the ``math`` prompts for the reference-guided
categories, the ``multi-turn`` ones for turn 2 (``make_judge_single`` /
``make_judge_pairwise``). Used when the prompt set is FastChat's (``style`` ``fastchat``)."""

FASTCHAT_REFERENCE_CATEGORIES: frozenset[str] = frozenset({"math", "reasoning", "coding", "arena-hard-200"})
"""FastChat's ``NEED_REF_CATS``: categories it judges with the reference-guided prompts."""


def is_fastchat_set(prompts: Mapping[str, JudgePrompt]) -> bool:
    """Whether a prompt set is FastChat's (its prompts are picked by :data:`FASTCHAT_PROMPT_NAMES`)."""
    return bool(prompts) and all(p.style == "fastchat" for p in prompts.values())


def render_fastchat(prompt: JudgePrompt, question: Question, turn: int, answers: Mapping[str, str]) -> list[Message]:
    """FastChat's messages for one judgment, as its ``run_judge_single``/``run_judge_pair`` build them.

    The template is filled verbatim (no markers, nothing neutralised) with
    FastChat's field names: ``question`` and the turn-1 answers, or for its
    multi-turn prompts (turn 2 of a two-turn question) ``question_1``,
    ``question_2`` and both turns of each answer; ``ref_answer_1`` (and
    ``ref_answer_2`` for turn 2) when the prompt is reference-guided. The
    messages are the system prompt (left out when empty, as FastChat's
    conversation template does) and the user message.

    Args:
        prompt: a FastChat prompt record.
        question: the question, with its references.
        turn: 1, or 2 for a two-turn question.
        answers: the answer fields (``answer`` or ``answer_1``/``answer_2``,
            ``answer_a``/``answer_b`` or ``answer_a_1``…``answer_b_2``).

    Raises:
        UsageError: a turn FastChat's prompts do not cover, or a template
            field this judgment does not have.
    """
    if turn > 2 or (turn == 2 and len(question.turns) != 2):
        raise UsageError(
            f"FastChat's judge prompts judge turn 2 of two-turn questions only; question "
            f"{question.question_id!r} turn {turn} cannot be judged with {prompt.name!r} — use judgebench's prompts"
        )
    fields: dict[str, object] = dict(answers)
    if prompt.multi_turn:
        fields.update(question_1=question.turns[0], question_2=question.turns[1])
    else:
        fields["question"] = question.turns[0]
    if prompt.reference and question.reference is not None:
        fields["ref_answer_1"] = question.reference[0]
        if prompt.multi_turn:
            fields["ref_answer_2"] = question.reference[1]
    try:
        user = prompt.template.format_map(fields)
    except (KeyError, ValueError, IndexError, AttributeError) as exc:
        raise UsageError(
            f"judge prompt {prompt.name!r}: its template does not fit FastChat's fields ({exc!r})"
        ) from None
    system = [Message("system", prompt.system_prompt)] if prompt.system_prompt else []
    return [*system, Message("user", user)]
