"""The registry: plug-in providers found through the entry-point group must follow the protocol."""

from __future__ import annotations

import sys
import types

import pytest

import judgebench.providers as providers
from judgebench.errors import ConfigError
from judgebench.providers import API_CAPABILITIES, ProviderOptions, create_provider
from judgebench.providers.fake import FakeProvider


class OldPlugin:
    """A plug-in written before capabilities were declared."""

    def __init__(self, model: str, options: ProviderOptions) -> None:
        self.model = model

    @property
    def model_id(self) -> str:
        return f"old/{self.model}"


class NewPlugin(FakeProvider):
    capabilities = API_CAPABILITIES


@pytest.fixture
def plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two plug-ins registered as the entry-point group would list them (our own seam: ``_plugin_targets``)."""
    module = types.ModuleType("judgebench_test_plugins")
    module.OldPlugin = OldPlugin  # type: ignore[attr-defined]
    module.NewPlugin = NewPlugin  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, module.__name__, module)
    targets = {"old": f"{module.__name__}:OldPlugin", "new": f"{module.__name__}:NewPlugin"}
    monkeypatch.setattr(providers, "_plugin_targets", lambda: targets)


@pytest.mark.usefixtures("plugins")
def test_plugin_missing_protocol_members_is_one_line_config_error() -> None:
    with pytest.raises(ConfigError) as info:
        create_provider("old/m")
    assert str(info.value) == (
        "provider 'old' (judgebench_test_plugins:OldPlugin) lacks capabilities, complete, is_retryable, "
        "retry_after, redact, aclose of the Provider protocol — update the plug-in "
        "(judgebench/providers/protocol.py; capabilities = judgebench.providers.API_CAPABILITIES declares none)"
    )


@pytest.mark.usefixtures("plugins")
def test_plugin_following_the_protocol_is_built() -> None:
    provider = create_provider("new/m")
    assert type(provider) is NewPlugin
    assert provider.capabilities == API_CAPABILITIES
    assert provider.model_id == "fake/m"
