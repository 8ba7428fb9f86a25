"""Deploy an environment's service stacks into the embedded cloud, as ``pulumi up`` would.

The real program (``__main__.py``) runs for each stack under ``EmulatorMocks``: every
resource the emulator can hold is created for real in the account of its provider (the
service's own account), and the emulator's identifiers become the resource's outputs, so
the functions' environment variables hold working queue URLs, table names and ARNs.
Resources the emulator cannot run (functions, event source mappings, HTTP APIs, CDNs,
alarms, layers) are recorded with their full properties for the local runtime. An unknown
resource type fails the deployment with its name: a silently skipped resource would only
surface later as a handler failing against something that does not exist.

moto does not enforce IAM: roles and their policies are created so they can be inspected,
not because they restrict anything here. The runtime's per-account credentials are what
keep one service out of another's resources.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import pulumi
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from components.naming import secret_name
from components.settings import NAMESPACE, load_settings
from local.emulator.cloud import IDENTITY_ACCOUNT, EmbeddedCloud, Identity
from local.emulator.cross_account import cross_account_subscriptions, install_taps
from local.graph import GRAPH_FILE, Graph
from local.program import ORGANIZATION, PROJECT, REPO_ROOT, Evaluation, RecordingMocks, evaluate
from services.contracts.catalogue import SERVICES

Outputs = dict[str, Any]
SIGNING_KEY_NAME = "local"
PURCHASE_SIGNING_SECRET = "cdn-signing-key"
"""Purpose of purchase's secret holding the active CloudFront private key (components)."""
CDN_COMMENT = re.compile(r"^marketplace-[a-z0-9]+-(?P<service>[a-z]+)-(?P<purpose>.+)$")

RECORDED_TYPES = frozenset(
    {
        "aws:lambda/function:Function",
        "aws:lambda/layerVersion:LayerVersion",
        "aws:lambda/eventSourceMapping:EventSourceMapping",
        "aws:lambda/permission:Permission",
        "aws:apigatewayv2/api:Api",
        "aws:apigatewayv2/authorizer:Authorizer",
        "aws:apigatewayv2/integration:Integration",
        "aws:apigatewayv2/route:Route",
        "aws:apigatewayv2/stage:Stage",
        "aws:cloudfront/distribution:Distribution",
        "aws:cloudfront/originAccessControl:OriginAccessControl",
        "aws:cloudfront/publicKey:PublicKey",
        "aws:cloudfront/keyGroup:KeyGroup",
        "aws:cloudwatch/metricAlarm:MetricAlarm",
    }
)
"""Types the emulator cannot run: recorded with their properties, served by the runtime."""


class UnknownResourceTypeError(NotImplementedError):
    """The program declared a resource type the local deployer neither creates nor records."""


# -- signing keys ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SigningKey:
    """A CloudFront signing key pair generated per local deployment (never committed)."""

    key_name: str
    private_key_pem: str
    public_key_pem: str


def generate_signing_key(key_name: str = SIGNING_KEY_NAME) -> SigningKey:
    """RSA-2048, the key type CloudFront accepts for signed URLs."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return SigningKey(key_name=key_name, private_key_pem=private_pem, public_key_pem=public_pem)


# -- input conversion ------------------------------------------------------------------------

SPECIAL_KEYS = {"id": "ID", "sseAlgorithm": "SSEAlgorithm", "kmsMasterKeyId": "KMSMasterKeyID"}


def pascal(value: Any) -> Any:
    """Pulumi's camelCase inputs -> the AWS API's PascalCase shapes (numbers as ints)."""
    if isinstance(value, Mapping):
        return {
            SPECIAL_KEYS.get(key, key[:1].upper() + key[1:]): pascal(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [pascal(item) for item in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _int(value: Any) -> int:
    return int(float(value))


def _bool_text(value: Any) -> str:
    return "true" if value in (True, "true") else "false"


def _short_id(*parts: str, length: int = 10) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:length]


def _tag_list(tags: Mapping[str, str] | None, key: str = "Key", value: str = "Value") -> list:
    return [{key: k, value: v} for k, v in sorted((tags or {}).items())]


QUEUE_ATTRIBUTES = {
    "visibilityTimeoutSeconds": "VisibilityTimeout",
    "messageRetentionSeconds": "MessageRetentionPeriod",
    "delaySeconds": "DelaySeconds",
    "receiveWaitTimeSeconds": "ReceiveMessageWaitTimeSeconds",
    "maxMessageSize": "MaximumMessageSize",
    "redrivePolicy": "RedrivePolicy",
    "sqsManagedSseEnabled": "SqsManagedSseEnabled",
    "kmsMasterKeyId": "KmsMasterKeyId",
    "fifoQueue": "FifoQueue",
    "policy": "Policy",
}


def queue_attributes(inputs: Mapping[str, Any]) -> dict[str, str]:
    attributes: dict[str, str] = {}
    for name, attribute in QUEUE_ATTRIBUTES.items():
        value = inputs.get(name)
        if value is None:
            continue
        if isinstance(value, bool):
            attributes[attribute] = _bool_text(value)
        elif isinstance(value, float | int):
            attributes[attribute] = str(_int(value))
        else:
            attributes[attribute] = str(value)
    return attributes


def notification_configuration(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """A BucketNotification's queues/topics -> S3's NotificationConfiguration."""
    if inputs.get("lambdaFunctions"):
        raise UnknownResourceTypeError(
            "aws:s3/bucketNotification:BucketNotification with lambdaFunctions targets: the "
            "local environment delivers S3 notifications through SQS only"
        )

    def entry(target: Mapping[str, Any], arn_key: str, arn_field: str) -> dict[str, Any]:
        rules = [
            {"Name": name, "Value": target[key]}
            for name, key in (("prefix", "filterPrefix"), ("suffix", "filterSuffix"))
            if target.get(key)
        ]
        result: dict[str, Any] = {arn_field: target[arn_key], "Events": list(target["events"])}
        if rules:
            result["Filter"] = {"Key": {"FilterRules": rules}}
        return result

    return {
        "QueueConfigurations": [
            entry(q, "queueArn", "QueueArn") for q in inputs.get("queues") or []
        ],
        "TopicConfigurations": [
            entry(t, "topicArn", "TopicArn") for t in inputs.get("topics") or []
        ],
    }


# -- the mocks -------------------------------------------------------------------------------


class EmulatorMocks(RecordingMocks):
    """Creates each resource in the embedded cloud, in the account of its provider."""

    CREATORS: ClassVar[dict[str, str]] = {
        "aws:kms/key:Key": "_kms_key",
        "aws:kms/alias:Alias": "_kms_alias",
        "aws:sns/topic:Topic": "_sns_topic",
        "aws:sns/topicPolicy:TopicPolicy": "_sns_topic_policy",
        "aws:sns/topicSubscription:TopicSubscription": "_sns_subscription",
        "aws:sqs/queue:Queue": "_sqs_queue",
        "aws:sqs/queuePolicy:QueuePolicy": "_sqs_queue_policy",
        "aws:dynamodb/table:Table": "_dynamodb_table",
        "aws:s3/bucket:Bucket": "_s3_bucket",
        "aws:s3/bucketServerSideEncryptionConfiguration:"
        "BucketServerSideEncryptionConfiguration": "_s3_encryption",
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": "_s3_public_access",
        "aws:s3/bucketOwnershipControls:BucketOwnershipControls": "_s3_ownership",
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": "_s3_lifecycle",
        "aws:s3/bucketVersioning:BucketVersioning": "_s3_versioning",
        "aws:s3/bucketPolicy:BucketPolicy": "_s3_policy",
        "aws:s3/bucketNotification:BucketNotification": "_s3_notification",
        "aws:s3/bucketCorsConfiguration:BucketCorsConfiguration": "_s3_cors",
        "aws:secretsmanager/secret:Secret": "_secret",
        "aws:iam/role:Role": "_iam_role",
        "aws:iam/rolePolicy:RolePolicy": "_iam_role_policy",
        "aws:cloudwatch/logGroup:LogGroup": "_log_group",
    }
    """Type token -> the method creating it in the emulator (``(args, inputs, account,
    region) -> (id, outputs)``)."""

    def __init__(
        self,
        cloud: EmbeddedCloud,
        region: str | None = None,
        stack_outputs: Mapping[str, dict] | None = None,
        secret_values: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__()
        self.cloud = cloud
        self.region = region or cloud.region
        self.stack_outputs = dict(stack_outputs or {})
        self.secret_values = dict(secret_values or {})
        self.created: set[tuple[str, str]] = set()
        """(type, logical name) of the resources created in the emulator (others: recorded)."""
        self.errors: list[Exception] = []
        self._lock = threading.Lock()

    def outputs_for(
        self, args: pulumi.runtime.MockResourceArgs, account: str | None
    ) -> tuple[str, Outputs]:
        try:
            return self._outputs_for(args, account)
        except Exception as error:
            # Pulumi's mock monitor may wrap or lose the exception; keep it to re-raise.
            with self._lock:
                self.errors.append(error)
            raise

    def _outputs_for(
        self, args: pulumi.runtime.MockResourceArgs, account: str | None
    ) -> tuple[str, Outputs]:
        typ = args.typ
        inputs = dict(args.inputs)
        if typ == "pulumi:pulumi:StackReference":
            return self._stack_reference(inputs.get("name", args.name))
        if typ.startswith("pulumi:providers:"):
            return args.name, inputs
        if not args.custom:  # component resources hold nothing themselves
            return "", {}
        method = self.CREATORS.get(typ)
        if method is None and typ not in RECORDED_TYPES:
            raise UnknownResourceTypeError(
                f"the local deployer does not know resource type {typ} ({args.name}): "
                "add it to local/emulator/deployer.py (create it in the emulator or record it)"
            )
        if account is None:
            raise ValueError(f"{typ} {args.name} has no provider account")
        region = inputs.get("region") or self.region
        if method is None:
            resource_id, extra = self._recorded(args, inputs, account, region)
        else:
            resource_id, extra = getattr(self, method)(args, inputs, account, region)
            with self._lock:
                self.created.add((typ, args.name))
        return resource_id, {**inputs, **extra}

    def _stack_reference(self, name: str) -> tuple[str, Outputs]:
        if name not in self.stack_outputs:
            deployed = ", ".join(sorted(self.stack_outputs)) or "none"
            raise KeyError(f"stack reference {name!r} is not deployed yet (deployed: {deployed})")
        return name, {"name": name, "outputs": self.stack_outputs[name]}

    def _client(self, service: str, account: str, region: str) -> Any:
        return self.cloud.client(service, account, region)

    # -- KMS -----------------------------------------------------------------------------

    def _kms_key(self, args: Any, inputs: dict, account: str, region: str) -> tuple[str, Outputs]:
        kms = self._client("kms", account, region)
        params: dict[str, Any] = {
            "Description": inputs.get("description", args.name),
            "Tags": _tag_list(inputs.get("tags"), "TagKey", "TagValue"),
        }
        if inputs.get("policy"):
            params["Policy"] = inputs["policy"]
        metadata = kms.create_key(**params)["KeyMetadata"]
        if inputs.get("enableKeyRotation"):
            kms.enable_key_rotation(KeyId=metadata["KeyId"])
        return metadata["KeyId"], {"arn": metadata["Arn"], "keyId": metadata["KeyId"]}

    def _kms_alias(self, args: Any, inputs: dict, account: str, region: str) -> tuple[str, Outputs]:
        kms = self._client("kms", account, region)
        kms.create_alias(AliasName=inputs["name"], TargetKeyId=inputs["targetKeyId"])
        key_arn = kms.describe_key(KeyId=inputs["targetKeyId"])["KeyMetadata"]["Arn"]
        return inputs["name"], {
            "arn": f"arn:aws:kms:{region}:{account}:{inputs['name']}",
            "targetKeyArn": key_arn,
        }

    # -- SNS -----------------------------------------------------------------------------

    def _sns_topic(self, args: Any, inputs: dict, account: str, region: str) -> tuple[str, Outputs]:
        sns = self._client("sns", account, region)
        attributes = {}
        if inputs.get("kmsMasterKeyId"):
            attributes["KmsMasterKeyId"] = inputs["kmsMasterKeyId"]
        arn = sns.create_topic(
            Name=inputs.get("name", args.name),
            Attributes=attributes,
            Tags=_tag_list(inputs.get("tags")),
        )["TopicArn"]
        return arn, {"arn": arn, "name": inputs.get("name", args.name), "owner": account}

    def _sns_topic_policy(
        self, args: Any, inputs: dict, account: str, region: str
    ) -> tuple[str, Outputs]:
        sns = self._client("sns", account, region)
        sns.set_topic_attributes(
            TopicArn=inputs["arn"], AttributeName="Policy", AttributeValue=inputs["policy"]
        )
        return inputs["arn"], {"owner": account}

    def _sns_subscription(
        self, args: Any, inputs: dict, account: str, region: str
    ) -> tuple[str, Outputs]:
        if inputs["protocol"] != "sqs":
            # E-mail (alarm) subscriptions wait for a person to confirm: nothing to deliver to.
            arn = f"{inputs['topic']}:{uuid.uuid5(uuid.NAMESPACE_URL, args.name)}"
            return arn, {"arn": arn, "pendingConfirmation": True, "ownerId": account}
        # Created with the consumer's (the queue owner's) credentials, as in prod.
        sns = self._client("sns", account, region)
        attributes = {"RawMessageDelivery": _bool_text(inputs.get("rawMessageDelivery", False))}
        if inputs.get("filterPolicy"):
            attributes["FilterPolicy"] = inputs["filterPolicy"]
            attributes["FilterPolicyScope"] = inputs.get("filterPolicyScope", "MessageAttributes")
        if inputs.get("redrivePolicy"):
            attributes["RedrivePolicy"] = inputs["redrivePolicy"]
        arn = sns.subscribe(
            TopicArn=inputs["topic"],
            Protocol="sqs",
            Endpoint=inputs["endpoint"],
            Attributes=attributes,
            ReturnSubscriptionArn=True,
        )["SubscriptionArn"]
        return arn, {"arn": arn, "ownerId": account, "pendingConfirmation": False}

    # -- SQS -----------------------------------------------------------------------------

    def _sqs_queue(self, args: Any, inputs: dict, account: str, region: str) -> tuple[str, Outputs]:
        sqs = self._client("sqs", account, region)
        name = inputs.get("name", args.name)
        url = sqs.create_queue(
            QueueName=name, Attributes=queue_attributes(inputs), tags=inputs.get("tags") or {}
        )["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        return url, {"arn": arn, "url": url, "name": name}

    def _sqs_queue_policy(
        self, args: Any, inputs: dict, account: str, region: str
    ) -> tuple[str, Outputs]:
        sqs = self._client("sqs", account, region)
        sqs.set_queue_attributes(
            QueueUrl=inputs["queueUrl"], Attributes={"Policy": inputs["policy"]}
        )
        return inputs["queueUrl"], {}

    # -- DynamoDB ------------------------------------------------------------------------

    def _dynamodb_table(
        self, args: Any, inputs: dict, account: str, region: str
    ) -> tuple[str, Outputs]:
        dynamodb = self._client("dynamodb", account, region)
        name = inputs.get("name", args.name)
        key_schema = [{"AttributeName": inputs["hashKey"], "KeyType": "HASH"}]
        if inputs.get("rangeKey"):
            key_schema.append({"AttributeName": inputs["rangeKey"], "KeyType": "RANGE"})
        params: dict[str, Any] = {
            "TableName": name,
            "AttributeDefinitions": [
                {"AttributeName": a["name"], "AttributeType": a["type"]}
                for a in inputs["attributes"]
            ],
            "KeySchema": key_schema,
            "BillingMode": inputs.get("billingMode", "PAY_PER_REQUEST"),
            "SSESpecification": {
                "Enabled": bool((inputs.get("serverSideEncryption") or {}).get("enabled"))
            },
            "DeletionProtectionEnabled": bool(inputs.get("deletionProtectionEnabled")),
            "Tags": _tag_list(inputs.get("tags")),
        }
        indexes = [_gsi(index) for index in inputs.get("globalSecondaryIndexes") or []]
        if indexes:
            params["GlobalSecondaryIndexes"] = indexes
        if inputs.get("streamEnabled"):
            params["StreamSpecification"] = {
                "StreamEnabled": True,
                "StreamViewType": inputs.get("streamViewType") or "NEW_AND_OLD_IMAGES",
            }
        table = dynamodb.create_table(**params)["TableDescription"]
        ttl = inputs.get("ttl") or {}
        if ttl.get("enabled"):
            dynamodb.update_time_to_live(
                TableName=name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["attributeName"]},
            )
        if (inputs.get("pointInTimeRecovery") or {}).get("enabled"):
            dynamodb.update_continuous_backups(
                TableName=name,
                PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
            )
        outputs: Outputs = {"arn": table["TableArn"], "name": name}
        if table.get("LatestStreamArn"):
            outputs["streamArn"] = table["LatestStreamArn"]
            outputs["streamLabel"] = table.get("LatestStreamLabel", "")
        return name, outputs

    # -- S3 ------------------------------------------------------------------------------

    def _s3_bucket(self, args: Any, inputs: dict, account: str, region: str) -> tuple[str, Outputs]:
        s3 = self._client("s3", account, region)
        bucket = inputs.get("bucket", args.name)
        params: dict[str, Any] = {"Bucket": bucket}
        if region != "us-east-1":
            params["CreateBucketConfiguration"] = {"LocationConstraint": region}
        s3.create_bucket(**params)
        if inputs.get("tags"):
            s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": _tag_list(inputs.get("tags"))})
        return bucket, {
            "arn": f"arn:aws:s3:::{bucket}",
            "bucket": bucket,
            "region": region,
            "bucketDomainName": f"{bucket}.s3.amazonaws.com",
            "bucketRegionalDomainName": f"{bucket}.s3.{region}.amazonaws.com",
        }

    def _s3_encryption(
        self, args: Any, inputs: dict, account: str, region: str
    ) -> tuple[str, Outputs]:
        self._client("s3", account, region).put_bucket_encryption(
            Bucket=inputs["bucket"],
            ServerSideEncryptionConfiguration={"Rules": pascal(inputs["rules"])},
        )
        return inputs["bucket"], {}

    def _s3_public_access(
        self, args: Any, inputs: dict, account: str, region: str
    ) -> tuple[str, Outputs]:
        settings = (
            "blockPublicAcls",
            "blockPublicPolicy",
            "ignorePublicAcls",
            "restrictPublicBuckets",
        )
        config = {k[:1].upper() + k[1:]: bool(inputs.get(k)) for k in settings}
        self._client("s3", account, region).put_public_access_block(
            Bucket=inputs["bucket"], PublicAccessBlockConfiguration=config
        )
        return inputs["bucket"], {}

    def _s3_ownership(
        self, args: Any, inputs: dict, account: str, region: str
    ) -> tuple[str, Outputs]:
        self._client("s3", account, region).put_bucket_ownership_controls(
            Bucket=inputs["bucket"], OwnershipControls={"Rules": [pascal(inputs["rule"])]}
        )
        return inputs["bucket"], {}

    def _s3_lifecycle(
        self, args: Any, inputs: dict, account: str, region: str
    ) -> tuple[str, Outputs]:
        self._client("s3", account, region).put_bucket_lifecycle_configuration(
            Bucket=inputs["bucket"], LifecycleConfiguration={"Rules": pascal(inputs["rules"])}
        )
        return inputs["bucket"], {}

    def _s3_versioning(
        self, args: Any, inputs: dict, account: str, region: str
    ) -> tuple[str, Outputs]:
        self._client("s3", account, region).put_bucket_versioning(
            Bucket=inputs["bucket"],
            VersioningConfiguration=pascal(inputs["versioningConfiguration"]),
        )
        return inputs["bucket"], {}

    def _s3_policy(self, args: Any, inputs: dict, account: str, region: str) -> tuple[str, Outputs]:
        s3 = self._client("s3", account, region)
        applied = without_tls_only_denies(inputs["policy"])
        if applied is not None:
            s3.put_bucket_policy(Bucket=inputs["bucket"], Policy=applied)
        return inputs["bucket"], {"appliedPolicy": applied or ""}

    def _s3_cors(self, args: Any, inputs: dict, account: str, region: str) -> tuple[str, Outputs]:
        # moto answers S3 preflights and adds Access-Control-Allow-Origin from this, as S3 does.
        self._client("s3", account, region).put_bucket_cors(
            Bucket=inputs["bucket"], CORSConfiguration={"CORSRules": pascal(inputs["corsRules"])}
        )
        return inputs["bucket"], {}

    def _s3_notification(
        self, args: Any, inputs: dict, account: str, region: str
    ) -> tuple[str, Outputs]:
        self._client("s3", account, region).put_bucket_notification_configuration(
            Bucket=inputs["bucket"],
            NotificationConfiguration=notification_configuration(inputs),
        )
        return inputs["bucket"], {}

    # -- Secrets Manager, IAM, CloudWatch Logs -------------------------------------------

    def _secret(self, args: Any, inputs: dict, account: str, region: str) -> tuple[str, Outputs]:
        secrets = self._client("secretsmanager", account, region)
        name = inputs.get("name", args.name)
        params: dict[str, Any] = {"Name": name, "Tags": _tag_list(inputs.get("tags"))}
        for key, param in (("description", "Description"), ("kmsKeyId", "KmsKeyId")):
            if inputs.get(key):
                params[param] = inputs[key]
        if name in self.secret_values:
            # Put out of band in prod (never through Pulumi state); the local run owns it.
            params["SecretString"] = self.secret_values[name]
        arn = secrets.create_secret(**params)["ARN"]
        return arn, {"arn": arn, "name": name}

    def _iam_role(self, args: Any, inputs: dict, account: str, region: str) -> tuple[str, Outputs]:
        iam = self._client("iam", account, region)
        name = inputs.get("name", args.name)
        role = iam.create_role(
            RoleName=name,
            AssumeRolePolicyDocument=inputs["assumeRolePolicy"],
            Description=inputs.get("description", ""),
            Tags=_tag_list(inputs.get("tags")),
        )["Role"]
        return name, {"arn": role["Arn"], "uniqueId": role["RoleId"], "name": name}

    def _iam_role_policy(
        self, args: Any, inputs: dict, account: str, region: str
    ) -> tuple[str, Outputs]:
        name = inputs.get("name") or args.name
        self._client("iam", account, region).put_role_policy(
            RoleName=inputs["role"], PolicyName=name, PolicyDocument=inputs["policy"]
        )
        return f"{inputs['role']}:{name}", {"name": name}

    def _log_group(self, args: Any, inputs: dict, account: str, region: str) -> tuple[str, Outputs]:
        logs = self._client("logs", account, region)
        name = inputs.get("name", args.name)
        logs.create_log_group(logGroupName=name, tags=inputs.get("tags") or {})
        if inputs.get("retentionInDays"):
            logs.put_retention_policy(
                logGroupName=name, retentionInDays=_int(inputs["retentionInDays"])
            )
        return name, {"arn": f"arn:aws:logs:{region}:{account}:log-group:{name}", "name": name}

    # -- recorded only -------------------------------------------------------------------

    def _recorded(self, args: Any, inputs: dict, account: str, region: str) -> tuple[str, Outputs]:
        """Plausible outputs for what the runtime serves instead of the emulator."""
        typ = args.typ
        rid = _short_id(account, typ, args.name)
        name = inputs.get("name", args.name)
        if typ == "aws:lambda/function:Function":
            arn = f"arn:aws:lambda:{region}:{account}:function:{name}"
            invoke = (
                f"arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{arn}/invocations"
            )
            return name, {
                "arn": arn,
                "name": name,
                "invokeArn": invoke,
                "qualifiedArn": f"{arn}:$LATEST",
                "version": "$LATEST",
            }
        if typ == "aws:lambda/layerVersion:LayerVersion":
            layer_arn = f"arn:aws:lambda:{region}:{account}:layer:{inputs.get('layerName', name)}"
            return f"{layer_arn}:1", {
                "arn": f"{layer_arn}:1",
                "layerArn": layer_arn,
                "version": "1",
            }
        if typ == "aws:lambda/eventSourceMapping:EventSourceMapping":
            mapping = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{account}/{args.name}"))
            return mapping, {
                "uuid": mapping,
                "functionArn": inputs.get("functionName"),
                "state": "Enabled",
            }
        if typ == "aws:apigatewayv2/api:Api":
            return rid, {
                "apiEndpoint": f"http://{name}.execute-api.local",
                "executionArn": f"arn:aws:execute-api:{region}:{account}:{rid}",
                "arn": f"arn:aws:apigateway:{region}::/apis/{rid}",
            }
        if typ == "aws:cloudfront/distribution:Distribution":
            distribution = f"E{rid.upper()}"
            return distribution, {
                "arn": f"arn:aws:cloudfront::{account}:distribution/{distribution}",
                "domainName": cdn_domain(inputs.get("comment", ""), args.name),
                "status": "Deployed",
                "hostedZoneId": "Z2FDTNDATAQYW2",
            }
        if typ == "aws:cloudfront/publicKey:PublicKey":
            return f"K{rid.upper()}", {"etag": rid}
        if typ == "aws:cloudwatch/metricAlarm:MetricAlarm":
            return args.name, {"arn": f"arn:aws:cloudwatch:{region}:{account}:alarm:{args.name}"}
        if typ == "aws:apigatewayv2/stage:Stage":
            return name, {"invokeUrl": "", "executionArn": ""}
        return rid, {}


CREATED_TYPES = frozenset(EmulatorMocks.CREATORS)
"""Types created for real in the emulator."""


def without_tls_only_denies(policy: str) -> str | None:
    """The bucket policy minus its ``aws:SecureTransport = false`` denies (None if empty).

    The emulator speaks plain HTTP on loopback, and moto enforces bucket policies: a
    TLS-only deny would (rightly) refuse every local request. Over TLS in AWS those
    statements never match a legitimate request, so dropping them changes nothing else;
    the graph keeps the full policy as declared.
    """
    document = json.loads(policy)
    statements = document.get("Statement") or []
    if isinstance(statements, Mapping):
        statements = [statements]
    kept = [s for s in statements if not _is_tls_only_deny(s)]
    if not kept:
        return None
    return json.dumps({**document, "Statement": kept}, sort_keys=True)


def _is_tls_only_deny(statement: Mapping[str, Any]) -> bool:
    condition = statement.get("Condition") or {}
    secure = (condition.get("Bool") or {}).get("aws:SecureTransport")
    return statement.get("Effect") == "Deny" and str(secure).lower() == "false"


def _gsi(index: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "IndexName": index["name"],
        "KeySchema": [
            {"AttributeName": k["attributeName"], "KeyType": k["keyType"]}
            for k in index["keySchemas"]
        ],
        "Projection": {"ProjectionType": index.get("projectionType", "ALL")},
    }


def cdn_domain(comment: str, logical_name: str) -> str:
    """``marketplace-local-upload-public`` -> ``public-cdn.upload.local`` (the runtime's CDN)."""
    match = CDN_COMMENT.match(comment)
    if match:
        return f"{match['purpose']}-cdn.{match['service']}.local"
    return f"{logical_name.removesuffix('-distribution')}.local"


# -- deploying an environment ----------------------------------------------------------------


def deploy_order() -> list[str]:
    """Services producers first (from the event catalogue): a consumer subscribes to topics
    that must exist, and purchase reads upload's outputs."""
    remaining = {name: set(spec.consumes) - {name} for name, spec in SERVICES.items()}
    order: list[str] = []
    while remaining:
        ready = sorted(name for name, needs in remaining.items() if needs <= set(order))
        if not ready:
            raise ValueError(
                f"the event catalogue has a subscription cycle among {sorted(remaining)}"
            )
        order.append(ready[0])
        del remaining[ready[0]]
    return order


def config_file(env: str) -> Path:
    return REPO_ROOT / f"Pulumi.{env}.yaml"


def localize_config(
    config: Mapping[str, Any], identity: Identity, signing: SigningKey
) -> dict[str, Any]:
    """The env's config with the local pool as issuer and the run's signing public key."""
    values = copy.deepcopy(dict(config))
    values[f"{NAMESPACE}:identity"] = {
        "issuer": identity.issuer,
        "audiences": list(identity.audiences),
    }
    values[f"{NAMESPACE}:cdnSigning"] = {
        "activeKey": signing.key_name,
        "publicKeys": {signing.key_name: signing.public_key_pem},
    }
    return values


def stack_reference_name(stack: str) -> str:
    return f"{ORGANIZATION}/{PROJECT}/{stack}"


def _json_default(value: Any) -> Any:
    """Assets and archives by path (the runtime imports handlers from the checkout)."""
    path = getattr(value, "path", None)
    if isinstance(value, pulumi.Archive | pulumi.Asset) and path:
        return {type(value).__name__: str(path)}
    return str(value)


def _plain(value: Any) -> Any:
    return json.loads(json.dumps(value, default=_json_default))


def resource_dicts(evaluation: Evaluation, created: set[tuple[str, str]]) -> list[dict[str, Any]]:
    """The graph's form of each resource (``__account`` moved out of the outputs)."""
    return [
        {
            "type": r.type,
            "name": r.name,
            "urn": r.urn,
            "parent": r.parent,
            "id": r.id,
            "inputs": _plain(r.inputs),
            "outputs": _plain({k: v for k, v in r.outputs.items() if k != "__account"}),
            "account": r.account,
            "emulated": (r.type, r.name) in created,
        }
        for r in evaluation.resources
    ]


def deploy_environment(
    cloud: EmbeddedCloud,
    env: str = "local",
    graph_path: Path | None = GRAPH_FILE,
    signing: SigningKey | None = None,
    progress: Callable[[str], None] = print,
    config: Mapping[str, Any] | None = None,
) -> Graph:
    """Deploy every service stack of ``env`` into ``cloud``; write and return the graph.

    ``config`` replaces ``Pulumi.<env>.yaml`` (tests use other account ids, so that they
    never collide with another environment running in the same process).
    """
    cloud.start()
    raw_config = _load(env) if config is None else dict(config)
    identity = cloud.identity or cloud.create_identity()
    signing = signing or generate_signing_key()
    config = localize_config(raw_config, identity, signing)
    settings = load_settings(env, lambda key: config.get(f"{NAMESPACE}:{key}"))
    graph = Graph(
        endpoint=cloud.endpoint,
        region=settings.region,
        accounts={**settings.accounts, "identity": IDENTITY_ACCOUNT},
        identity=identity.as_dict(),
    )
    secrets = {secret_name(env, "purchase", PURCHASE_SIGNING_SECRET): signing.private_key_pem}
    references: dict[str, dict] = {}
    for service in deploy_order():
        stack = f"{service}-{env}"
        started = time.monotonic()
        mocks = EmulatorMocks(cloud, settings.region, references, secrets)
        evaluation = _evaluate(stack, mocks, config)
        graph.stacks[stack] = resource_dicts(evaluation, mocks.created)
        graph.stack_outputs[stack] = _plain(evaluation.outputs)
        references[stack_reference_name(stack)] = graph.stack_outputs[stack]
        custom = [r for r in graph.stacks[stack] if r["type"].startswith("aws:")]
        progress(
            f"deployed {stack:<16} {len(custom):>3} resources "
            f"({len(mocks.created)} in the emulator, {len(custom) - len(mocks.created)} "
            f"recorded) in {time.monotonic() - started:.1f}s"
        )
    graph.credentials = {account: cloud.credentials(account) for account in graph.accounts.values()}
    upload_outputs = graph.stack_outputs.get(f"upload-{env}", {})
    graph.signing = {
        "key_name": signing.key_name,
        "private_key_pem": signing.private_key_pem,
        "public_key_pem": signing.public_key_pem,
        "key_pair_id": (upload_outputs.get("deliveryKeyPairIds") or {}).get(signing.key_name, ""),
    }
    taps = install_taps(graph, cross_account_subscriptions(graph))
    progress(f"installed {len(taps)} cross-account taps (moto workaround: cross_account.py)")
    if graph_path is not None:
        graph.save(graph_path)
    return graph


def _load(env: str) -> dict[str, Any]:
    from local.program import load_config

    path = config_file(env)
    if not path.exists():
        raise FileNotFoundError(f"no config for environment {env!r}: {path} does not exist")
    return load_config(path)


def _evaluate(stack: str, mocks: EmulatorMocks, config: Mapping[str, Any]) -> Evaluation:
    """Evaluate, surfacing the mocks' own error (Pulumi may wrap or hide it)."""
    try:
        evaluation = evaluate(stack, mocks, config=config)
    except Exception as error:
        if mocks.errors:
            raise mocks.errors[0] from error
        raise
    if mocks.errors:
        raise mocks.errors[0]
    return evaluation
