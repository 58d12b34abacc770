"""Structured-output verdicts: the judge returns ``{"reasoning": …, "verdict": …}`` as JSON.

Where the API enforces a JSON schema — OpenAI's ``response_format`` of type
``json_schema`` (strict), Anthropic's forced tool use — such a reply always parses;
providers that cannot enforce it get the same schema described in the prompt and
their text is read here, fences and surrounding prose allowed. The schema is a
:class:`~judgebench.providers.ResponseSchema` carried by :class:`~judgebench.providers.Decoding`.
"""

from __future__ import annotations

import json
from typing import Any

from judgebench.judging.verdicts.reading import Reading, final_answer, quote
from judgebench.records import ResponseSchema

__all__ = ["GRADE_SCHEMA", "WINNER_SCHEMA", "VerdictSchema", "read_json_grade", "read_json_winner"]


VerdictSchema = ResponseSchema
"""The JSON schema of a structured verdict (see :class:`~judgebench.providers.ResponseSchema`)."""


def _schema(verdict: dict[str, Any]) -> str:
    return json.dumps(
        {
            "type": "object",
            "properties": {
                "reasoning": {"type": "string", "description": "the explanation, written before the verdict"},
                "verdict": verdict,
            },
            "required": ["reasoning", "verdict"],
            "additionalProperties": False,
        },
        sort_keys=True,
    )


GRADE_SCHEMA = VerdictSchema(
    "grade_verdict",
    _schema({"type": "number", "minimum": 1, "maximum": 10, "description": "the grade, 1 to 10"}),
    "Record the grade of the reply, after explaining it.",
)
WINNER_SCHEMA = VerdictSchema(
    "pairwise_verdict",
    _schema({"type": "string", "enum": ["A", "B", "C"], "description": "A or B is better, C is a tie"}),
    "Record which reply is better, after explaining why.",
)


def _last_object(text: str) -> dict[str, Any] | None:
    """The last JSON object in ``text`` that has a ``verdict`` key."""
    decoder = json.JSONDecoder()
    found: dict[str, Any] | None = None
    index = text.find("{")
    while index != -1:
        try:
            value, end = decoder.raw_decode(text, index)
        except json.JSONDecodeError:
            index = text.find("{", index + 1)
            continue
        if isinstance(value, dict) and "verdict" in value:
            found = value
        index = text.find("{", end)
    return found


def _verdict(text: str) -> tuple[object, Reading | None]:
    answer = final_answer(text)
    if not answer.strip():
        return None, Reading.none("no final answer after the reasoning block (cut off while reasoning?)")
    obj = _last_object(answer)
    if obj is None:
        return None, Reading.none("no JSON object with a 'verdict' found")
    return obj["verdict"], None


def read_json_grade(text: str, low: float = 1.0, high: float = 10.0) -> Reading:
    """Read ``{"reasoning": …, "verdict": N}``; a number (or numeric string) within ``low``–``high``.

    >>> read_json_grade('{"reasoning": "Clear and correct.", "verdict": 8.5}').value
    8.5
    >>> read_json_grade('```json\\n{"reasoning": "ok", "verdict": "7"}\\n```').value
    7.0
    >>> read_json_grade('{"reasoning": "x", "verdict": 11}').problem
    "verdict '11' is outside 1–10"
    """
    verdict, problem = _verdict(text)
    if problem is not None:
        return problem
    try:
        value = float(str(verdict).replace(",", ".")) if not isinstance(verdict, bool) else None
    except ValueError:
        value = None
    if value is None:
        return Reading.none(f"verdict {quote(str(verdict))} is not a number", str(verdict))
    if not low <= value <= high:
        return Reading.none(f"verdict {quote(str(verdict))} is outside {low:g}–{high:g}", str(verdict))
    return Reading(value, f"{value:g}")


def read_json_winner(text: str) -> Reading:
    """Read ``{"reasoning": …, "verdict": "A" | "B" | "C"}`` (``C``: tie).

    >>> read_json_winner('{"reasoning": "B is concrete.", "verdict": "B"}').value
    'B'
    >>> read_json_winner('Sure: {"reasoning": "even", "verdict": "C"}').value
    'tie'
    >>> read_json_winner('{"reasoning": "?", "verdict": "A or B"}').value is None
    True
    """
    verdict, problem = _verdict(text)
    if problem is not None:
        return problem
    token = str(verdict).strip().upper()
    if token not in ("A", "B", "C", "TIE"):
        return Reading.none(f"verdict {quote(str(verdict))} is not A, B or C", str(verdict))
    return Reading("A" if token == "A" else "B" if token == "B" else "tie", token if token != "TIE" else "C")
