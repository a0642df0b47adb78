"""Parse failures, phrased in French for the source's health report."""


class ParseError(Exception):
    """The body could not be read as what the source promised."""
