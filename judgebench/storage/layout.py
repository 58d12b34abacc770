"""Where things live: the results tree, bundled data and the user data dir."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Literal

__all__ = [
    "DEFAULT_QUESTION_SET",
    "JudgeMode",
    "answers_path",
    "batches_path",
    "bundled_dir",
    "calls_path",
    "data_dir",
    "judgments_path",
    "model_slug",
]

DEFAULT_QUESTION_SET = "jb-80"


def bundled_dir(kind: str) -> Path:
    """Directory of bundled data (``questions`` or ``judge_prompts``).

    A wheel carries it inside the package; an editable install reads the repo.
    """
    packaged = Path(__file__).resolve().parents[1] / "_data" / kind
    return packaged if packaged.is_dir() else Path(__file__).resolve().parents[2] / kind


def data_dir() -> Path:
    """Where pulled datasets live: ``$JUDGEBENCH_DATA_DIR`` or the user data dir."""
    env = os.environ.get("JUDGEBENCH_DATA_DIR")
    if env:
        return Path(env)
    from platformdirs import user_data_dir

    return Path(user_data_dir("judgebench", appauthor=False))


def model_slug(name: str) -> str:
    """File-name form of a model name.

    >>> model_slug("openai/gpt-4o-mini")
    'openai__gpt-4o-mini'
    >>> model_slug("hf//home/me/ckpt 3")
    'hf__home__me__ckpt_3'
    """
    slug = re.sub(r"/+", "__", name.strip("/"))
    return re.sub(r"[^A-Za-z0-9._-]+", "_", slug)


def answers_path(results_dir: Path, bench: str, name: str) -> Path:
    """``results/<bench>/answers/<model-slug>.jsonl``."""
    return results_dir / bench / "answers" / f"{model_slug(name)}.jsonl"


def calls_path(results_dir: Path, bench: str, name: str) -> Path:
    """``results/<bench>/calls/<model-slug>.jsonl``: the journal of finished calls."""
    return results_dir / bench / "calls" / f"{model_slug(name)}.jsonl"


JudgeMode = Literal["single", "pair", "pairscore"]


def judgments_path(results_dir: Path, bench: str, judge: str, mode: JudgeMode) -> Path:
    """``results/<bench>/judgments/<judge-slug>_<mode>.jsonl``: ``single``, ``pair`` (FastChat's) or ``pairscore``."""
    return results_dir / bench / "judgments" / f"{model_slug(judge)}_{mode}.jsonl"


def batches_path(judgments: Path, judge: str, mode: str) -> Path:
    """``results/<bench>/batches/<judge-slug>_<mode>.jsonl``, beside the judgments folder."""
    return judgments.parent.parent / "batches" / f"{model_slug(judge)}_{mode}.jsonl"
