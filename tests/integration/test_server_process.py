"""What ``cunguan serve`` does to each server process it starts (``cunguan.api.server``)."""

import gc
from pathlib import Path

import pytest

from cunguan.adapters.store.db import make_engine, upgrade
from cunguan.api import server


def test_the_server_factory_freezes_its_startup_heap_out_of_garbage_collection(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'bank.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    monkeypatch.setenv("CUNGUAN_DATABASE_URL", url)
    gc.unfreeze()
    try:
        app = server.app()
        frozen = gc.get_freeze_count()
        routes_frozen = [r for r in app.routes if gc.is_tracked(r)]
        assert frozen > 0
        assert routes_frozen and all(not _in_collected_generation(r) for r in routes_frozen)
    finally:
        gc.unfreeze()   # give this test process's objects back to the collector


def _in_collected_generation(obj: object) -> bool:
    return any(o is obj for generation in range(3) for o in gc.get_objects(generation))
