"""Catalog service: the public, read-only image search API and the indexer of image and
purchase events that builds its read model (see ``index.py`` for the table layout)."""
