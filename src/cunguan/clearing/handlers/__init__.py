"""Clearing's use cases: short scripts over the unit of work, the store and the rules."""
