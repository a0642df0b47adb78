"""Parsers: bytes from a source -> raw entries."""
