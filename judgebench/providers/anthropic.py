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
import os
from collections.abc import Sequence
from typing import Any, cast

import anthropic
from anthropic.types import MessageParam

from judgebench.errors import MissingApiKeyError, ProviderAuthError, ProviderError
from judgebench.providers import (
    BatchRequest,
    BatchState,
    Completion,
    Decoding,
    MalformedResponseError,
    NotAnApiReplyError,
    ProviderOptions,
    run_stopping_errors,
    status_setup_error,
)
from judgebench.providers.retry import retry_after_from_headers
from judgebench.records import Message

__all__ = ["DEFAULT_KEY_ENV", "AnthropicProvider", "split_system"]

DEFAULT_KEY_ENV = "ANTHROPIC_API_KEY"
"""Where the key is read from unless ``ProviderOptions.api_key_env`` says otherwise."""

_PLACEHOLDER_KEY = "judgebench-no-key"  # proxies and local servers accept any key
_RETRYABLE_STATUS = frozenset({408, 409, 429})


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


def _one_line(text: str, limit: int = 200) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


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


class AnthropicProvider:
    """Messages through the official ``anthropic`` SDK.

    Requests carry ``max_tokens``, ``temperature`` (in ``extra_body``: the 2.x
    SDK has no parameter for it), ``stop_sequences`` when not empty and
    ``system`` when the conversation has system messages. The seed is not
    sent: the Messages API has none. The answer is the concatenation of the
    reply's text blocks (an empty ``content`` list is an empty answer).

    Args:
        model: the part after ``anthropic/`` (e.g. ``claude-sonnet-4-5``).
        options: base URL, timeout and key variable.

    Raises:
        MissingApiKeyError: no key is set and no base URL is given.
    """

    def __init__(self, model: str, options: ProviderOptions | None = None) -> None:
        options = options or ProviderOptions()
        self._key_env = options.api_key_env or DEFAULT_KEY_ENV
        key = os.environ.get(self._key_env, "")
        if not key and options.base_url is None:
            raise MissingApiKeyError(
                f"{self._key_env} is not set — export {self._key_env}=<your key>, "
                "or pass --base-url for an Anthropic-compatible proxy"
            )
        self._model = model
        self._key = key
        self._compatible = options.base_url is not None
        self._client = anthropic.AsyncAnthropic(
            api_key=key or _PLACEHOLDER_KEY,
            base_url=options.base_url,
            timeout=anthropic.Timeout(options.timeout, connect=options.connect_timeout),
            max_retries=0,
        )
        self._url = str(self._client.base_url).rstrip("/")

    @property
    def model_id(self) -> str:
        """The full ``anthropic/<model>`` id."""
        return f"anthropic/{self._model}"

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
        with run_stopping_errors(anthropic.APIStatusError, self._fatal):
            response = await self._client.messages.create(
                model=self._model,
                messages=turns,
                max_tokens=decoding.max_tokens,
                system=system if system is not None else anthropic.omit,
                stop_sequences=list(decoding.stop) if decoding.stop else anthropic.omit,
                extra_body={"temperature": decoding.temperature, **tools},
            )
        return self._completion(response)

    def _fatal(self, exc: anthropic.APIStatusError, *, batch: bool = False) -> ProviderError | None:
        """The run-stopping error a 401/403/404/405/501 stands for, else ``None``."""
        if isinstance(exc, anthropic.AuthenticationError | anthropic.PermissionDeniedError):
            return ProviderAuthError(self._auth_message(exc))
        return status_setup_error(
            exc.status_code, url=self._url, model=self._model, path=exc.request.url.path, body=exc.body,
            said=self._server_says(exc), batch=batch,
        )  # fmt: skip

    def _fatal_batch(self, exc: anthropic.APIStatusError) -> ProviderError | None:
        """As :meth:`_fatal`, but a 404 or 405 means the server has no batch API."""
        return self._fatal(exc, batch=True)

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
        with run_stopping_errors(anthropic.APIStatusError, self._fatal_batch):
            batch = await self._client.messages.batches.create(requests=cast(Any, items))
        if not isinstance(batch, anthropic.types.messages.MessageBatch):
            raise NotAnApiReplyError(f"expected a message batch, got {type(batch).__name__}", self._url)
        return batch.id

    async def batch_state(self, batch_id: str) -> BatchState:
        """Where the batch stands (``ended`` means results are ready).

        Args:
            batch_id: as :meth:`submit_batch` returned it.
        """
        with run_stopping_errors(anthropic.APIStatusError, self._fatal_batch):
            batch = await self._client.messages.batches.retrieve(batch_id)
        if not isinstance(batch, anthropic.types.messages.MessageBatch):
            raise NotAnApiReplyError(f"expected a message batch, got {type(batch).__name__}", self._url)
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
                results[item.custom_id] = self.redact(f"batch item {result.type}: {_one_line(str(detail or ''))}")
        return results

    def _completion(self, response: object) -> Completion:
        # Without strict validation the SDK hands back whatever the server sent:
        # plain text for a non-JSON content type, an unchecked model otherwise.
        if not isinstance(response, anthropic.types.Message):
            raise NotAnApiReplyError(f"expected a message, got {type(response).__name__}", self._url)
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

    def _auth_message(self, exc: anthropic.APIStatusError) -> str:
        where = f"the server at {self._url}" if self._compatible else "the Anthropic API"
        said = f"({exc.status_code}: {self._server_says(exc)})"
        if not self._key:
            return f"{where} wants a key {said} — export {self._key_env}=<its key>"
        return f"{where} rejected the key in {self._key_env} {said} — check {self._key_env}"

    def _server_says(self, exc: anthropic.APIStatusError) -> str:
        return self.redact(_one_line(exc.api_message or exc.message))

    def is_retryable(self, exc: BaseException) -> bool:
        """Whether a failure of :meth:`complete` may pass on a later try.

        Args:
            exc: what :meth:`complete` raised.
        """
        if isinstance(exc, anthropic.APIStatusError):
            return exc.status_code in _RETRYABLE_STATUS or exc.status_code >= 500
        return isinstance(
            exc,
            (
                anthropic.APIConnectionError,  # includes APITimeoutError
                anthropic.APIResponseValidationError,
                MalformedResponseError,
                json.JSONDecodeError,
                UnicodeDecodeError,
            ),
        )

    def retry_after(self, exc: BaseException) -> float | None:
        """Seconds the server asked to wait (``retry-after-ms``/``Retry-After``).

        Args:
            exc: what :meth:`complete` raised.
        """
        if isinstance(exc, anthropic.APIStatusError):
            return retry_after_from_headers(exc.response.headers)
        return None

    def redact(self, text: str) -> str:
        """Mask the API key wherever it appears in ``text``.

        Args:
            text: an error message or anything else about to be stored.
        """
        return text.replace(self._key, "***") if self._key else text

    async def aclose(self) -> None:
        """Close the HTTP connections."""
        await self._client.close()
