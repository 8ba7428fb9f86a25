"""Idempotency records live in the service's own table, beside its data (pk/sk layout)."""

from __future__ import annotations

import os

from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer


def persistence_layer(table_name: str | None = None) -> DynamoDBPersistenceLayer:
    """Powertools persistence in ``TABLE_NAME``: pk ``idempotency#<function>``, sk the key hash."""
    return DynamoDBPersistenceLayer(
        table_name=table_name or os.environ["TABLE_NAME"],
        key_attr="pk",
        sort_key_attr="sk",
    )
