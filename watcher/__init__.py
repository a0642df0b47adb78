"""veille: collection and judgement of press, parliamentary and institutional items."""

__version__ = "0.1.0"
