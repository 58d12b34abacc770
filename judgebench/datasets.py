"""Public question sets judgebench can download (``judgebench datasets pull``).

We ship our own questions only; well-known public sets are fetched from where
their authors publish them, checked against a pinned sha256, and stored under
the user data dir (:func:`judgebench.storage.data_dir`), after which
``--questions <name>`` finds them. Each file is written to a temporary name
and renamed only once its checksum matches, so a failed pull never leaves a
half-written file behind.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from judgebench.errors import DownloadError, UsageError
from judgebench.storage import data_dir

if TYPE_CHECKING:
    import httpx

__all__ = ["DATASETS", "Dataset", "DatasetFile", "PullResult", "pull"]


@dataclass(frozen=True)
class DatasetFile:
    """One file of a dataset: where it lives upstream and what it must hash to."""

    source: str
    """Path relative to the dataset's base URL."""
    target: str
    """Path relative to the dataset's folder in the data dir."""
    sha256: str


@dataclass(frozen=True)
class Dataset:
    """A downloadable question set."""

    name: str
    description: str
    base_url: str
    files: tuple[DatasetFile, ...]


_FASTCHAT_DATA = "https://raw.githubusercontent.com/lm-sys/FastChat/main/fastchat/llm_judge/data/"

DATASETS: dict[str, Dataset] = {
    "mt-bench": Dataset(
        name="mt-bench",
        description="MT-Bench (Zheng et al., 2023): 80 two-turn questions, GPT-4 reference answers, judge prompts",
        base_url=_FASTCHAT_DATA,
        files=(
            DatasetFile(
                "mt_bench/question.jsonl",
                "question.jsonl",
                "119565adbab82227089cefdb44c8d7e2cf04dc0a0ec233634c82e7d4e2a944f7",
            ),
            DatasetFile(
                "mt_bench/reference_answer/gpt-4.jsonl",
                "reference_answer/gpt-4.jsonl",
                "f957a5bc977badb66885ec970e6cd08527845780313f0995764260e5777b9b3f",
            ),
            DatasetFile(
                "judge_prompts.jsonl",
                "judge_prompts.jsonl",
                "fd283293406d024f44c174b094ef48031d0687a4682fd3a56b29b138f80281b6",
            ),
        ),
    ),
}


@dataclass(frozen=True)
class PullResult:
    """What a pull did."""

    folder: Path
    downloaded: tuple[str, ...]
    already_present: tuple[str, ...]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def pull(
    name: str,
    *,
    mirror: str | None = None,
    force: bool = False,
    timeout: float = 60.0,
    on_file: Callable[[str], None] | None = None,
) -> PullResult:
    """Download a dataset's files, verify them and store them in the data dir.

    Args:
        name: a key of :data:`DATASETS`.
        mirror: base URL to use instead of the upstream one (same layout).
        force: download again even if verified files are present.
        timeout: seconds per request.
        on_file: called with each file's name as it starts.

    Raises:
        UsageError: unknown dataset name; a ``mirror`` that is not an http(s) URL.
        DownloadError: a request failed or a checksum did not match.
    """
    import httpx

    from judgebench.providers import check_url

    if name not in DATASETS:
        raise UsageError(f"unknown dataset {name!r}; available: {', '.join(sorted(DATASETS))}")
    if mirror is not None:
        check_url(mirror, "--mirror")
    dataset = DATASETS[name]
    base = (mirror or dataset.base_url).rstrip("/") + "/"
    folder = data_dir() / "datasets" / name
    downloaded: list[str] = []
    present: list[str] = []
    with httpx.Client(timeout=timeout, follow_redirects=True) as client:
        for file in dataset.files:
            target = folder / file.target
            if not force and target.is_file() and _sha256(target) == file.sha256:
                present.append(file.target)
                continue
            url = base + file.source
            if on_file is not None:
                on_file(file.target)
            _download(client, url, target, file.sha256)
            downloaded.append(file.target)
    manifest = {
        "name": name,
        "base_url": base,
        "files": {f.target: f.sha256 for f in dataset.files},
        "pulled_at": time.time(),
    }
    (folder / "SOURCE.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return PullResult(folder, tuple(downloaded), tuple(present))


def _download(client: httpx.Client, url: str, target: Path, sha256: str) -> None:
    import httpx

    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DownloadError(f"{target.parent}: cannot create ({exc.strerror}) — set JUDGEBENCH_DATA_DIR") from None
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    tmp = Path(tmp_name)
    try:
        digest = hashlib.sha256()
        with os.fdopen(fd, "wb") as out, client.stream("GET", url) as response:
            if response.status_code != 200:
                raise DownloadError(
                    f"{url}: HTTP {response.status_code} — check your network or pass --mirror with a copy"
                )
            for chunk in response.iter_bytes():
                digest.update(chunk)
                out.write(chunk)
        if digest.hexdigest() != sha256:
            raise DownloadError(
                f"{url}: sha256 {digest.hexdigest()[:16]}… does not match the pinned {sha256[:16]}… — "
                "the download is corrupt or the file changed upstream; nothing was saved"
            )
        os.replace(tmp, target)
    except httpx.HTTPError as exc:
        raise DownloadError(f"{url}: {type(exc).__name__}: {exc} — check your network or pass --mirror") from None
    finally:
        tmp.unlink(missing_ok=True)
