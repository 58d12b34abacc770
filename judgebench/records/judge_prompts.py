"""Judge prompt records: how to ask a judge for a grade, a preference or two scores.

Files: the bundled ``judge_prompts/*.jsonl`` and any ``--prompts`` file (ours, or FastChat's
``judge_prompts.jsonl``, read as it is).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from judgebench.records.answers import RecordError, _require

__all__ = ["JUDGE_PROMPT_SCHEMA", "JudgePrompt"]

JUDGE_PROMPT_SCHEMA = "judgebench.judge_prompt/1"


@dataclass(frozen=True)
class JudgePrompt:
    """A judge prompt: how to ask a judge for a grade or a preference.

    Attributes:
        name: unique name, stored in every judgment it produced.
        kind: ``single`` (grade one answer 1–10), ``pairwise`` (A, B or tie) or
            ``pair-score`` (two answers in one prompt, a 1–10 score for each).
        multi_turn: shows the whole dialogue and asks about the last turn.
        reference: shows a reference answer; used for questions that have one
            in the categories judged against references.
        system_prompt: the judge's instructions.
        template: the user message, a ``str.format`` template (fields:
            ``question``, ``answer``, ``answer_a``, ``answer_b``, ``reference``,
            ``conversation`` … see :mod:`judgebench.judging`).
        output_format: the verdict format, looked up by
            :func:`judgebench.judging.verdicts.verdict_format`: ``[[rating]]`` (1–10 grades),
            ``[[A]]`` (A/B/C), ``[[A>>B]]`` (five levels), ``json`` (structured) or
            ``[[A, B]]`` (paired scoring's two scores).
        description: what it is for.
        style: ``judgebench`` (our templates: marked, neutralised blocks) or
            ``fastchat`` (a record of FastChat's ``judge_prompts.jsonl``: its
            own field names, text filled in verbatim, selected by FastChat's
            prompt names). A record with FastChat's ``category`` field and
            without ``multi_turn`` and ``reference`` is FastChat's; those two
            flags are then read off its template (``{question_2}``,
            ``{ref_answer_1}``).
    """

    name: str
    kind: Literal["single", "pairwise", "pair-score"]
    multi_turn: bool
    reference: bool
    system_prompt: str
    template: str
    output_format: str
    description: str = ""
    style: Literal["judgebench", "fastchat"] = "judgebench"

    def to_dict(self) -> dict[str, Any]:
        """Return the wire dict (FastChat's ``type``/``prompt_template`` names plus ours; ``style`` when not ours)."""
        d: dict[str, Any] = {
            "schema": JUDGE_PROMPT_SCHEMA,
            "name": self.name,
            "type": self.kind,
            "multi_turn": self.multi_turn,
            "reference": self.reference,
            "system_prompt": self.system_prompt,
            "prompt_template": self.template,
            "output_format": self.output_format,
            "description": self.description,
        }
        if self.style != "judgebench":
            d["style"] = self.style
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> JudgePrompt:
        """Read a judge prompt record (ours, or FastChat's ``judge_prompts.jsonl``), checking every field."""
        kind = _require(d, "type", str, "'single', 'pairwise' or 'pair-score'")
        if kind not in ("single", "pairwise", "pair-score"):
            raise RecordError(f"field 'type' must be 'single', 'pairwise' or 'pair-score', got {kind!r}")
        template = _require(d, "prompt_template", str, "the user message template")
        fastchat_record = "category" in d and "multi_turn" not in d and "reference" not in d
        style = d.get("style", "fastchat" if fastchat_record else "judgebench")
        if style not in ("judgebench", "fastchat"):
            raise RecordError(f"field 'style' must be 'judgebench' or 'fastchat', got {style!r}")
        fastchat = style == "fastchat"
        return cls(
            name=_require(d, "name", str, "the prompt's unique name"),
            kind=kind,
            multi_turn=bool(d.get("multi_turn", "{question_2}" in template if fastchat else False)),
            reference=bool(d.get("reference", "{ref_answer_1}" in template if fastchat else False)),
            system_prompt=_require(d, "system_prompt", str, "the judge's instructions"),
            template=template,
            output_format=_require(d, "output_format", str, "e.g. '[[rating]]' or '[[A]]'"),
            description=str(d.get("description", "")),
            style=style,
        )
