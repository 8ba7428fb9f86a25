"""UploadService: photographers' API, the image processor, buckets, CDNs and image events."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.alarms import OutcomeRate, metric_alarm
from components.bucket import PrivateBucket, PrivateBucketArgs
from components.cdn import Cdn, CdnArgs
from components.iam import Statement
from components.service import ServiceArgs, ServiceComponent
from components.work_queue import QueueSender, WorkQueue, WorkQueueArgs
from services.upload.manifest import (
    MANIFEST,
    MAX_IMAGE_PIXELS,
    MAX_UPLOAD_BYTES,
    UPLOAD_URL_TTL_SECONDS,
)

ORIGINALS_TO_GLACIER_DAYS = 30
"""Originals are read once by the processor; after a month they go to Glacier Instant Retrieval."""
DELETED_REVIEW_COPY_DAYS = 7
"""The originals bucket is versioned, so deleting a review copy (services/upload/review_copies.py)
leaves its bytes as a noncurrent version: they are purged this long after the delete (a week
to restore copies deleted by mistake). Current review copies never expire: a review may wait
indefinitely, and its previews and its approval read them."""
CIRCUIT_METRIC = "RekognitionCircuitOpen"
"""The processor's metric: 1 for an image analysed while the Rekognition circuit is open (the
call skipped, or the failure that opened it), 0 for a call made with the circuit closed."""


@dataclass
class UploadServiceArgs(ServiceArgs):
    """Settings only: everything else is derived from the environment."""


REJECTED_RATE = OutcomeRate(
    bad="ImagesRejected", good=("ImagesPublished", "ImagesInReview"), threshold=0.5
)
"""The processor's outcome metrics (services/upload/processor.py OUTCOME_METRICS)."""


class UploadService(ServiceComponent):
    MANIFEST = MANIFEST

    def __init__(
        self, name: str, args: UploadServiceArgs, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("marketplace:services:UploadService", name, args, opts)
        self.originals, self.renditions, self.licensed = self._create_buckets()
        self.public_cdn, self.delivery_cdn = self._create_cdns()
        self.functions = self._create_functions()
        self.events = self._create_topic(self.functions)
        self.ingest = self._create_ingest()
        self.api = self._http_api(self.functions)
        self.circuit_alarm = self._create_circuit_alarm()
        self.outputs: dict[str, pulumi.Input[object]] = {
            "apiUrl": self.api.url,
            "eventsTopicArn": self.events.arn,
            "publicCdnDomain": self.public_cdn.domain_name,
            "deliveryCdnDomain": self.delivery_cdn.domain_name,
            "deliveryKeyPairIds": self.delivery_cdn.key_pair_ids,
            "tableName": self.table.name,
        }
        self.register_outputs(self.outputs)

    def _create_buckets(self) -> tuple[PrivateBucket, PrivateBucket, PrivateBucket]:
        glacier = aws.s3.BucketLifecycleConfigurationRuleArgs(
            id="originals-to-glacier",
            status="Enabled",
            filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix="originals/"),
            transitions=[
                aws.s3.BucketLifecycleConfigurationRuleTransitionArgs(
                    days=ORIGINALS_TO_GLACIER_DAYS, storage_class="GLACIER_IR"
                )
            ],
        )
        originals = PrivateBucket(
            f"{self._name}-originals",
            PrivateBucketArgs(
                self.context,
                "originals",
                lifecycle_rules=[glacier, _deleted_review_copies()],
                versioned=True,
                # Photographers' browsers POST originals straight to S3 (presigned POST).
                browser_upload_origins=self.context.settings.web_origins,
            ),
            opts=self._child(),
        )
        renditions = PrivateBucket(
            f"{self._name}-renditions",
            PrivateBucketArgs(self.context, "renditions", served_by_cdn=True),
            opts=self._child(),
        )
        licensed = PrivateBucket(
            f"{self._name}-licensed",
            PrivateBucketArgs(self.context, "licensed", served_by_cdn=True),
            opts=self._child(),
        )
        return originals, renditions, licensed

    def _create_cdns(self) -> tuple[Cdn, Cdn]:
        public = Cdn(
            f"{self._name}-public-cdn",
            CdnArgs(self.context, "public", self.renditions),
            opts=self._child(),
        )
        delivery = Cdn(
            f"{self._name}-delivery-cdn",
            CdnArgs(
                self.context,
                "delivery",
                self.licensed,
                signing_public_keys=dict(self.context.settings.cdn_signing.public_keys),
            ),
            opts=self._child(),
        )
        return public, delivery

    def _grants(self) -> dict[str, list[Statement]]:
        settings = self.context.settings
        rekognition = tuple(
            action
            for action, enabled in (
                ("rekognition:DetectLabels", settings.rekognition_labels),
                ("rekognition:DetectModerationLabels", settings.rekognition_moderation),
            )
            if enabled
        )

        def put(bucket: PrivateBucket, *prefixes: str) -> list[Statement]:
            arns = tuple(bucket.objects_arn(p) for p in prefixes)
            return [Statement(actions=("s3:PutObject",), resources=arns)]

        def get(bucket: PrivateBucket, prefix: str) -> list[Statement]:
            return [Statement(actions=("s3:GetObject",), resources=(bucket.objects_arn(prefix),))]

        return super()._grants() | {
            "originals:put": put(self.originals, "originals/"),
            "originals:get": get(self.originals, "originals/"),
            # Review copies: private renditions no CDN serves (services/upload/uploads.py).
            "review:put": put(self.originals, "review/"),
            "review:get": get(self.originals, "review/"),
            # Deleted once a decision or a withdrawal makes them useless (review_copies.py).
            "review:delete": [
                Statement(
                    actions=("s3:DeleteObject",), resources=(self.originals.objects_arn("review/"),)
                )
            ],
            "renditions:put": put(self.renditions, "thumbnails/", "previews/"),
            # A withdrawn image's public renditions (review_copies.py); licensed copies stay.
            "renditions:delete": [
                Statement(
                    actions=("s3:DeleteObject",),
                    resources=tuple(
                        self.renditions.objects_arn(p) for p in ("thumbnails/", "previews/")
                    ),
                )
            ],
            "licensed:put": put(self.licensed, "licensed/"),
            "rekognition": [Statement(actions=rekognition, resources=("*",))]
            if rekognition
            else [],
        }

    def _environment(self) -> dict[str, pulumi.Input[str]]:
        settings = self.context.settings
        return super()._environment() | {
            "ORIGINALS_BUCKET": self.originals.id,
            "RENDITIONS_BUCKET": self.renditions.id,
            "LICENSED_BUCKET": self.licensed.id,
            "PUBLIC_CDN_DOMAIN": self.public_cdn.domain_name,
            "MAX_UPLOAD_BYTES": str(MAX_UPLOAD_BYTES),
            "UPLOAD_URL_TTL_SECONDS": str(UPLOAD_URL_TTL_SECONDS),
            "REKOGNITION_LABELS": str(settings.rekognition_labels).lower(),
            "REKOGNITION_MODERATION": str(settings.rekognition_moderation).lower(),
            "MAX_IMAGE_PIXELS": str(MAX_IMAGE_PIXELS),
            "CIRCUIT_FAILURE_THRESHOLD": str(settings.rekognition_circuit.failure_threshold),
            "CIRCUIT_WINDOW_SECONDS": str(settings.rekognition_circuit.window_seconds),
            "CIRCUIT_COOLDOWN_SECONDS": str(settings.rekognition_circuit.cooldown_seconds),
            "ADMIN_GROUP": settings.admin_group,
        }

    def _business_alarms(self) -> dict[str, list[aws.cloudwatch.MetricAlarm]]:
        """A processor version that rejects good images: rejections above their usual share."""
        rejected = self._outcome_rate_alarm(
            "processor",
            "rejected-rate",
            REJECTED_RATE,
            "More than half of the processed images were rejected in five minutes: a bad "
            "processor version (its traffic shift rolls back) or a bad batch of uploads.",
        )
        return {"processor": [rejected]}

    def _create_circuit_alarm(self) -> pulumi.Resource:
        """Pages when the processor sends images to review because Rekognition is unavailable."""
        return metric_alarm(
            f"{self._name}-rekognition-circuit-alarm",
            alarm_name=self.context.name("rekognition-circuit-open"),
            description="Rekognition's circuit is open: new images wait in review unanalysed.",
            namespace="Marketplace",
            metric=CIRCUIT_METRIC,
            dimensions={"service": self.context.service},
            topic_arn=self.alarms.arn,
            parent=self,
            statistic="Maximum",
        )

    def _create_ingest(self) -> WorkQueue:
        sender = QueueSender(
            "s3.amazonaws.com", source_arn=self.originals.arn, source_account=self.context.account
        )
        ingest = WorkQueue(
            f"{self._name}-ingest",
            WorkQueueArgs(
                context=self.context,
                purpose="ingest",
                consumer=self.functions["processor"],
                sender=sender,
                alarm_topic_arn=self.alarms.arn,
                # One image per invocation: memory is sized for one decode at a time.
                batch_size=1,
                max_concurrency=20,
                max_receive_count=3,
            ),
            opts=self._child(),
        )
        aws.s3.BucketNotification(
            f"{self._name}-originals-notification",
            bucket=self.originals.id,
            queues=[
                aws.s3.BucketNotificationQueueArgs(
                    queue_arn=ingest.arn,
                    events=["s3:ObjectCreated:*"],
                    filter_prefix="originals/",
                )
            ],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[ingest.policy]),
        )
        return ingest


def _deleted_review_copies() -> aws.s3.BucketLifecycleConfigurationRuleArgs:
    """Purge deleted review copies (noncurrent versions and their delete markers) only."""
    return aws.s3.BucketLifecycleConfigurationRuleArgs(
        id="purge-deleted-review-copies",
        status="Enabled",
        filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix="review/"),
        noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
            noncurrent_days=DELETED_REVIEW_COPY_DAYS
        ),
        expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(
            expired_object_delete_marker=True
        ),
    )
