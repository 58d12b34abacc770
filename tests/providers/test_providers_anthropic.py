"""AnthropicProvider against a loopback server speaking the Messages API."""

from __future__ import annotations

import pytest
from llm_server import Behaviour, LLMServer
from sdk_adapters import ANTHROPIC, sent_key

from judgebench.providers import Completion, Decoding
from judgebench.records import Message

pytestmark = pytest.mark.usefixtures("anthropic_key")
call = ANTHROPIC.call


def test_request_sends_the_env_key(llm_server: LLMServer) -> None:
    call(llm_server)
    assert sent_key(llm_server.requests[0]) == ANTHROPIC.key
    assert llm_server.requests[0].headers["x-stainless-retry-count"] == "0"
    assert "anthropic-version" in llm_server.requests[0].headers


def test_conversation_without_system_and_stop(llm_server: LLMServer) -> None:
    history = (
        Message("user", "Hi"),
        Message("assistant", "Hello."),
        Message("user", "Tell me a joke"),
    )
    result = call(llm_server, messages=history, decoding=Decoding(temperature=0.0, max_tokens=8))
    assert result.text == "echo: Tell me a joke"
    body = llm_server.requests[0].json
    assert "system" not in body
    assert "stop_sequences" not in body
    assert "seed" not in body
    assert body["temperature"] == 0.0
    assert [m["role"] for m in body["messages"]] == ["user", "assistant", "user"]


def test_text_blocks_are_concatenated(llm_server: LLMServer) -> None:
    body = {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "claude-test",
        "content": [
            {"type": "thinking", "thinking": "hmm", "signature": "s"},
            {"type": "text", "text": "Four"},
            {"type": "text", "text": ", obviously."},
        ],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 11, "output_tokens": 3},
    }
    llm_server.script(Behaviour(body=body))
    assert call(llm_server) == Completion("Four, obviously.", 11, 3, "end_turn", reasoning="hmm")


def test_stop_reason_max_tokens(llm_server: LLMServer) -> None:
    result = call(llm_server, decoding=Decoding(temperature=0.0, max_tokens=2))
    assert (result.text, result.finish_reason) == ("echo: What", "max_tokens")


def test_reply_hook_makes_a_judge(llm_server: LLMServer) -> None:
    llm_server.reply = lambda body: f"Rating: [[{len(body['messages'])}]]"
    assert call(llm_server).text == "Rating: [[1]]"
