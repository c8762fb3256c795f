"""P2P fund custody (资金存管), one business context.

Its pure rules are in ``cunguan.custody.rules``; the card BIN table (``cards``, which reads its
shipped data file) stays here. The handlers, for now, are ``custody/handlers/service.py`` and
``custody/handlers/lending_service.py``, its tables ``custody/store/tables.py``
(docs/ARCHITECTURE.md, "Custody").
"""
