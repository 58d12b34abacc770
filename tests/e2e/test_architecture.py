"""The layer contract in pyproject.toml exempts no import: every wrong arrow was moved to its room."""

from __future__ import annotations

import tomllib

from builders import REPO


def test_no_import_is_exempted_from_the_contracts() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    assert {"layers", "acyclic"} <= {c["id"] for c in contracts}
    assert {c["id"]: c.get("ignore_imports", []) for c in contracts} == {c["id"]: [] for c in contracts}
