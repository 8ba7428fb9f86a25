"""The read side besides search: one image, the most used tags."""

from __future__ import annotations

from typing import Any

from services.catalog import index
from services.catalog.store import CatalogStore


def published_image(store: CatalogStore, image_id: str) -> dict[str, Any] | None:
    """The image's public details; None when unknown or withdrawn."""
    item = store.get_image(image_id)
    if item is None or item.get("status") != index.PUBLISHED:
        return None
    fields = (*index.SUMMARY_FIELDS, "labels", "popularity")
    return {name: index.plain(item.get(name)) for name in fields if name in item}


def top_tags(store: CatalogStore, limit: int) -> list[tuple[str, int]]:
    """The most used tags with their number of published images, most used first."""
    counts = store.all_tag_counts()
    return sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))[:limit]
