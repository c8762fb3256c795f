"""What ``cunguan serve`` does to each server process it starts (``cunguan.platform.server``)."""

import gc
from pathlib import Path

import pytest

from cunguan.core import limits
from cunguan.db.connection import make_engine, upgrade
from cunguan.platform import server


def test_the_server_factory_freezes_its_startup_heap_and_collects_less_often(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'bank.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    monkeypatch.setenv("CUNGUAN_DATABASE_URL", url)
    thresholds = gc.get_threshold()
    gc.unfreeze()
    try:
        app = server.app()
        routes = [r for r in app.routes if gc.is_tracked(r)]
        assert gc.get_freeze_count() > 0
        assert routes and not any(_in_collected_generation(r) for r in routes)
        assert gc.get_threshold() == limits.gc_thresholds != thresholds
    finally:
        gc.unfreeze()   # give this test process's objects back to the collector
        gc.set_threshold(*thresholds)


def _in_collected_generation(obj: object) -> bool:
    return any(o is obj for generation in range(3) for o in gc.get_objects(generation))
