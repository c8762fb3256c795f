"""Cunguan (存管): a bank-side fund custody and clearing-settlement core."""

__version__ = "0.1.0"
