"""Clearing's pure rules: parameters, packaging, caps, netting, sessions, exceptions."""
