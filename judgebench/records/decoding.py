"""How one model call is made: sampling settings and an optional reply schema (part of every resume key).

Records, not provider internals: the judging layer renders prompts for a :class:`Decoding` and
:mod:`judgebench.judging.verdicts` declares :class:`ResponseSchema` values, without importing any provider.
Providers receive them in ``Provider.complete``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

__all__ = ["Decoding", "ResponseSchema"]


@dataclass(frozen=True)
class ResponseSchema:
    """A JSON schema the reply must follow (structured output), by name.

    OpenAI enforces it as ``response_format`` of type ``json_schema`` (strict);
    Anthropic as one forced tool whose input is the reply. Providers that cannot
    enforce it ignore it (the prompt asks for the same JSON).

    Attributes:
        name: the schema's (and the Anthropic tool's) name.
        schema_json: the JSON schema, serialised (hashable, stable).
        description: what the tool records, shown to Anthropic models.
    """

    name: str
    schema_json: str
    description: str = ""

    @property
    def schema(self) -> dict[str, Any]:
        """The schema as a dict."""
        value: dict[str, Any] = json.loads(self.schema_json)
        return value


@dataclass(frozen=True)
class Decoding:
    """Sampling settings for one call; part of every resume key.

    Attributes:
        temperature: sampling temperature (dropped for models that refuse one, e.g. OpenAI's o-series).
        max_tokens: reply token limit (reasoning tokens included where the API counts them so).
        seed: sampling seed, if any.
        stop: stop sequences.
        schema: a JSON schema the reply must follow, where the API can enforce one.
        reasoning_effort: ``low``/``medium``/``high`` (OpenAI's ``reasoning_effort``), passed
            through where the API has it.
    """

    temperature: float
    max_tokens: int
    seed: int | None = None
    stop: tuple[str, ...] = ()
    schema: ResponseSchema | None = None
    reasoning_effort: str | None = None
