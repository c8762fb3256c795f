"""``python -m cunguan``: the same as the ``cunguan`` command."""

from cunguan.cli.main import app

app()
