"""newsqa core: ingest Chinese news articles, index them, search them, answer with citations."""

__version__ = "0.1.0"
