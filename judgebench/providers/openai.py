"""``openai/<model>``: the OpenAI Chat Completions API, or any compatible server.

With ``--base-url`` the same provider talks to vLLM, Ollama, llama.cpp, LM
Studio or a proxy; such servers usually ignore the key, so none is required
then (a placeholder is sent). Without a base URL the key in
``OPENAI_API_KEY`` (or ``ProviderOptions.api_key_env``) is required.

The SDK's own retries are switched off (``max_retries=0``):
:func:`judgebench.providers.retry.complete_with_retry` is the one retry loop.
This module sorts the SDK's errors for it — 429, 408, 409, 5xx, timeouts,
dropped connections and malformed bodies are worth retrying; other 4xx are
not — and turns the errors that doom every call of a run (401/403: the key;
404: the model or the URL) into :class:`~judgebench.errors.ProviderError`.
"""

from __future__ import annotations

import contextlib
import json
import re
import ssl
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import aiohttp
import openai
from openai.types import Batch, FileObject
from openai.types.chat import ChatCompletion, ChatCompletionMessageParam

from judgebench.errors import ProviderError
from judgebench.providers.options import ProviderOptions
from judgebench.providers.protocol import (
    BatchRequest,
    BatchState,
    Completion,
    MalformedResponseError,
    NotAnApiReplyError,
    ProviderCapabilities,
    VerdictLogprobs,
)
from judgebench.providers.sdk import SDKErrors, SDKProvider, got, one_line
from judgebench.records import Decoding, Message

__all__ = ["DEFAULT_KEY_ENV", "OpenAIProvider"]

DEFAULT_KEY_ENV = "OPENAI_API_KEY"
"""Where the key is read from unless ``ProviderOptions.api_key_env`` says otherwise."""

_REASONING_MODEL = re.compile(r"^(?:o\d+(?:-[a-z0-9-]+)?|gpt-5(?!-chat)(?:[.-][a-z0-9.-]+)?)$")


def _message_param(message: Message) -> ChatCompletionMessageParam:
    if message.role == "system":
        return {"role": "system", "content": message.content}
    if message.role == "assistant":
        return {"role": "assistant", "content": message.content}
    return {"role": "user", "content": message.content}


def _not_a_timeout(exc: openai.APITimeoutError) -> BaseException | None:
    """The aiohttp connection error behind a timeout the SDK reported, if it was no timeout at all.

    The SDK's aiohttp transport (``httpx_aiohttp``) reports every aiohttp connection error — refused,
    reset, a server hanging up without answering — as httpx's ``ConnectTimeout``, which the SDK turns
    into ``APITimeoutError`` ("Request timed out."). Over httpx those were ``APIConnectionError``
    ("Connection error."), and :meth:`OpenAIProvider._create` raises them so again, caused by the
    aiohttp error, so retry lines and failure reasons say what happened.
    """
    link = exc.__cause__
    cause = link.__cause__ if link is not None else None
    if isinstance(cause, aiohttp.ClientConnectionError) and not isinstance(cause, TimeoutError):
        return cause
    return None


def _tls_context() -> ssl.SSLContext:
    """The TLS context the SDK's HTTP library would build for each client (its CA store, ``SSL_CERT_FILE``)."""
    try:
        from httpx2 import create_ssl_context  # what the openai SDK is built on since 3.0
    except ImportError:  # pragma: no cover - older SDKs are built on httpx
        from httpx import create_ssl_context
    return create_ssl_context()


class OpenAIProvider(SDKProvider[openai.AsyncOpenAI]):
    """Chat completions through the official ``openai`` SDK.

    Requests carry ``temperature`` (left out for OpenAI's reasoning models, which
    refuse it), ``seed`` (when set), ``stop`` (when not empty), ``reasoning_effort``
    (when set), a strict ``response_format`` JSON schema (structured verdicts) and
    the token limit — as ``max_completion_tokens`` for the official API, as the
    older ``max_tokens`` that compatible servers understand when a base URL is
    given. Replies keep reasoning sent apart (``reasoning_content``) out of the
    text, and report reasoning tokens.

    Built as :class:`~judgebench.providers.sdk.SDKProvider` says (``model``: e.g. ``gpt-4o-mini``).
    """

    name = "openai"
    default_key_env = DEFAULT_KEY_ENV
    vendor = "the OpenAI API"
    compatible_server = "a local OpenAI-compatible server"
    errors = replace(SDKErrors.of(openai), retryable=(*SDKErrors.of(openai).retryable, aiohttp.ClientError))
    """The SDK's errors, and aiohttp's own that the SDK's aiohttp transport lets through unmapped (a reply
    that is not HTTP: ``ClientResponseError``): retryable, as the same faults were over httpx
    (``RemoteProtocolError``, an ``APIConnectionError``)."""
    shards = 8
    """Calls are spread over 8 SDK clients, each with its own connection pool. That was needed over
    httpx's pool, which scanned all of its connections on every request (4.0–4.9 ms of client CPU per
    call with 1 client, 2.7–3.7 with 8, ``bench/judge_latency.py``); over aiohttp's pool (see
    :meth:`_make_client`) 1 and 8 measure the same (0.63–0.79 ms per call at 128 in flight)."""
    capabilities = ProviderCapabilities(accepts_reasoning_effort=True)
    """``reasoning_effort`` is passed through (OpenAI's reasoning models; compatible servers that take it)."""
    _tls: ssl.SSLContext | None = None
    """The TLS context the shards share (made by the first :meth:`_make_client`)."""

    def _make_client(self, key: str, options: ProviderOptions) -> openai.AsyncOpenAI:
        limits = openai.DEFAULT_CONNECTION_LIMITS
        timeout = openai.Timeout(options.timeout, connect=options.connect_timeout)
        if self._tls is None:
            # One TLS context (the CA bundle read once, honouring SSL_CERT_FILE as httpx does) for every
            # shard: each client building its own cost ~45 ms apiece at start-up, before the first call.
            self._tls = _tls_context()
        return openai.AsyncOpenAI(
            api_key=key,
            base_url=options.base_url,
            timeout=timeout,
            max_retries=0,
            # aiohttp under the SDK's httpx client (the SDK's own DefaultAioHttpClient, its `aiohttp`
            # extra): its C-parsed HTTP and connection pool cost about half of httpcore's client CPU per
            # call (bench/judge_latency.py). It keeps every connection alive (no keep-alive cap).
            http_client=openai.DefaultAioHttpClient(timeout=timeout, verify=self._tls, limits=limits),
        )

    async def complete(self, messages: Sequence[Message], decoding: Decoding) -> Completion:
        """Send one chat completion request.

        Args:
            messages: the conversation, system messages included.
            decoding: sampling settings.

        Raises:
            ProviderAuthError: the server rejected the key (401/403).
            ProviderError: the model or URL does not exist (404).
            MalformedResponseError: the reply had no choice or no text.
            openai.OpenAIError: anything else the SDK raised; see :meth:`is_retryable`.
        """
        response = await self._create(messages, object, **self._params(decoding))
        return self._completion(response)

    @property
    def reasoning_model(self) -> bool:
        """Whether the model is one of OpenAI's reasoning models, which refuse ``temperature``.

        >>> OpenAIProvider("o3-mini", ProviderOptions(base_url="http://x")).reasoning_model
        False
        >>> [_REASONING_MODEL.match(m) is not None for m in ("o1", "o3-mini", "o4-mini", "gpt-5", "gpt-5-mini")]
        [True, True, True, True, True]
        >>> [_REASONING_MODEL.match(m) is not None for m in ("gpt-4o", "gpt-5-chat-latest", "omni")]
        [False, False, False]
        """
        return not self._compatible and _REASONING_MODEL.match(self._model) is not None

    def _params(self, decoding: Decoding) -> dict[str, Any]:
        """The request parameters for ``decoding``.

        OpenAI's reasoning models (o-series, gpt-5 family) reject ``temperature``
        other than the default, so it is left out for them rather than failing the call.
        """
        tokens = decoding.max_tokens
        params: dict[str, Any] = {
            "temperature": openai.omit if self.reasoning_model else decoding.temperature,
            "seed": decoding.seed if decoding.seed is not None else openai.omit,
            "stop": list(decoding.stop) if decoding.stop else openai.omit,
            "max_tokens": tokens if self._compatible else openai.omit,
            "max_completion_tokens": openai.omit if self._compatible else tokens,
        }
        if decoding.reasoning_effort is not None:
            params["reasoning_effort"] = decoding.reasoning_effort
        if decoding.schema is not None:
            params["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": decoding.schema.name, "strict": True, "schema": decoding.schema.schema},
            }
        return params

    async def _create(self, messages: Sequence[Message], reply: type[object], **params: Any) -> object:
        """POST ``/chat/completions`` through the SDK client (its auth, timeouts, errors and reply parsing).

        The SDK's low-level ``post`` rather than ``chat.completions.create``: ``create`` walks
        every request through its typed-dict transform, which cost more client CPU than the rest
        of a call (profiled: about a third of ``judge``'s CPU at 128 calls in flight). Our body is
        plain JSON already: unset (``omit``) parameters are left out, as ``create`` leaves them.

        Args:
            messages: the conversation.
            reply: what the SDK makes of the reply: ``object`` hands back the parsed JSON as is (a
                ``dict`` for an object; :meth:`_completion` reads it), ``ChatCompletion`` builds the
                SDK's model. Either way a body whose content type is not JSON comes back as its text.
            params: the request's other fields.
        """
        body = {"model": self._model, "messages": [_message_param(m) for m in messages]}
        body |= {key: value for key, value in params.items() if not isinstance(value, openai.Omit)}
        options: openai.RequestOptions = {"security": {"bearer_auth": True}}
        with self._stopping():
            try:
                return await self._next_client().post("/chat/completions", body=body, cast_to=reply, options=options)
            except openai.APITimeoutError as exc:
                cause = _not_a_timeout(exc)
                if cause is None:
                    raise
                raise openai.APIConnectionError(request=exc.request) from cause

    async def verdict_distribution(
        self, messages: Sequence[Message], opener: str, values: Sequence[str], closer: str
    ) -> dict[str, float]:
        """Log-probabilities of the verdict values, read from the reply's ``top_logprobs``.

        Asks for a short greedy reply with ``logprobs`` and the 20 most likely
        alternatives per token, finds the token right after ``opener`` and
        returns the alternatives there that are verdict values (API tokenizers
        spell 1–10, A, B and C as single tokens; ``closer`` is not needed).
        An empty mapping means the reply held no ``opener``. The result is a
        :class:`~judgebench.providers.VerdictLogprobs` carrying the server's token counts.

        Args:
            messages: the judge conversation, asking for the verdict alone.
            opener: the text right before the verdict, ``[[``.
            values: the verdict values to look for.
            closer: the text after the verdict (unused here).

        Raises:
            ProviderError: as :meth:`complete`, and when the server sends no logprobs at
                all (it ignores the parameter): that stops the run at its first call.
            ProviderAuthError, MalformedResponseError: as :meth:`complete`.
        """
        if self.reasoning_model:
            raise ProviderError(
                f"--verdict logprobs: OpenAI's reasoning models ({self._model}) return no token probabilities "
                "— use --verdict text"
            )
        limit = 8
        response = await self._create(
            messages,
            ChatCompletion,
            temperature=0.0,
            logprobs=True,
            top_logprobs=20,
            max_tokens=limit if self._compatible else openai.omit,
            max_completion_tokens=openai.omit if self._compatible else limit,
        )
        if not isinstance(response, ChatCompletion) or not response.choices:
            raise MalformedResponseError("expected a chat completion with choices")
        logprobs = response.choices[0].logprobs
        if logprobs is None or logprobs.content is None:
            # Not a passing fault: every call would fail the same way, so the run stops here.
            raise ProviderError(
                f"--verdict logprobs: {self._where()} sent no token probabilities for {self._model!r} "
                "(it ignores 'logprobs') — use --verdict text"
            )
        usage = response.usage
        found = VerdictLogprobs(
            input_tokens=usage.prompt_tokens if usage else None,
            output_tokens=usage.completion_tokens if usage else None,
        )
        wanted = set(values)
        seen = ""
        for token in logprobs.content:
            if seen.rstrip().endswith(opener):
                alternatives = [(t.token, t.logprob) for t in token.top_logprobs] or [(token.token, token.logprob)]
                for text, logprob in alternatives:
                    value = text.strip()
                    if value in wanted and value not in found:
                        found[value] = float(logprob)
                return found
            seen += token.token
        return found

    def _request_body(self, messages: Sequence[Message], decoding: Decoding) -> dict[str, object]:
        """The JSON body of one chat completion, as a batch line carries it."""
        body: dict[str, object] = {"model": self._model, "messages": [m.to_dict() for m in messages]}
        body.update({k: v for k, v in self._params(decoding).items() if v is not openai.omit})
        return body

    async def submit_batch(self, requests: Sequence[BatchRequest]) -> str:
        """Upload the requests as a JSONL file and start a Batch API job on it.

        Args:
            requests: the chat completions to make.
        """
        lines = [
            {"custom_id": r.custom_id, "method": "POST", "url": "/v1/chat/completions",
             "body": self._request_body(r.messages, r.decoding)}
            for r in requests
        ]  # fmt: skip
        data = "".join(json.dumps(line) + "\n" for line in lines).encode("utf-8")
        upload = self._client.files.create(file=("judgebench-batch.jsonl", data), purpose="batch")
        uploaded = await self._expect(upload, FileObject, "an uploaded file", batch=True)
        create = self._client.batches.create(
            input_file_id=uploaded.id, endpoint="/v1/chat/completions", completion_window="24h"
        )
        return (await self._expect(create, Batch, "a batch", batch=True)).id

    async def batch_state(self, batch_id: str) -> BatchState:
        """Where the batch job stands.

        Args:
            batch_id: as :meth:`submit_batch` returned it.
        """
        batch = await self._expect(self._client.batches.retrieve(batch_id), Batch, "a batch", batch=True)
        return BatchState(batch.status, batch.status == "completed", batch.status in ("failed", "expired", "cancelled"))

    async def batch_results(self, batch_id: str) -> dict[str, Completion | str]:
        """Each request's completion, or why it failed, from the job's output and error files.

        Args:
            batch_id: a completed job's id.
        """
        batch = await self._expect(self._client.batches.retrieve(batch_id), Batch, "a batch", batch=True)
        results: dict[str, Completion | str] = {}
        for file_id in (batch.output_file_id, batch.error_file_id):
            if not file_id:
                continue
            content = await self._client.files.content(file_id)
            for line in content.text.splitlines():
                if not line.strip():
                    continue
                item = json.loads(line)
                response = item.get("response") or {}
                if response.get("status_code") == 200:
                    try:
                        ChatCompletion.model_validate(response["body"])  # its shape checked, as the SDK would
                        results[item["custom_id"]] = self._completion(response["body"])
                    except (MalformedResponseError, ValueError) as exc:
                        results[item["custom_id"]] = self.redact(f"{type(exc).__name__}: {exc}")
                else:
                    error = item.get("error") or (response.get("body") or {}).get("error") or response
                    results[item["custom_id"]] = self.redact(f"batch item failed: {one_line(json.dumps(error))}")
        return results

    def _completion(self, response: object) -> Completion:
        """The completion in a chat completion's JSON (``response``: as :meth:`_create` hands it back with
        ``reply=object``; the SDK's ``ChatCompletion`` is read through its JSON).

        Read from the JSON rather than the SDK's pydantic model: building that model was ~4 % of the
        client's CPU at 128 calls in flight (cProfile of ``bench/judge_latency.py``), and only a few
        fields are read. Every field is type-checked here, as nothing upstream validated it.

        Raises:
            NotAnApiReplyError: the reply is text, or JSON of another API.
            MalformedResponseError: it has no choices, or its first choice no text.
        """
        if isinstance(response, ChatCompletion):
            response = response.model_dump(exclude_unset=True)
        if isinstance(response, str):  # a content type that is not JSON: the SDK gave the text
            with contextlib.suppress(ValueError):
                response = json.loads(response)  # the SDK read such JSON too, into its model
        if not isinstance(response, dict):
            raise NotAnApiReplyError(f"expected a chat completion, got {got(response)}", self._url)
        choices = response.get("choices")
        if not choices and response.get("object") != "chat.completion":  # JSON, but another API's
            fields = ", ".join(sorted(response)[:6]) or "none"
            raise NotAnApiReplyError(f"expected a chat completion, got JSON with fields: {fields}", self._url)
        if not choices:
            raise MalformedResponseError("the response has no choices")
        choice = _field(choices[0] if isinstance(choices, list) else None)
        message = _field(choice.get("message"))
        text = message.get("content")
        # vLLM, DeepSeek and SGLang send the reasoning apart as ``reasoning_content``
        # (newer vLLM and OpenRouter as ``reasoning``).
        reasoning = message.get("reasoning_content") or message.get("reasoning")
        finish_reason = choice.get("finish_reason")
        if text is None and (isinstance(reasoning, str) or finish_reason == "length"):
            text = ""  # a reasoning model cut off (or done) before writing any answer: an empty reply, not a fault
        if not isinstance(text, str):
            refusal = message.get("refusal")
            detail = f" (refusal: {one_line(refusal)})" if isinstance(refusal, str) else ""
            raise MalformedResponseError(f"the response's first choice has no text content{detail}")
        usage = _field(response.get("usage"))
        prompt_tokens = usage.get("prompt_tokens")
        completion_tokens = usage.get("completion_tokens")
        reasoning_tokens = _field(usage.get("completion_tokens_details")).get("reasoning_tokens")
        return Completion(
            text=text,
            input_tokens=prompt_tokens if isinstance(prompt_tokens, int) else None,
            output_tokens=completion_tokens if isinstance(completion_tokens, int) else None,
            finish_reason=finish_reason if isinstance(finish_reason, str) else None,
            reasoning=reasoning if isinstance(reasoning, str) else None,
            reasoning_tokens=reasoning_tokens if isinstance(reasoning_tokens, int) else None,
        )


def _field(value: object) -> dict[str, Any]:
    """``value`` if it is a JSON object, else an empty one (a missing or mistyped part of a reply).

    >>> _field({"a": 1}), _field(None), _field([1])
    ({'a': 1}, {}, {})
    """
    return value if isinstance(value, dict) else {}
