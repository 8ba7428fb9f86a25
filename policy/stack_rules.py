"""Stack rules (``(resources, stack) -> list[Violation]``): how resources fit together."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from components.aws_types import (
    AWS_PROVIDER,
    BUCKET_NOTIFICATION,
    BUCKET_POLICY,
    BUCKET_TYPES,
    DASHBOARD,
    EVENT_INVOKE_CONFIG,
    EVENT_SOURCE_MAPPING,
    EVENT_TARGET,
    FUNCTION,
    LOG_GROUP,
    PERMISSION,
    PUBLIC_ACCESS_BLOCK,
    QUEUE,
    REDRIVE_POLICY,
    SSE_TYPES,
    TOPIC_SUBSCRIPTION,
)
from policy.account_rules import arn_service
from policy.model import (
    SYNCHRONOUS_INVOKERS,
    UNKNOWN,
    StackContext,
    StackResource,
    Violation,
    as_list,
    get_path,
    is_unknown,
    parse_json,
)

# --- stack rules -----------------------------------------------------------------------------


def _identifiers(resource: StackResource) -> set[str]:
    """The strings other resources use to point at ``resource`` (name, ARN, id, URL...)."""
    keys = ("id", "arn", "name", "bucket", "url")
    return {v for k in keys if isinstance(v := resource.props.get(k), str) and v}


def _refers_to(source: StackResource, prop: str, value: Any, target: StackResource) -> bool:
    """``source.<prop>`` (whose value is ``value``) points at ``target``."""
    if target.urn and target.urn in source.property_dependencies.get(prop, ()):
        return True
    return isinstance(value, str) and value in _identifiers(target)


def _of_type(resources: Sequence[StackResource], *types: str) -> list[StackResource]:
    return [r for r in resources if r.type in types]


def buckets_are_protected(
    resources: Sequence[StackResource], stack: StackContext
) -> list[Violation]:
    """Every bucket has a public access block, a default encryption and a TLS-only policy."""
    companions = {
        "a public access block (aws.s3.BucketPublicAccessBlock)": (PUBLIC_ACCESS_BLOCK,),
        "a default encryption (aws.s3.BucketServerSideEncryptionConfiguration)": tuple(SSE_TYPES),
        "a TLS-only bucket policy (aws.s3.BucketPolicy)": (BUCKET_POLICY,),
    }
    violations = []
    for bucket in _of_type(resources, *BUCKET_TYPES):
        missing = [
            what
            for what, types in companions.items()
            if not any(
                _refers_to(r, "bucket", r.props.get("bucket"), bucket)
                for r in _of_type(resources, *types)
            )
        ]
        if missing:
            violations.append(
                Violation(
                    bucket.urn,
                    f"{bucket.name} ({bucket.type}): has no {'; no '.join(missing)}. Fix: "
                    "build buckets with components.bucket.PrivateBucket, which creates all three.",
                )
            )
    return violations


def queues_have_dead_letter_queues(
    resources: Sequence[StackResource], stack: StackContext
) -> list[Violation]:
    """Every queue redrives to a DLQ, unless it is itself a DLQ or an on-failure destination."""
    queues = _of_type(resources, QUEUE)
    violations = []
    for queue in queues:
        redrive = _redrive_of(queue, resources)
        if redrive is UNKNOWN or (redrive and _valid_redrive(redrive)):
            continue
        if _is_failure_target(queue, resources):
            continue
        problem = (
            "its redrive policy has no deadLetterTargetArn/maxReceiveCount" if redrive else "no DLQ"
        )
        violations.append(
            Violation(
                queue.urn,
                f"{queue.name} ({queue.type}): {problem}, so a message that keeps failing is "
                "retried until it expires and is lost. Fix: a redrive_policy to a DLQ with "
                "maxReceiveCount (components.work_queue.WorkQueue), with an alarm on the DLQ.",
            )
        )
    return violations


def _redrive_of(queue: StackResource, resources: Sequence[StackResource]) -> Any:
    """The queue's redrive policy (its own input or an aws.sqs.RedrivePolicy), parsed."""
    own = queue.props.get("redrivePolicy")
    if is_unknown(own):
        return UNKNOWN
    if own:
        return parse_json(own) or {}
    for separate in _of_type(resources, REDRIVE_POLICY):
        if _refers_to(separate, "queueUrl", separate.props.get("queueUrl"), queue):
            value = separate.props.get("redrivePolicy")
            return UNKNOWN if is_unknown(value) else (parse_json(value) or {})
    return None


def _valid_redrive(redrive: Mapping[str, Any]) -> bool:
    count = redrive.get("maxReceiveCount")
    return (
        bool(redrive.get("deadLetterTargetArn")) and isinstance(count, int | float) and count >= 1
    )


def _is_failure_target(queue: StackResource, resources: Sequence[StackResource]) -> bool:
    """Some queue dead-letters into ``queue``, or some mapping sends its failures there."""
    for other in _of_type(resources, QUEUE, REDRIVE_POLICY):
        if other is queue:
            continue
        redrive = other.props.get("redrivePolicy")
        target = (
            (parse_json(redrive) or {}).get("deadLetterTargetArn")
            if isinstance(redrive, str)
            else None
        )
        if _refers_to(other, "redrivePolicy", target, queue):
            return True
    for mapping in _of_type(resources, EVENT_SOURCE_MAPPING, EVENT_INVOKE_CONFIG):
        destination = get_path(mapping.props, "destinationConfig", "onFailure", "destinationArn")
        if mapping.type == EVENT_INVOKE_CONFIG:
            destination = get_path(mapping.props, "destinationConfig", "onFailure", "destination")
        if _refers_to(mapping, "destinationConfig", destination, queue):
            return True
    return False


def functions_have_log_groups(
    resources: Sequence[StackResource], stack: StackContext
) -> list[Violation]:
    """Every function logs to a log group this stack creates (retention set by another rule)."""
    groups = _of_type(resources, LOG_GROUP)
    violations = []
    for function in _of_type(resources, FUNCTION):
        configured = get_path(function.props, "loggingConfig", "logGroup")
        name = function.props.get("name")
        default = f"/aws/lambda/{name}" if isinstance(name, str) else None
        if is_unknown(configured) or any(
            _refers_to(function, "loggingConfig", configured, group)
            or (configured is None and default and group.props.get("name") == default)
            for group in groups
        ):
            continue
        violations.append(
            Violation(
                function.urn,
                f"{function.name} ({function.type}): no log group of this stack receives its "
                "logs, so Lambda creates one that keeps logs forever. Fix: create "
                "/aws/lambda/<name> with retention and point logging_config.log_group at it "
                "(components.function.Function does).",
            )
        )
    return violations


def asynchronous_functions_have_failure_path(
    resources: Sequence[StackResource], stack: StackContext
) -> list[Violation]:
    """A function invoked asynchronously has a DLQ or an on-failure destination.

    "Asynchronously" = by a push service that does not wait for the result: any principal
    granted ``lambda:InvokeFunction`` other than API Gateway/ALB/Cognito, an SNS
    subscription with protocol ``lambda``, an S3 notification or an EventBridge target.
    Our functions are invoked by API Gateway (synchronous) or by event source mappings
    (polling: their failure path is the queue's DLQ or the mapping's on-failure queue,
    checked by the queue and mapping rules), so none is asynchronous today.
    """
    functions = _of_type(resources, FUNCTION)
    invokers: dict[str, list[str]] = {}
    for invoker, prop, value in _async_invocations(resources):
        for function in functions:
            if _refers_to(invoker, prop, value, function):
                invokers.setdefault(function.urn, []).append(f"{invoker.name} ({invoker.type})")
    violations = []
    for function in functions:
        if function.urn not in invokers or _has_async_failure_path(function, resources):
            continue
        violations.append(
            Violation(
                function.urn,
                f"{function.name} ({function.type}): invoked asynchronously by "
                f"{', '.join(invokers[function.urn])} but has no DLQ or on-failure destination, "
                "so Lambda drops events that fail twice. Fix: dead_letter_config.target_arn, or "
                "an aws.lambda_.FunctionEventInvokeConfig with destination_config.on_failure.",
            )
        )
    return violations


def _async_invocations(
    resources: Sequence[StackResource],
) -> Iterator[tuple[StackResource, str, Any]]:
    """(resource, input, value) for every asynchronous way of invoking a function."""
    for resource in resources:
        props = resource.props
        if resource.type == PERMISSION and props.get("principal") not in SYNCHRONOUS_INVOKERS:
            yield resource, "function", props.get("function")
        elif resource.type == TOPIC_SUBSCRIPTION and props.get("protocol") == "lambda":
            yield resource, "endpoint", props.get("endpoint")
        elif resource.type == BUCKET_NOTIFICATION:
            for target in as_list(props.get("lambdaFunctions")):
                value = target.get("lambdaFunctionArn") if isinstance(target, Mapping) else None
                yield resource, "lambdaFunctions", value
        elif resource.type == EVENT_TARGET and arn_service(str(props.get("arn"))) == "lambda":
            yield resource, "arn", props.get("arn")


def _has_async_failure_path(function: StackResource, resources: Sequence[StackResource]) -> bool:
    if get_path(function.props, "deadLetterConfig", "targetArn"):
        return True
    for config in _of_type(resources, EVENT_INVOKE_CONFIG):
        if _refers_to(
            config, "functionName", config.props.get("functionName"), function
        ) and get_path(config.props, "destinationConfig", "onFailure", "destination"):
            return True
    return False


def one_explicit_provider(
    resources: Sequence[StackResource], stack: StackContext
) -> list[Violation]:
    """The stack has exactly one AWS provider, so every resource deploys through it.

    (``own-account-only`` checks each AWS resource has a provider for the own account.)
    """
    providers = _of_type(resources, AWS_PROVIDER)
    if len(providers) == 1:
        return []
    return [
        Violation(
            stack.stack,
            f"{stack.stack}: {len(providers)} AWS providers "
            f"({', '.join(p.name for p in providers) or 'none'}), expected exactly one. Fix: "
            "create one aws.Provider (__main__.deployment_provider) and pass it to every "
            "resource; default providers are disabled.",
        )
    ]


def service_has_dashboard(
    resources: Sequence[StackResource], stack: StackContext
) -> list[Violation]:
    """A service stack has its dashboard (``marketplace-<env>-<service>-dashboard``)."""
    expected = f"marketplace-{stack.env}-{stack.service}-dashboard"
    names = [d.props.get("dashboardName") for d in _of_type(resources, DASHBOARD)]
    if expected in names or any(is_unknown(n) for n in names):
        return []
    return [
        Violation(
            stack.stack,
            f"{stack.stack}: no CloudWatch dashboard {expected} (found: "
            f"{', '.join(map(str, names)) or 'none'}). Fix: build the service from "
            "components.service.ServiceComponent, whose register_outputs adds it "
            "(components.dashboard).",
        )
    ]


StackCheck = Callable[[Sequence[StackResource], StackContext], list[Violation]]
