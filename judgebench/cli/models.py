"""``judgebench models``: the alias table (names as people say them → ``provider/model``)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from judgebench.cli.render import out

__all__ = ["models_app"]

models_app = typer.Typer(help="Model names: list the aliases, add your own.", no_args_is_help=True)


@models_app.command("list")
def models_list_command() -> None:
    """List every alias (yours first win) and the embedded offline models."""
    from rich.table import Table

    from judgebench.aliases import aliases_path, all_aliases
    from judgebench.providers.local import EMBEDDED, embedded_path

    table = Table("name", "model id", "from")
    for name, (target, origin) in all_aliases().items():
        table.add_row(name, target, origin)
    out.print(table)
    for name, what in EMBEDDED.items():
        cached = "cached" if (embedded_path(name) / "config.json").is_file() else "converted on first use"
        out.print(f"embedded: local/{name} — {escape(what)} ({cached})", highlight=False)
    out.print(f"your aliases: {aliases_path()}", highlight=False)


@models_app.command("alias")
def models_alias_command(
    name: Annotated[str, typer.Argument(help="The short name, e.g. my-ckpt.")],
    target: Annotated[str, typer.Argument(help="What it stands for: provider/model, e.g. hf/./checkpoints/step-900.")],
) -> None:
    """Add or change an alias in your config file."""
    from judgebench.aliases import add_alias

    path = add_alias(name, target)
    out.print(f"{escape(name)} → {escape(target)} (saved in {path})", highlight=False)
