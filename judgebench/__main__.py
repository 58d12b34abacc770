"""``python -m judgebench`` runs the command-line interface."""

from judgebench.cli import console

console()
