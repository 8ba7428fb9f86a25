"""UploadService: photographers' API, the image processor, buckets, CDNs and image events."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.bucket import PrivateBucket, PrivateBucketArgs
from components.cdn import Cdn, CdnArgs
from components.event_topic import EventTopic, EventTopicArgs
from components.function import Function
from components.http_api import HttpApi
from components.iam import Statement
from components.service import ServiceArgs, ServiceComponent
from components.work_queue import WorkQueue, WorkQueueArgs

MAX_UPLOAD_BYTES = 100 * 1024 * 1024
"""Largest original accepted (the presigned POST enforces it; 100 MB fits 60 MP JPEGs)."""
MAX_IMAGE_PIXELS = 100_000_000
"""Largest decoded image; anything larger is rejected as a likely decompression bomb."""
ORIGINALS_TO_GLACIER_DAYS = 30
"""Originals are read once by the processor; after a month they go to Glacier Instant Retrieval."""
PROCESSOR_MEMORY_MB = 1024
"""Sized from the image pipeline's measured peak RSS (BENCHMARKS.md, "Memory sizing").

The worst accepted input at MAX_IMAGE_PIXELS is a 100 MP PNG: PNG has no reduced decoding, so
its 400 MB of pixels are held at once, a 561 MB process peak in the benchmark (100 MP JPEG:
163 MB, progressive JPEG: 400 MB, WebP decoded at preview size: 166 MB, palette PNG converted
band by band: 188 MB). The handler's own imports add ~45 MB: ~610 MB. 1024 MB leaves 1.7x for
fragmentation, the S3 body and the runtime; 768 MB would leave 1.25x. CPU comes with memory
(1769 MB = 1 vCPU): below that, CPU-bound work costs the same GB-seconds at any size, only
slower, while the S3 and Rekognition waits cost in proportion to the size, so the smallest
size that safely fits is the cheapest.
"""
PROCESSOR_TIMEOUT_SECONDS = 60


@dataclass
class UploadServiceArgs(ServiceArgs):
    """Settings only: everything else is derived from the environment."""


class UploadService(ServiceComponent):
    SERVICE = "upload"
    TABLE_INDEXES = ("gsi1",)

    def __init__(
        self, name: str, args: UploadServiceArgs, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("marketplace:services:UploadService", name, args, opts)
        self.originals, self.renditions, self.licensed = self._create_buckets()
        self.public_cdn, self.delivery_cdn = self._create_cdns()
        self.api_function, self.processor = self._create_functions()
        self.events = self._create_topic()
        self.ingest = self._create_ingest()
        self.api = self._create_api()
        self.register_outputs(
            {
                "apiUrl": self.api.url,
                "eventsTopicArn": self.events.arn,
                "publicCdnDomain": self.public_cdn.domain_name,
                "deliveryCdnDomain": self.delivery_cdn.domain_name,
                "tableName": self.table.name,
            }
        )

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
                lifecycle_rules=[glacier],
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

    def _create_functions(self) -> tuple[Function, Function]:
        settings = self.context.settings
        api = self._function(
            "api",
            "services.upload.api.lambda_handler",
            [
                self.table.access(write=True),
                # The presigned POST is signed with this role: it may only create originals.
                Statement(
                    actions=("s3:PutObject",), resources=(self.originals.objects_arn("originals/"),)
                ),
                *self.publish_statements(),
            ],
            {
                "ORIGINALS_BUCKET": self.originals.id,
                "MAX_UPLOAD_BYTES": str(MAX_UPLOAD_BYTES),
                "UPLOAD_URL_TTL_SECONDS": "900",
                "EVENTS_TOPIC_ARN": self.own_topic_arn(),
            },
        )
        rekognition = [
            action
            for action, enabled in (
                ("rekognition:DetectLabels", settings.rekognition_labels),
                ("rekognition:DetectModerationLabels", settings.rekognition_moderation),
            )
            if enabled
        ]
        processor = self._function(
            "processor",
            "services.upload.processor.lambda_handler",
            [
                self.table.access(write=True),
                Statement(
                    actions=("s3:GetObject",), resources=(self.originals.objects_arn("originals/"),)
                ),
                Statement(
                    actions=("s3:PutObject",),
                    resources=(
                        self.renditions.objects_arn("thumbnails/"),
                        self.renditions.objects_arn("previews/"),
                    ),
                ),
                Statement(
                    actions=("s3:PutObject",), resources=(self.licensed.objects_arn("licensed/"),)
                ),
                *([Statement(actions=tuple(rekognition), resources=("*",))] if rekognition else []),
                *self.publish_statements(),
            ],
            {
                "ORIGINALS_BUCKET": self.originals.id,
                "RENDITIONS_BUCKET": self.renditions.id,
                "LICENSED_BUCKET": self.licensed.id,
                "PUBLIC_CDN_DOMAIN": self.public_cdn.domain_name,
                "EVENTS_TOPIC_ARN": self.own_topic_arn(),
                "REKOGNITION_LABELS": str(settings.rekognition_labels).lower(),
                "REKOGNITION_MODERATION": str(settings.rekognition_moderation).lower(),
                "MAX_IMAGE_PIXELS": str(MAX_IMAGE_PIXELS),
            },
            memory_mb=PROCESSOR_MEMORY_MB,
            timeout_seconds=PROCESSOR_TIMEOUT_SECONDS,
        )
        return api, processor

    def _create_topic(self) -> EventTopic:
        return EventTopic(
            f"{self._name}-events",
            EventTopicArgs(
                context=self.context,
                kms_key_id=self.key.arn,
                publisher_role_arns=[self.api_function.role.arn, self.processor.role.arn],
                subscriber_accounts=self.subscriber_accounts(),
            ),
            opts=self._child(),
        )

    def _create_ingest(self) -> WorkQueue:
        sender = Statement(
            actions=("sqs:SendMessage",),
            resources=(self.originals.arn,),
            principals={"Service": "s3.amazonaws.com"},
            conditions={
                "ArnEquals": {"aws:SourceArn": self.originals.arn},
                "StringEquals": {"aws:SourceAccount": self.context.account},
            },
        )
        ingest = WorkQueue(
            f"{self._name}-ingest",
            WorkQueueArgs(
                context=self.context,
                purpose="ingest",
                consumer=self.processor,
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

    def _create_api(self) -> HttpApi:
        return self._http_api(
            self.api_function,
            ["POST /uploads", "GET /uploads", "GET /uploads/{id}", "DELETE /uploads/{id}"],
        )
