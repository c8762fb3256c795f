"""Statement formats: bytes in, ``rules.statements.Statement`` out (or a refusal naming the
line and the reason). No database, no I/O beyond the bytes given."""
