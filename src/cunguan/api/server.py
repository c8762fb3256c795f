"""The app factory ``uvicorn`` runs: settings from the environment (set by ``cunguan serve``)."""

import os

from fastapi import FastAPI

from cunguan.adapters.store.db import make_engine
from cunguan.api.app import WORKER_INTERVAL_S_DEFAULT, create_app
from cunguan.core.process import tune_garbage_collection
from cunguan.service_layer.bank import Bank


def app() -> FastAPI:
    engine = make_engine(os.environ.get("CUNGUAN_DATABASE_URL") or None)
    interval_s = float(os.environ.get("CUNGUAN_WORKER_INTERVAL_S") or WORKER_INTERVAL_S_DEFAULT)
    grouped = os.environ.get("CUNGUAN_GROUP_COMMIT", "1") == "1"
    run_worker = os.environ.get("CUNGUAN_RUN_WORKER") == "1"
    created = create_app(Bank(engine, group_commit=grouped), run_worker=run_worker,
                         worker_interval_s=interval_s)
    tune_garbage_collection()
    return created
