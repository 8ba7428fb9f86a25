"""The catalog search's monthly cost, from `python -m bench search`'s measurements.

Priced next to seed 000's CloudSearch instance (428 USD), which it replaces: the index's
writes (every publication and every purchase rewrites the image's search entries, each in
the table and in the indexes that key it, plus the image transaction), its storage (entries
with their index copies, for the benchmark's catalogue), and the searches' reads.
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import Any

from bench.cost_inputs import LineItem, Workload

SEED_LINE = "CloudSearch c4.2xlarge"
PURCHASE_TRANSACTION_ITEMS = 3
"""Purchase guard, popularity counter, image (services.catalog.index.plan_purchase)."""
DEFAULTS = {
    "images": 1_000_000,
    "entry_write_units_per_image": 593.6,
    "transaction_items_per_image": 25.2,
    "stored_bytes_per_image": 440_929.0,
    "read_units_per_search": 2.46,
}
"""Used when no search benchmark JSON exists (BENCHMARKS.md, "Search", 1,000,000 images)."""


def measurements(path: Path) -> dict[str, float]:
    if not path.exists():
        return dict(DEFAULTS)
    document = json.loads(path.read_text())
    writes = document["writes"]
    return {
        "images": float(document["images"]),
        "entry_write_units_per_image": float(writes["entry_write_units_per_image"]),
        "transaction_items_per_image": float(writes["transaction_items_per_image"]),
        "stored_bytes_per_image": float(writes["stored_bytes_per_image"]),
        "read_units_per_search": statistics.fmean(r["read_units_mean"] for r in document["rows"]),
    }


def search_items(workload: Workload, prices: dict[str, Any], path: Path) -> list[LineItem]:
    price, measured = prices["dynamodb"], measurements(path)
    entries = measured["entry_write_units_per_image"]
    # transactional writes cost two units per item; a purchase's transaction is 3 items
    per_upload = entries + 2 * measured["transaction_items_per_image"]
    per_purchase = entries + 2 * PURCHASE_TRANSACTION_ITEMS
    write_units = workload.uploads * per_upload + workload.purchases * per_purchase
    gigabytes = measured["images"] * measured["stored_bytes_per_image"] / 1e9
    read_units = workload.searches * measured["read_units_per_search"]
    return [
        LineItem(
            "Catalog search",
            f"index writes: {workload.uploads / 1e3:,.0f} k publications x {per_upload:,.0f}, "
            f"{workload.purchases / 1e3:,.0f} k purchases x {per_purchase:,.0f} write units",
            write_units / 1e6 * price["on_demand_write_units_per_million"],
            SEED_LINE,
        ),
        LineItem(
            "Catalog search",
            f"index storage: {measured['images'] / 1e6:g} M images x "
            f"{measured['stored_bytes_per_image'] / 1e3:,.0f} KB ({gigabytes:,.0f} GB)",
            gigabytes * price["storage_gb_month"],
            SEED_LINE,
        ),
        LineItem(
            "Catalog search",
            f"reads: {workload.searches / 1e6:g} M searches x "
            f"{measured['read_units_per_search']:.1f} read units",
            read_units / 1e6 * price["on_demand_read_units_per_million"],
            SEED_LINE,
        ),
    ]
