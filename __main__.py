"""The marketplace program: one service in one environment per stack (``<service>-<env>``).

    pulumi up -s upload-dev --config-file Pulumi.dev.yaml

The stack name picks the service and environment; the environment's config file holds the
settings every service stack of that environment shares.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from components.catalog_service import CatalogService, CatalogServiceArgs
from components.iam import permissions_boundary
from components.naming import parse_stack_name
from components.notification_service import NotificationService, NotificationServiceArgs
from components.observability import Monitoring, MonitoringArgs
from components.purchase_service import PurchaseService, PurchaseServiceArgs
from components.settings import MONITORING, NAMESPACE, Settings, config_getter, load_settings
from components.tagging import default_tags
from components.upload_service import UploadService, UploadServiceArgs
from components.web_service import WebService, WebServiceArgs
from services.web.routing import api_services

stack = parse_stack_name(pulumi.get_stack())
config = pulumi.Config(NAMESPACE)
settings = load_settings(stack.env, config_getter(config))


def deployment_provider(settings: Settings, service: str) -> aws.Provider:
    """Assume the deployment role in the service's own account; refuse any other account.

    Its default tags tag every taggable resource of the stack (``components.tagging``).
    """
    account = settings.account_of(service)
    return aws.Provider(
        f"{service}-{settings.env}",
        region=settings.region,
        allowed_account_ids=[account],
        default_tags=default_tags(service, settings.env),
        assume_roles=[
            aws.ProviderAssumeRoleArgs(
                role_arn=settings.deploy_role_arn(service),
                session_name=f"pulumi-{service}-{settings.env}",
            )
        ],
    )


def delivery_from_upload_stack(settings: Settings) -> tuple[pulumi.Input[str], pulumi.Input[str]]:
    """Purchase signs URLs for upload's delivery CDN: from config, else upload's stack outputs."""
    if settings.delivery is not None:
        return settings.delivery.domain, settings.delivery.key_pair_id
    org = settings.stack_reference_org or pulumi.get_organization()
    upload = pulumi.StackReference(f"{org}/{pulumi.get_project()}/upload-{settings.env}")
    key_ids = upload.require_output("deliveryKeyPairIds")
    active = settings.cdn_signing.active_key
    return upload.require_output("deliveryCdnDomain"), key_ids.apply(lambda ids: ids[active])


def web_origins_from_stacks(
    settings: Settings,
) -> tuple[dict[str, pulumi.Output[str]], pulumi.Output[str]]:
    """The web stack's origins: each API's host and upload's public CDN, from their outputs."""
    org = settings.stack_reference_org or pulumi.get_organization()

    def outputs(service: str) -> pulumi.StackReference:
        return pulumi.StackReference(f"{org}/{pulumi.get_project()}/{service}-{settings.env}")

    names = dict.fromkeys((*api_services(), "upload"))  # ordered: a stable registration order
    references = {service: outputs(service) for service in names}
    apis = {
        service: references[service]
        .require_output("apiUrl")
        .apply(lambda url: str(url).split("://", 1)[-1].split("/", 1)[0])
        for service in api_services()
    }
    return apis, references["upload"].require_output("publicCdnDomain")


# Every role the stack creates carries the account's boundary (created by bootstrap/).
pulumi.runtime.register_stack_transformation(
    permissions_boundary(settings.permissions_boundary_arn(stack.service))
)
opts = pulumi.ResourceOptions(provider=deployment_provider(settings, stack.service))

service: UploadService | CatalogService | PurchaseService | WebService | NotificationService
if stack.service == "upload":
    service = UploadService("upload", UploadServiceArgs(settings), opts)
elif stack.service == "catalog":
    service = CatalogService("catalog", CatalogServiceArgs(settings), opts)
elif stack.service == MONITORING:
    service = Monitoring(MONITORING, MonitoringArgs(settings), opts)  # type: ignore[assignment]
elif stack.service == "notification":
    service = NotificationService("notification", NotificationServiceArgs(settings), opts)
elif stack.service == "web":
    api_domains, renditions_domain = web_origins_from_stacks(settings)
    service = WebService("web", WebServiceArgs(settings, api_domains, renditions_domain), opts)
else:
    domain, key_pair_id = delivery_from_upload_stack(settings)
    service = PurchaseService(
        "purchase",
        PurchaseServiceArgs(settings, delivery_domain=domain, delivery_key_pair_id=key_pair_id),
        opts,
    )
# The stack's outputs are the component's, declared once in the component.
for output, value in service.outputs.items():
    pulumi.export(output, value)
