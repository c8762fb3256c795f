"""Small-value batch payment clearing (小额批量支付系统, BEPS, SPEC §5 R-S1..R-S10): participants,
packages, net debit caps, real-time bilateral netting, sessions, settlement on the ledger,
exceptions and ISO 20022 messages.

Layers, inside (checked by import-linter): ``routes | cli`` → ``handlers`` → ``store`` →
``iso20022`` → ``rules``. ``rules`` is pure; ``iso20022`` reads and writes the messages into the
rules' records.
"""
