"""The app factory ``uvicorn`` runs: settings from the environment (set by ``cunguan serve``)."""

from fastapi import FastAPI

from cunguan.core.process import tune_garbage_collection
from cunguan.core.settings import settings
from cunguan.db.connection import make_engine
from cunguan.platform.app import create_app
from cunguan.platform.bank import Bank


def app() -> FastAPI:
    given = settings()
    engine = make_engine(given.database_url)
    created = create_app(Bank(engine, group_commit=given.group_commit),
                         run_worker=given.run_worker,
                         worker_interval_s=given.worker_interval_s)
    tune_garbage_collection()
    return created
