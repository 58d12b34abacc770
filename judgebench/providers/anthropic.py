"""``anthropic/<model>``: the Anthropic Messages API.

The key is read from ``ANTHROPIC_API_KEY`` (or ``ProviderOptions.api_key_env``)
and passed to the SDK explicitly, so the SDK consults no other credential
source (profiles, ``ANTHROPIC_AUTH_TOKEN``, workload identity). It is required
unless a base URL is given (a proxy or a compatible local server, which gets a
placeholder key).

The SDK's own retries are switched off (``max_retries=0``):
:func:`judgebench.providers.retry.complete_with_retry` is the one retry loop.
429, 529 (overloaded), other 5xx, 408, 409, timeouts, dropped connections
and malformed bodies are retryable; other 4xx are not; 401/403 (the key) and
404 (the model or the URL) stop the run as
:class:`~judgebench.errors.ProviderError`.

SDK note: in ``anthropic`` 2.x ``AsyncMessages.create`` no longer has a
``temperature`` parameter, so the temperature travels in ``extra_body``,
which the SDK merges into the JSON body unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, cast

import anthropic
from anthropic.types import MessageParam
from anthropic.types.messages import MessageBatch

from judgebench.providers.options import ProviderOptions
from judgebench.providers.protocol import (
    BatchRequest,
    BatchState,
    Completion,
    MalformedResponseError,
    NotAnApiReplyError,
)
from judgebench.providers.sdk import SDKErrors, SDKProvider, got, one_line
from judgebench.records import Decoding, Message

__all__ = ["DEFAULT_KEY_ENV", "AnthropicProvider", "split_system"]

DEFAULT_KEY_ENV = "ANTHROPIC_API_KEY"
"""Where the key is read from unless ``ProviderOptions.api_key_env`` says otherwise."""


def _tool_params(decoding: Decoding) -> dict[str, Any]:
    """A structured reply as Anthropic enforces one: a single tool the model must call.

    >>> from judgebench.providers import ResponseSchema
    >>> p = _tool_params(Decoding(0.0, 10, schema=ResponseSchema("v", '{"type": "object"}', "Record it.")))
    >>> p["tool_choice"], p["tools"][0]["name"]
    ({'type': 'tool', 'name': 'v'}, 'v')
    >>> _tool_params(Decoding(0.0, 10))
    {}
    """
    if decoding.schema is None:
        return {}
    schema = decoding.schema
    tool = {"name": schema.name, "description": schema.description or schema.name, "input_schema": schema.schema}
    return {"tools": [tool], "tool_choice": {"type": "tool", "name": schema.name}}


def split_system(messages: Sequence[Message]) -> tuple[str | None, list[MessageParam]]:
    """Separate system messages (joined by a blank line) from the conversation.

    The Messages API takes the system prompt as its own ``system`` parameter.

    Args:
        messages: the conversation, system messages anywhere in it.

    >>> split_system([Message("system", "Be brief."), Message("user", "Hi")])
    ('Be brief.', [{'role': 'user', 'content': 'Hi'}])
    >>> split_system([Message("user", "Hi")])
    (None, [{'role': 'user', 'content': 'Hi'}])
    """
    system: list[str] = []
    turns: list[MessageParam] = []
    for m in messages:
        if m.role == "system":
            system.append(m.content)
        elif m.role == "assistant":
            turns.append({"role": "assistant", "content": m.content})
        else:
            turns.append({"role": "user", "content": m.content})
    return ("\n\n".join(system) if system else None), turns


class AnthropicProvider(SDKProvider[anthropic.AsyncAnthropic]):
    """Messages through the official ``anthropic`` SDK.

    Requests carry ``max_tokens``, ``temperature`` (in ``extra_body``: the 2.x
    SDK has no parameter for it), ``stop_sequences`` when not empty and
    ``system`` when the conversation has system messages. The seed is not
    sent: the Messages API has none. The answer is the concatenation of the
    reply's text blocks (an empty ``content`` list is an empty answer).

    Built as :class:`~judgebench.providers.sdk.SDKProvider` says (``model``: e.g. ``claude-sonnet-4-5``).
    """

    name = "anthropic"
    default_key_env = DEFAULT_KEY_ENV
    vendor = "the Anthropic API"
    compatible_server = "an Anthropic-compatible proxy"
    errors = SDKErrors.of(anthropic)

    def _make_client(self, key: str, options: ProviderOptions) -> anthropic.AsyncAnthropic:
        return anthropic.AsyncAnthropic(
            api_key=key,
            base_url=options.base_url,
            timeout=anthropic.Timeout(options.timeout, connect=options.connect_timeout),
            max_retries=0,
        )

    async def complete(self, messages: Sequence[Message], decoding: Decoding) -> Completion:
        """Send one Messages API request.

        Args:
            messages: the conversation, system messages included.
            decoding: sampling settings (the seed is ignored).

        Raises:
            ProviderAuthError: the server rejected the key (401/403).
            ProviderError: the model or URL does not exist (404).
            MalformedResponseError: the reply was not a message.
            anthropic.AnthropicError: anything else the SDK raised; see :meth:`is_retryable`.
        """
        system, turns = split_system(messages)
        tools = _tool_params(decoding)
        with self._stopping():
            response = await self._client.messages.create(
                model=self._model,
                messages=turns,
                max_tokens=decoding.max_tokens,
                system=system if system is not None else anthropic.omit,
                stop_sequences=list(decoding.stop) if decoding.stop else anthropic.omit,
                extra_body={"temperature": decoding.temperature, **tools},
            )
        return self._completion(response)

    async def submit_batch(self, requests: Sequence[BatchRequest]) -> str:
        """Start a Message Batches job.

        Args:
            requests: the messages to create.
        """
        items = []
        for r in requests:
            system, turns = split_system(r.messages)
            params: dict[str, Any] = {
                "model": self._model,
                "max_tokens": r.decoding.max_tokens,
                "messages": turns,
                "temperature": r.decoding.temperature,
            }
            if system is not None:
                params["system"] = system
            if r.decoding.stop:
                params["stop_sequences"] = list(r.decoding.stop)
            params.update(_tool_params(r.decoding))
            items.append({"custom_id": r.custom_id, "params": params})
        create = self._client.messages.batches.create(requests=cast(Any, items))
        return (await self._expect(create, MessageBatch, "a message batch", batch=True)).id

    async def batch_state(self, batch_id: str) -> BatchState:
        """Where the batch stands (``ended`` means results are ready).

        Args:
            batch_id: as :meth:`submit_batch` returned it.
        """
        retrieve = self._client.messages.batches.retrieve(batch_id)
        batch = await self._expect(retrieve, MessageBatch, "a message batch", batch=True)
        return BatchState(batch.processing_status, batch.processing_status == "ended")

    async def batch_results(self, batch_id: str) -> dict[str, Completion | str]:
        """Each request's completion, or why it did not succeed.

        Args:
            batch_id: an ended batch's id.
        """
        results: dict[str, Completion | str] = {}
        async for item in await self._client.messages.batches.results(batch_id):
            result = item.result
            if result.type == "succeeded":
                try:
                    results[item.custom_id] = self._completion(result.message)
                except MalformedResponseError as exc:
                    results[item.custom_id] = f"MalformedResponseError: {exc}"
            else:
                detail = getattr(getattr(result, "error", None), "error", None)
                results[item.custom_id] = self.redact(f"batch item {result.type}: {one_line(str(detail or ''))}")
        return results

    def _completion(self, response: object) -> Completion:
        # Without strict validation the SDK hands back whatever the server sent:
        # plain text for a non-JSON content type, an unchecked model otherwise.
        if not isinstance(response, anthropic.types.Message):
            raise NotAnApiReplyError(f"expected a message, got {got(response)}", self._url)
        blocks = getattr(response, "content", None)
        if not isinstance(blocks, list):
            raise MalformedResponseError("the response has no content list")
        texts = [getattr(block, "text", None) for block in blocks if getattr(block, "type", None) == "text"]
        if not all(isinstance(text, str) for text in texts):
            raise MalformedResponseError("a text block of the response has no text")
        thinking = [getattr(b, "thinking", "") for b in blocks if getattr(b, "type", None) == "thinking"]
        tool_inputs = [getattr(b, "input", None) for b in blocks if getattr(b, "type", None) == "tool_use"]
        text = "".join(text for text in texts if isinstance(text, str))
        if tool_inputs and isinstance(tool_inputs[-1], dict):
            text = json.dumps(tool_inputs[-1], ensure_ascii=False)  # a structured reply: the forced tool's input
        usage = getattr(response, "usage", None)
        input_tokens = getattr(usage, "input_tokens", None)
        output_tokens = getattr(usage, "output_tokens", None)
        stop_reason = getattr(response, "stop_reason", None)
        return Completion(
            text=text,
            input_tokens=input_tokens if isinstance(input_tokens, int) else None,
            output_tokens=output_tokens if isinstance(output_tokens, int) else None,
            finish_reason=stop_reason if isinstance(stop_reason, str) else None,
            reasoning="\n\n".join(t for t in thinking if isinstance(t, str)) or None,
        )

    def _said(self, exc: Any) -> str:
        """The server's own message: the API's error message when the body has one."""
        return str(exc.api_message or exc.message)
