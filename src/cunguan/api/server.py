"""The app factory ``uvicorn`` runs: settings from the environment (set by ``cunguan serve``)."""

import os

from fastapi import FastAPI

from cunguan.adapters.store.db import make_engine
from cunguan.api.app import create_app
from cunguan.service_layer.bank import Bank


def app() -> FastAPI:
    engine = make_engine(os.environ.get("CUNGUAN_DATABASE_URL") or None)
    return create_app(Bank(engine), run_worker=os.environ.get("CUNGUAN_RUN_WORKER") == "1")
