"""``python -m cunguan``: the same as the ``cunguan`` command."""

from cunguan.platform.cli.main import app

app()
