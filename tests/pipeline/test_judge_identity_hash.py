"""The fast hash of call keys and answer hashes gives exactly ``content_hash``'s values (resume keys on disk)."""

from __future__ import annotations

import json

import pytest

from judgebench.pipeline.judge_identity import _content_hash, answer_hash, call_key
from judgebench.providers import Decoding
from judgebench.records import Message, content_hash
from tests.builders import MTBENCH

TRICKY: list[object] = [
    "",
    "".join(chr(c) for c in range(0, 0x800)),  # every control character, DEL, Latin, Greek…
    '\u2028\u2029\ufeff😀 “quotes” \\ / "',
    ["a", ["b", {"z": 1, "a": [True, False, None]}]],
    {"b": 1, "a": {"d": -(2**63), "c": 2**64 - 1}},
    {"t": [0.0, -0.0, 0.7, 1.0, 0.1 + 0.2, 1e16, 1e-05, 5e-324, 1.7976931348623157e308]},
    {"big": 2**64, "small": -(2**63) - 1},  # beyond orjson's integers: content_hash's own path
    {"nan": float("nan"), "inf": float("inf")},
    (1, "tuple"),
]


@pytest.mark.parametrize("value", TRICKY, ids=range(len(TRICKY)))
def test_fast_hash_is_content_hash(value: object) -> None:
    assert _content_hash(value) == content_hash(value)


def test_a_lone_surrogate_fails_as_content_hash_fails() -> None:
    with pytest.raises(UnicodeEncodeError):
        content_hash("\ud800")
    with pytest.raises(UnicodeEncodeError):
        _content_hash("\ud800")


def test_every_mt_bench_answer_and_call_key_hashes_as_before() -> None:
    """Every answer turn of the 31 published models, and a judge call of each, hash as content_hash does."""
    files = sorted((MTBENCH / "model_answer").glob("*.jsonl"))
    if not files:
        pytest.skip(f"{MTBENCH} not found")
    decoding = Decoding(temperature=0.0, max_tokens=2048)
    checked = 0
    for path in files:
        for line in path.read_text(encoding="utf-8").splitlines():
            turns = json.loads(line)["choices"][0]["turns"]
            assert answer_hash(turns) == content_hash(list(turns))
            messages = [Message("system", "grade"), Message("user", "\n".join(turns))]
            fields = {
                "judge": "openai/j",
                "messages": [m.to_dict() for m in messages],
                "decoding": [0.0, 2048, None, []],
                "game": 0,
            }
            assert call_key("openai/j", messages, decoding) == content_hash(fields)
            checked += 1
    assert checked == 31 * 80  # every answer of every model
