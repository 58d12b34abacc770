"""Fixtures of the provider tests: each SDK adapter's key set, its SDK's own variables cleared."""

from __future__ import annotations

import pytest
from sdk_adapters import ANTHROPIC, OPENAI


@pytest.fixture
def openai_key(monkeypatch: pytest.MonkeyPatch) -> str:
    """``OPENAI_API_KEY`` set to the test key (``OPENAI_BASE_URL`` cleared)."""
    return OPENAI.use(monkeypatch)


@pytest.fixture
def anthropic_key(monkeypatch: pytest.MonkeyPatch) -> str:
    """``ANTHROPIC_API_KEY`` set to the test key (the SDK's other credential variables cleared)."""
    return ANTHROPIC.use(monkeypatch)
