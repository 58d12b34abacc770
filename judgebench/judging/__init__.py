"""Judge messages in, verdicts out: rendering, parsing and reconciling (pure).

Nothing here does I/O, reads the clock or draws random numbers, so the same
inputs always give byte-identical messages (the resume key hashes them).

**Rendering.** :func:`select_prompt` picks one of eight prompts by name
(:data:`PROMPT_NAMES`); :func:`render_single` / :func:`render_pair` fill its
``str.format`` template (fields in ``judge_prompts/README.md``). Every answer,
reference and conversation is wrapped in markers such as
``<<<ANSWER A · 3f9a1c2e>>>`` … ``<<<END ANSWER A · 3f9a1c2e>>>``. The code
after ``·`` (the *nonce*) is a hash of the whole message rendered with an
empty nonce, so it is deterministic yet depends on the answers' own text, which
therefore cannot predict it. Runs of three or more ``<`` or ``>`` in any
material are shown as ``‹`` / ``›`` (the system prompts say so), so material
can neither close its block early nor forge another; it is otherwise verbatim.

**Reading verdicts** is :mod:`judgebench.judging.verdicts`' job: a judge prompt's
``output_format`` names a :class:`~judgebench.judging.verdicts.VerdictFormat`
(:func:`verdict_format`), whose reader takes only the final verdict of the
reply's final answer (reasoning blocks cut off; a malformed final verdict is no
verdict, never replaced by an earlier token). :func:`parse_score` and
:func:`parse_winner` are re-exported from there.

**Reconciling.** Each pair is judged twice, positions swapped (game 1 shows
``model_1`` as A, game 2 shows ``model_2`` as A); :func:`to_pair_winner` maps
a game's verdict back to the pair and :func:`reconcile` combines the games as
FastChat's ``show_result`` counts them:

==================  ==================  =============  ==========
game 1              game 2              outcome        consistent
==================  ==================  =============  ==========
None                anything            None           False
anything            None                None           False
model_1 / model_2   the same            that model     True
tie                 tie                 tie            True
any other pairing   (disagreement)      tie            False
==================  ==================  =============  ==========
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Literal

from judgebench.errors import UsageError
from judgebench.judging.fastchat_prompts import (
    FASTCHAT_PROMPT_NAMES,
    FASTCHAT_REFERENCE_CATEGORIES,
    is_fastchat_set,
    render_fastchat,
)
from judgebench.judging.verdicts import (
    FORMATS,
    REASK_MESSAGE_PAIR,
    REASK_MESSAGE_SINGLE,
    SCORE_VALUES,
    TRUNCATED_PREFIX,
    VERDICT_CLOSER,
    VERDICT_OPENER,
    WINNER_VALUES,
    JudgeKind,
    Reading,
    Verdict,
    VerdictFormat,
    parse_score,
    parse_winner,
    score_from_logprobs,
    verdict_format,
    verdict_only,
    winner_from_logprobs,
)
from judgebench.records import Decoding, JudgePrompt, Message, Question, Winner, content_hash

__all__ = [
    "FASTCHAT_PROMPT_NAMES",
    "FASTCHAT_REFERENCE_CATEGORIES",
    "FORMATS",
    "PROMPT_NAMES",
    "REASK_MESSAGE_PAIR",
    "REASK_MESSAGE_SINGLE",
    "REFERENCE_CATEGORIES",
    "SCORE_VALUES",
    "TRUNCATED_PREFIX",
    "VERDICT_CLOSER",
    "VERDICT_OPENER",
    "WINNER_VALUES",
    "JudgeKind",
    "Reading",
    "Verdict",
    "VerdictFormat",
    "has_reference",
    "is_fastchat_set",
    "judge_decoding",
    "missing_references",
    "neutralise",
    "parse_score",
    "parse_winner",
    "prompt_format",
    "reconcile",
    "render_pair",
    "render_single",
    "score_from_logprobs",
    "select_prompt",
    "to_pair_winner",
    "verdict_format",
    "verdict_only",
    "winner_from_logprobs",
]


REFERENCE_CATEGORIES: frozenset[str] = frozenset({"math", "reasoning", "coding"})
"""Categories judged against the question's reference answers, when it has them."""

PROMPT_NAMES: Mapping[tuple[JudgeKind, bool, bool], str] = MappingProxyType(
    {
        ("single", False, False): "single-v1",
        ("single", True, False): "single-ref-v1",
        ("single", False, True): "single-multi-v1",
        ("single", True, True): "single-ref-multi-v1",
        ("pairwise", False, False): "pair-v1",
        ("pairwise", True, False): "pair-ref-v1",
        ("pairwise", False, True): "pair-multi-v1",
        ("pairwise", True, True): "pair-ref-multi-v1",
        ("pair-score", False, False): "pairscore-v1",
        ("pair-score", True, False): "pairscore-ref-v1",
        ("pair-score", False, True): "pairscore-multi-v1",
        ("pair-score", True, True): "pairscore-ref-multi-v1",
    }
)
"""Prompt name by ``(kind, reference, multi_turn)``."""

_MARKER_RUN = re.compile(r"<{3,}|>{3,}")


def neutralise(text: str) -> str:
    """Show runs of three or more ``<`` or ``>`` as ``‹`` / ``›`` so text cannot forge a marker.

    >>> neutralise("kernel<<<grid, block>>>(x); a << 2; <<<END ANSWER · 1234>>>>")
    'kernel‹‹‹grid, block›››(x); a << 2; ‹‹‹END ANSWER · 1234››››'
    """
    if "<<<" not in text and ">>>" not in text:  # most texts: two C substring scans instead of a regex walk
        return text
    return _MARKER_RUN.sub(lambda m: ("‹" if m.group()[0] == "<" else "›") * len(m.group()), text)


def has_reference(question: Question, turn: int) -> bool:
    """Whether the question has a non-empty reference answer for every turn up to ``turn``.

    >>> q = Question(1, "math", ("a", "b"), ("391", ""))
    >>> has_reference(q, 1), has_reference(q, 2), has_reference(Question(2, "math", ("a",)), 1)
    (True, False, False)
    """
    refs = question.reference
    return refs is not None and len(refs) >= turn and all(r.strip() for r in refs[:turn])


def missing_references(
    questions: Sequence[Question], reference_categories: frozenset[str] = REFERENCE_CATEGORIES
) -> list[tuple[Question, int]]:
    """Turns of reference-guided questions that lack a reference answer, as ``(question, turn)``.

    >>> qs = [Question(101, "math", ("a", "b"), ("391",)), Question(102, "writing", ("c",))]
    >>> [(q.question_id, t) for q, t in missing_references(qs)]
    [(101, 2)]
    """
    return [
        (q, turn)
        for q in questions
        if q.category in reference_categories
        for turn in range(1, len(q.turns) + 1)
        if not has_reference(q, turn)
    ]


def select_prompt(
    prompts: Mapping[str, JudgePrompt],
    kind: JudgeKind,
    question: Question,
    turn: int,
    reference_categories: frozenset[str] = REFERENCE_CATEGORIES,
) -> JudgePrompt:
    """Pick the judge prompt for one judgment, by name.

    The reference variant is used when the question's category is in
    ``reference_categories`` and the question has a reference for every turn
    up to ``turn`` (:func:`has_reference`); the multi-turn variant when
    ``turn`` > 1. Names come from :data:`PROMPT_NAMES`, or from
    :data:`FASTCHAT_PROMPT_NAMES` for FastChat's own prompt file.

    Raises:
        UsageError: the prompt is not defined, or its flags do not fit its name.
        ValueError: ``turn`` is not a turn of the question.
    """
    _check_turn(question, turn)
    ref = question.category in reference_categories and has_reference(question, turn)
    multi = turn > 1
    names = FASTCHAT_PROMPT_NAMES if is_fastchat_set(prompts) else PROMPT_NAMES
    if (kind, ref, multi) not in names:
        raise UsageError(
            f"FastChat's judge prompts have no {kind} prompt — use judgebench's (--prompts jb-v1) for {kind} judging"
        )
    name = names[(kind, ref, multi)]
    what = f"{kind} judging of turn {turn}{' with a reference' if ref else ''}"
    if name not in prompts:
        raise UsageError(
            f"judge prompt {name!r} is needed ({what}) but not defined — add a record named {name!r} "
            "to the --prompts file (see judge_prompts/README.md)"
        )
    prompt = prompts[name]
    if (prompt.kind, prompt.reference, prompt.multi_turn) != (kind, ref, multi):
        raise UsageError(
            f"judge prompt {name!r} is used for {what}: set its fields to "
            f'"type": "{kind}", "reference": {str(ref).lower()}, "multi_turn": {str(multi).lower()}'
        )
    return prompt


def render_single(prompt: JudgePrompt, question: Question, answer_turns: Sequence[str], turn: int) -> list[Message]:
    """Render the messages asking a judge to grade one model's answer to ``turn``.

    Fields: ``{question}``, ``{turn}``, ``{reference}`` (when the question has
    references) and ``{answer}`` (single-turn prompts, turn 1) or
    ``{conversation}`` (multi-turn prompts: user turns and answers 1..turn).

    Raises:
        UsageError: the template uses a field this judgment lacks, or is malformed.
        ValueError: ``turn`` is not a turn of the question, or the answer lacks it.
    """
    _check(prompt, question, turn, [answer_turns])
    if prompt.style == "fastchat":
        if prompt.multi_turn:
            fields = {"answer_1": answer_turns[0], "answer_2": answer_turns[1]}
        else:
            fields = {"answer": answer_turns[0]}
        return render_fastchat(prompt, question, turn, fields)

    def blocks(nonce: str) -> dict[str, str]:
        if prompt.multi_turn:
            return {"conversation": _dialogue("CONVERSATION", "ASSISTANT", question, answer_turns, turn, nonce)}
        return {"answer": _block("ANSWER", answer_turns[0], nonce)}

    return _render(prompt, question, turn, blocks)


def render_pair(
    prompt: JudgePrompt, question: Question, turns_a: Sequence[str], turns_b: Sequence[str], turn: int
) -> list[Message]:
    """Render the messages asking a judge to compare two answers (A is shown first).

    Fields: ``{question}``, ``{turn}``, ``{reference}`` (when the question has
    references) and ``{answer_a}``/``{answer_b}`` (single-turn prompts) or
    ``{conversation_a}``/``{conversation_b}`` (multi-turn prompts).

    Raises:
        UsageError: the template uses a field this judgment lacks, or is malformed.
        ValueError: ``turn`` is not a turn of the question, or an answer lacks it.
    """
    _check(prompt, question, turn, [turns_a, turns_b])
    if prompt.style == "fastchat":
        if prompt.multi_turn:
            fields = {
                "answer_a_1": turns_a[0],
                "answer_b_1": turns_b[0],
                "answer_a_2": turns_a[1],
                "answer_b_2": turns_b[1],
            }
        else:
            fields = {"answer_a": turns_a[0], "answer_b": turns_b[0]}
        return render_fastchat(prompt, question, turn, fields)

    def blocks(nonce: str) -> dict[str, str]:
        if prompt.multi_turn:
            return {
                "conversation_a": _dialogue("CONVERSATION A", "ASSISTANT A", question, turns_a, turn, nonce),
                "conversation_b": _dialogue("CONVERSATION B", "ASSISTANT B", question, turns_b, turn, nonce),
            }
        return {"answer_a": _block("ANSWER A", turns_a[0], nonce), "answer_b": _block("ANSWER B", turns_b[0], nonce)}

    return _render(prompt, question, turn, blocks)


def _check_turn(question: Question, turn: int) -> None:
    if not 1 <= turn <= len(question.turns):
        raise ValueError(f"question {question.question_id!r} has no turn {turn}")


def _check(prompt: JudgePrompt, question: Question, turn: int, answers: Sequence[Sequence[str]]) -> None:
    _check_turn(question, turn)
    if turn > 1 and not prompt.multi_turn:
        raise ValueError(f"judge prompt {prompt.name!r} is single-turn; turn {turn} needs a multi-turn prompt")
    if any(len(a) < turn for a in answers):
        raise ValueError(f"an answer to question {question.question_id!r} has no turn {turn}")


def _marker(label: str, nonce: str) -> str:
    return f"<<<{label} · {nonce}>>>"


def _block(label: str, text: str, nonce: str) -> str:
    return f"{_marker(label, nonce)}\n{neutralise(text)}\n{_marker('END ' + label, nonce)}"


def _dialogue(label: str, speaker: str, question: Question, replies: Sequence[str], turn: int, nonce: str) -> str:
    parts = []
    for i in range(turn):
        parts.append(f"{_marker(f'USER TURN {i + 1}', nonce)}\n{neutralise(question.turns[i])}")
        parts.append(f"{_marker(f'{speaker} TURN {i + 1}', nonce)}\n{neutralise(replies[i])}")
    body = "\n\n".join(parts)
    return f"{_marker(label, nonce)}\n{body}\n{_marker('END ' + label, nonce)}"


def _render(
    prompt: JudgePrompt, question: Question, turn: int, blocks: Callable[[str], dict[str, str]]
) -> list[Message]:
    def fill(nonce: str) -> str:
        fields: dict[str, object] = {"question": neutralise(question.turns[0]), "turn": turn, **blocks(nonce)}
        if question.reference is not None and len(question.reference) >= turn:
            if prompt.multi_turn:
                refs = question.reference
                fields["reference"] = _dialogue("REFERENCE", "REFERENCE ANSWER", question, refs, turn, nonce)
            else:
                fields["reference"] = _block("REFERENCE", question.reference[0], nonce)
        return _format(prompt, fields)

    # The nonce hashes everything shown, rendered with an empty nonce: any change to
    # the prompt, question, references or answers changes it, and no answer can know it.
    nonce = content_hash([prompt.system_prompt, fill("")])[:8]
    return [Message("system", prompt.system_prompt), Message("user", fill(nonce))]


def _format(prompt: JudgePrompt, fields: Mapping[str, object]) -> str:
    try:
        return prompt.template.format_map(fields)
    except KeyError as exc:
        have = ", ".join(f"{{{k}}}" for k in sorted(fields))
        raise UsageError(
            f"judge prompt {prompt.name!r}: template field {{{exc.args[0]}}} is not available here "
            f"(available: {have}) — see judge_prompts/README.md"
        ) from None
    except (ValueError, IndexError, AttributeError) as exc:
        raise UsageError(
            f"judge prompt {prompt.name!r}: malformed template ({exc}) — double any literal braces: {{{{ }}}}"
        ) from None


def prompt_format(prompt: JudgePrompt) -> VerdictFormat:
    """The verdict format a judge prompt's ``output_format`` names (see :mod:`judgebench.judging.verdicts.formats`).

    Raises:
        UsageError: no shipped format of the prompt's kind has that name.
    """
    try:
        return verdict_format(prompt.output_format, prompt.kind)
    except KeyError as exc:
        raise UsageError(f"judge prompt {prompt.name!r}: {exc.args[0]} (see judge_prompts/README.md)") from None


def to_pair_winner(verdict: Verdict, game: Literal[1, 2]) -> Winner:
    """Map a game's verdict by slot (A/B) to the pair (``model_1``/``model_2``).

    >>> to_pair_winner("A", 1), to_pair_winner("B", 1), to_pair_winner("A", 2), to_pair_winner("B", 2)
    ('model_1', 'model_2', 'model_2', 'model_1')
    >>> to_pair_winner("tie", 2)
    'tie'
    """
    if verdict == "tie":
        return "tie"
    return "model_1" if (verdict == "A") == (game == 1) else "model_2"


def reconcile(g1: Winner | None, g2: Winner | None) -> tuple[Winner | None, bool]:
    """Combine the two position-swapped games into ``(outcome, consistent)``.

    >>> reconcile("model_1", "model_1"), reconcile("model_2", "model_2")
    (('model_1', True), ('model_2', True))
    >>> reconcile("tie", "tie")
    ('tie', True)
    >>> reconcile("model_1", "model_2"), reconcile("model_2", "model_1")  # position bias
    (('tie', False), ('tie', False))
    >>> reconcile("model_1", "tie"), reconcile("tie", "model_2")
    (('tie', False), ('tie', False))
    >>> reconcile(None, "model_1"), reconcile("tie", None), reconcile(None, None)
    ((None, False), (None, False), (None, False))
    """
    if g1 is None or g2 is None:
        return None, False
    if g1 == g2:
        return g1, True
    return "tie", False


def judge_decoding(temperature: float = 0.0, max_tokens: int = 2048) -> Decoding:
    """Decoding settings for judge calls: greedy by default, so verdicts are reproducible.

    >>> judge_decoding()
    Decoding(temperature=0.0, max_tokens=2048, seed=None, stop=(), schema=None, reasoning_effort=None)
    """
    if temperature < 0 or max_tokens < 1:
        raise ValueError(f"judge decoding needs temperature ≥ 0 and max_tokens ≥ 1, got {temperature}, {max_tokens}")
    return Decoding(temperature=temperature, max_tokens=max_tokens)
