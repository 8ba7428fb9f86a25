"""A service's DynamoDB table: on-demand, encrypted, point-in-time recovery, TTL."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.context import ServiceContext
from components.iam import Statement


@dataclass
class TableArgs:
    context: ServiceContext
    """The service stack; the table is ``marketplace-<env>-<service>-data``."""
    indexes: tuple[str, ...] = ()
    """Global secondary indexes (``gsi1``...), keyed ``<index>pk``/``<index>sk``. Default none."""
    stream: bool = False
    """Emit a NEW_AND_OLD_IMAGES stream. Default off."""


class Table(pulumi.ComponentResource):
    """pk/sk string keys (single-table design), TTL on ``expiration``; protected in prod."""

    def __init__(self, name: str, args: TableArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("marketplace:storage:Table", name, None, opts)
        context = args.context
        attributes = [("pk", "S"), ("sk", "S")]
        indexes = []
        for index in args.indexes:
            attributes += [(f"{index}pk", "S"), (f"{index}sk", "S")]
            indexes.append(
                aws.dynamodb.TableGlobalSecondaryIndexArgs(
                    name=index,
                    key_schemas=[
                        aws.dynamodb.TableGlobalSecondaryIndexKeySchemaArgs(
                            attribute_name=f"{index}pk", key_type="HASH"
                        ),
                        aws.dynamodb.TableGlobalSecondaryIndexKeySchemaArgs(
                            attribute_name=f"{index}sk", key_type="RANGE"
                        ),
                    ],
                    projection_type="ALL",
                )
            )
        self.table = aws.dynamodb.Table(
            f"{name}-table",
            name=context.name("data"),
            billing_mode="PAY_PER_REQUEST",
            hash_key="pk",
            range_key="sk",
            attributes=[aws.dynamodb.TableAttributeArgs(name=n, type=t) for n, t in attributes],
            global_secondary_indexes=indexes or None,
            server_side_encryption=aws.dynamodb.TableServerSideEncryptionArgs(enabled=True),
            point_in_time_recovery=aws.dynamodb.TablePointInTimeRecoveryArgs(enabled=True),
            ttl=aws.dynamodb.TableTtlArgs(attribute_name="expiration", enabled=True),
            deletion_protection_enabled=context.deletion_protection,
            stream_enabled=args.stream,
            stream_view_type="NEW_AND_OLD_IMAGES" if args.stream else None,
            # In prod the table is also protected from `pulumi destroy` and replacements.
            opts=pulumi.ResourceOptions(parent=self, protect=context.deletion_protection),
        )
        self.name = self.table.name
        self.arn = self.table.arn
        self.stream_arn = self.table.stream_arn
        self.register_outputs({"name": self.name, "arn": self.arn})

    def access(self, *, write: bool) -> Statement:
        """What a function of this service needs on its own table and indexes."""
        actions = READ_ACTIONS + (WRITE_ACTIONS if write else ())
        return Statement(
            actions=actions, resources=(self.arn, self.arn.apply(lambda a: f"{a}/index/*"))
        )


READ_ACTIONS = (
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:ConditionCheckItem",
)
WRITE_ACTIONS = (
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
)
