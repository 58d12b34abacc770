"""Public question sets judgebench can download (``judgebench datasets pull``).

We ship our own questions only; well-known public sets are fetched from where
their authors publish them — at a pinned commit or revision, never a branch —
checked against a pinned sha256, and stored under
the user data dir (:func:`judgebench.storage.data_dir`), after which
``--questions <name>`` finds them. Each file is written to a temporary name
and renamed only once its checksum matches, so a failed pull never leaves a
half-written file behind.

A local copy (``pull(..., source_dir=DIR)``, ``datasets pull NAME --from DIR``)
is read from a folder instead: each file at its upstream path in ``DIR`` (or its
stored name, or its bare file name), checked against the same pins. A file that
differs — a hand-made mirror of the same schema, say — is refused unless
``verify=False`` (``--no-verify``), and then used, said loudly, and recorded in
the dataset's ``SOURCE.json`` (``"verified": false`` and each unverified file's
own sha256), which ``validate-judge`` repeats beside its verdict. A file the copy
lacks is taken from another pulled dataset holding the very same pinned file
(``mt-bench``'s questions, references and prompts), else refused naming it.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from judgebench.errors import DownloadError, UsageError
from judgebench.storage import data_dir
from judgebench.storage.mt_bench_human import build_mt_bench_human

if TYPE_CHECKING:
    import httpx

__all__ = [
    "DATASETS",
    "FASTCHAT_COMMIT",
    "MT_BENCH_HUMAN_REVISION",
    "Dataset",
    "DatasetFile",
    "PullResult",
    "pull",
]


@dataclass(frozen=True)
class DatasetFile:
    """One file of a dataset: where it lives upstream and what it must hash to."""

    source: str
    """Path relative to the base URL (the file's own, else the dataset's; a ``--mirror`` serves all)."""
    target: str
    """Path relative to the dataset's folder in the data dir."""
    sha256: str
    base_url: str | None = None
    """This file's base URL when it differs from the dataset's."""


@dataclass(frozen=True)
class Dataset:
    """A downloadable question set.

    ``build``, when set, derives further files from the verified downloads
    (in the dataset's folder) and returns their paths relative to it, and notes.
    """

    name: str
    description: str
    base_url: str
    files: tuple[DatasetFile, ...]
    build: Callable[[Path], tuple[list[str], list[str]]] | None = None


FASTCHAT_COMMIT = "0e6d3e4beaab66f4d3f93db72541a4abab8af28d"
"""The lm-sys/FastChat commit the FastChat files are pinned to (2025-04-12), so a checksum
can never break by itself; every pinned file below is identical at this commit and at
the commit that last changed it."""

_FASTCHAT_DATA = f"https://raw.githubusercontent.com/lm-sys/FastChat/{FASTCHAT_COMMIT}/fastchat/llm_judge/data/"

MT_BENCH_HUMAN_REVISION = "f7d2896d2cc5d80f8b55c2bbc722613555233c25"
"""The revision of the Hugging Face dataset ``lmsys/mt_bench_human_judgments`` pinned to."""

_MT_BENCH_HUMAN = f"https://huggingface.co/datasets/lmsys/mt_bench_human_judgments/resolve/{MT_BENCH_HUMAN_REVISION}/"

_MT_BENCH_QUESTIONS = DatasetFile(
    "mt_bench/question.jsonl", "question.jsonl", "119565adbab82227089cefdb44c8d7e2cf04dc0a0ec233634c82e7d4e2a944f7"
)
_MT_BENCH_REFERENCES = DatasetFile(
    "mt_bench/reference_answer/gpt-4.jsonl",
    "reference_answer/gpt-4.jsonl",
    "f957a5bc977badb66885ec970e6cd08527845780313f0995764260e5777b9b3f",
)
_JUDGE_PROMPTS = DatasetFile(
    "judge_prompts.jsonl", "judge_prompts.jsonl", "fd283293406d024f44c174b094ef48031d0687a4682fd3a56b29b138f80281b6"
)

DATASETS: dict[str, Dataset] = {
    "mt-bench": Dataset(
        name="mt-bench",
        description="MT-Bench (Zheng et al., 2023): 80 two-turn questions, GPT-4 reference answers, judge prompts",
        base_url=_FASTCHAT_DATA,
        files=(_MT_BENCH_QUESTIONS, _MT_BENCH_REFERENCES, _JUDGE_PROMPTS),
    ),
    "vicuna-bench": Dataset(
        name="vicuna-bench",
        description="The Vicuna evaluation set (Chiang et al., 2023): 80 single-turn questions in 9 categories, "
        "GPT-4 references for 10 math and coding ones, FastChat's judge prompts",
        base_url=_FASTCHAT_DATA,
        files=(
            DatasetFile(
                "vicuna_bench/question.jsonl",
                "question.jsonl",
                "c248c5c98ba45bb0c2aadae2f270e643bd32679c6c306a3b2a503ac4254cdaa5",
            ),
            DatasetFile(
                "vicuna_bench/reference_answer/gpt-4.jsonl",
                "reference_answer/gpt-4.jsonl",
                "f7542dc25a5a869b32197486f5699a14eb5682ab3c7264518402399ec09ab470",
            ),
            _JUDGE_PROMPTS,
        ),
    ),
    "mt-bench-human": Dataset(
        name="mt-bench-human",
        description="MT-Bench human judgments (lmsys/mt_bench_human_judgments): 3,355 expert and author votes "
        "and 2,400 GPT-4 verdicts on six models' answers, with MT-Bench's questions and references",
        base_url=_MT_BENCH_HUMAN,
        files=(
            DatasetFile(
                "data/human-00000-of-00001-25f4910818759289.parquet",
                "human.parquet",
                "4877bc46a40929f4082c3c79593700fb897b1d6c7f4c473032694a01322f5769",
            ),
            DatasetFile(
                "data/gpt4_pair-00000-of-00001-c0b431264a82ddc0.parquet",
                "gpt4_pair.parquet",
                "57068327ffb5f8fddb15fedbbfe40b26fe862da2326331e5cf64a42320a00e71",
            ),
            replace(_MT_BENCH_QUESTIONS, target="mt_bench/question.jsonl", base_url=_FASTCHAT_DATA),
            replace(_MT_BENCH_REFERENCES, base_url=_FASTCHAT_DATA),
            replace(_JUDGE_PROMPTS, base_url=_FASTCHAT_DATA),
        ),
        build=build_mt_bench_human,
    ),
}


@dataclass(frozen=True)
class PullResult:
    """What a pull did."""

    folder: Path
    downloaded: tuple[str, ...]
    already_present: tuple[str, ...]
    built: tuple[str, ...] = ()
    """Files derived from the downloads (the dataset's ``build``)."""
    notes: tuple[str, ...] = ()
    """What the build wants the user to know."""
    unverified: tuple[str, ...] = ()
    """Files taken from a local copy whose sha256 is not the pinned one (``verify=False``)."""


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
    source_dir: Path | None = None,
    verify: bool = True,
) -> PullResult:
    """Download a dataset's files (or copy them from ``source_dir``), verify them and store them in the data dir.

    Args:
        name: a key of :data:`DATASETS`.
        mirror: base URL to use instead of the upstream one (same layout).
        force: download again even if verified files are present.
        timeout: seconds per request.
        on_file: called with each file's name as it starts.
        source_dir: a local copy to read instead of downloading (see the module docs).
        verify: with ``source_dir``: ``False`` accepts files whose sha256 is not the pinned one,
            recording them as unverified in ``SOURCE.json``.

    Raises:
        UsageError: unknown dataset name; a ``mirror`` that is not an http(s) URL; both
            ``mirror`` and ``source_dir``; ``verify=False`` without ``source_dir``; a
            ``source_dir`` that lacks a file, or (verifying) holds one that differs from the pin.
        DownloadError: a request failed or a checksum did not match.
    """
    if name not in DATASETS:
        raise UsageError(f"unknown dataset {name!r}; available: {', '.join(sorted(DATASETS))}")
    if source_dir is not None and mirror is not None:
        raise UsageError("--from and --mirror: give one — a local folder or a base URL")
    if not verify and source_dir is None:
        raise UsageError("--no-verify is for --from DIR (a local copy); downloads are always verified")
    if mirror is not None:
        from judgebench.providers import check_url

        check_url(mirror, "--mirror")
    dataset = DATASETS[name]
    folder = data_dir() / "datasets" / name
    downloaded: list[str] = []
    present: list[str] = []
    unverified: dict[str, str] = {}
    if source_dir is not None:
        base = str(source_dir.resolve())
        found_files, unverified = _local_files(source_dir, dataset, name, verify=verify)
        for file in dataset.files:
            target = folder / file.target
            found = found_files[file.target]
            digest = unverified.get(file.target, file.sha256)
            if not force and target.is_file() and _sha256(target) == digest:
                present.append(file.target)
                continue
            if on_file is not None:
                on_file(file.target)
            _copy(found, target)
            downloaded.append(file.target)
    else:
        import httpx

        base = (mirror or dataset.base_url).rstrip("/") + "/"
        with httpx.Client(timeout=timeout, follow_redirects=True) as client:
            for file in dataset.files:
                target = folder / file.target
                if not force and target.is_file() and _sha256(target) == file.sha256:
                    present.append(file.target)
                    continue
                url = (base if mirror or file.base_url is None else file.base_url.rstrip("/") + "/") + file.source
                if on_file is not None:
                    on_file(file.target)
                _download(client, url, target, file.sha256)
                downloaded.append(file.target)
    manifest = {
        "name": name,
        "base_url": base,
        "files": {f.target: unverified.get(f.target, f.sha256) for f in dataset.files},
        "pulled_at": time.time(),
        "verified": not unverified,
        **({"from": base, "unverified": unverified} if source_dir is not None else {}),
    }
    built, notes = dataset.build(folder) if dataset.build is not None else ([], [])
    (folder / "SOURCE.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return PullResult(
        folder, tuple(downloaded), tuple(present), tuple(built), tuple(notes), unverified=tuple(sorted(unverified))
    )


def _local_files(
    source_dir: Path, dataset: Dataset, name: str, *, verify: bool
) -> tuple[dict[str, Path], dict[str, str]]:
    """Each of ``dataset``'s files in a local copy (see :func:`_local_file`) by target name, all checked
    before anything is copied; and the sha256 of those that are not the pinned file.

    Raises:
        UsageError: files not found (all named in one line); (``verify``) a file that is not the pinned one.
    """
    found: dict[str, Path] = {}
    missing: list[DatasetFile] = []
    for file in dataset.files:
        try:
            found[file.target] = _local_file(source_dir, file, name)
        except UsageError:
            missing.append(file)
    if len(missing) == 1:
        _local_file(source_dir, missing[0], name)  # its own message: the path and where to get it
    if missing:
        raise UsageError(
            f"--from {source_dir}: no {', '.join(f.source for f in missing)} — copy them there from the upstream "
            f"release ({', '.join(f'{f.base_url or dataset.base_url}{f.source}' for f in missing)})"
        )
    unverified: dict[str, str] = {}
    for file in dataset.files:
        digest = _sha256(found[file.target])
        if digest != file.sha256:
            if verify:
                raise UsageError(
                    f"{found[file.target]}: sha256 {digest[:16]}… is not the published file's {file.sha256[:16]}… "
                    "— pass --no-verify to use this copy anyway (recorded as unverified)"
                )
            unverified[file.target] = digest
    return found, unverified


def _local_file(source_dir: Path, file: DatasetFile, name: str) -> Path:
    """Where a local copy holds ``file``: its upstream path, its stored name, its bare name, else another dataset's.

    Another pulled dataset's file counts only when its sha256 is this file's pin.

    Raises:
        UsageError: not found, naming the paths looked at.
    """
    for candidate in (file.source, file.target, Path(file.source).name):
        path = source_dir / candidate
        if path.is_file():
            return path
    for other in DATASETS.values():
        if other.name == name:
            continue
        for f in other.files:
            path = data_dir() / "datasets" / other.name / f.target
            if f.sha256 == file.sha256 and path.is_file() and _sha256(path) == file.sha256:
                return path
    raise UsageError(
        f"--from {source_dir}: no {file.source} (nor {file.target}) — copy it there from the upstream release "
        f"({file.base_url or DATASETS[name].base_url}{file.source})"
    )


def _copy(source: Path, target: Path) -> None:
    """Copy a local file whole (temporary file, then rename)."""
    import shutil

    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DownloadError(f"{target.parent}: cannot create ({exc.strerror}) — set JUDGEBENCH_DATA_DIR") from None
    tmp = target.with_name(f".{target.name}.part")
    try:
        shutil.copyfile(source, tmp)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


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
