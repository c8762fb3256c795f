"""P2P fund custody (资金存管), one business context, layered like every context:
``rules/`` (pure), ``store/`` (its tables and SQL), ``handlers/`` (one module per use case) and
its edges ``routes.py``, ``operator_routes.py`` and the CLIs (docs/ARCHITECTURE.md). The card
BIN table (``cards``, which reads its shipped data file) sits beside ``rules/``.
"""
