"""P2P fund custody (资金存管), one business context.

Its pure rules are in ``cunguan.custody.rules``; the card BIN table (``cards``, which reads its
shipped data file) stays here. The handlers, for now, are ``service_layer/custody_service.py`` and
``service_layer/lending_service.py``, its tables ``adapters/store/custody_tables.py``
(docs/ARCHITECTURE.md, "Custody").
"""
