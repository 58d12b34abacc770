"""Model names as people say them: the alias table, the user's config file, close matches."""

from __future__ import annotations

from pathlib import Path

import pytest
from builders import write_questions
from clirun import assert_one_line_error, judgebench

from judgebench.aliases import add_alias, load_user_aliases, resolve_model
from judgebench.errors import ConfigError, UsageError


def test_user_alias_round_trip_and_wins(tmp_path: Path) -> None:
    path = tmp_path / "models.json"
    add_alias("vicuna-13b", "hf/./my-vicuna", path)
    assert load_user_aliases(path) == {"vicuna-13b": "hf/./my-vicuna"}
    assert resolve_model("vicuna-13b", load_user_aliases(path)) == "hf/./my-vicuna"
    with pytest.raises(UsageError, match="expected provider/model"):
        add_alias("x", "nothing", path)
    path.write_text("[1, 2]")
    with pytest.raises(ConfigError, match="fix or delete the file"):
        load_user_aliases(path)


def test_cli_alias_list_and_use(tmp_path: Path) -> None:
    env = {"JUDGEBENCH_CONFIG_DIR": str(tmp_path / "config")}
    added = judgebench("models", "alias", "mine", "fake/x", cwd=tmp_path, env=env)
    assert added.returncode == 0 and "mine → fake/x" in added.stdout
    listed = judgebench("models", "list", cwd=tmp_path, env=env)
    assert listed.returncode == 0
    assert "vicuna-13b" in listed.stdout and "hf/lmsys/vicuna-13b-v1.5" in listed.stdout
    assert "mine" in listed.stdout and "local/gemma-3-270m" in listed.stdout
    qfile = write_questions(tmp_path / "mini.jsonl", n=2)
    run = judgebench("gen-answers", "-m", "mine", "-q", str(qfile), cwd=tmp_path, env=env)
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "results" / "mini" / "answers" / "fake__x.jsonl").is_file()
    unknown = judgebench("gen-answers", "-m", "mien", "-q", str(qfile), cwd=tmp_path, env=env)
    assert_one_line_error(unknown, 2, "unknown model 'mien'", "close matches: mine", "provider/model")
