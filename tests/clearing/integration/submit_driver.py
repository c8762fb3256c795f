"""Closes the due BEPS sessions of a database at a given moment, in a process of its own, for
the SIGKILL test: ``python -m tests.clearing.integration.submit_driver URL ISO_MOMENT``.
``CUNGUAN_FAULT_KILL_IN_CLEARING_SUBMIT`` names where it kills itself."""

import json
import sys
from datetime import datetime

from cunguan.clearing.handlers.service import ClearingService
from cunguan.core.clock import FixedClock
from cunguan.db.connection import make_engine


def main(url: str, moment: str) -> None:
    engine = make_engine(url)
    service = ClearingService(engine, clock=FixedClock(datetime.fromisoformat(moment)))
    print(json.dumps(service.close_sessions()))
    engine.dispose()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
