"""`python -m vitrine` is the `vitrine` command."""

from vitrine.cli import app

app(prog_name="vitrine")
