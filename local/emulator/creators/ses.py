"""SES: the notification stack's configuration set, its event destination, its sender identity.

moto's SES keeps every message it accepts (``ses_backends[account][region].sent_messages``),
which is what the end-to-end tests read. An identity is created the way ``pulumi up`` asks
SES (VerifyEmailIdentity / VerifyDomainIdentity); moto verifies it on the spot, where AWS
mails a link (address) or waits for DNS (domain). moto stores the configuration set's event
destination but never publishes to it: bounces and complaints do not come back locally.
"""

from __future__ import annotations

from typing import Any

from components import aws_types
from local.emulator.creators.base import Args, Creator, Inputs, Outputs, Target


def configuration_set(
    target: Target, args: Args, inputs: Inputs, account: str, region: str
) -> tuple[str, Outputs]:
    name = inputs.get("name", args.name)
    target.client("ses", account, region).create_configuration_set(ConfigurationSet={"Name": name})
    return name, {"name": name, "arn": f"arn:aws:ses:{region}:{account}:configuration-set/{name}"}


def event_destination(
    target: Target, args: Args, inputs: Inputs, account: str, region: str
) -> tuple[str, Outputs]:
    name = inputs.get("name", args.name)
    destination: dict[str, Any] = {
        "Name": name,
        "Enabled": bool(inputs.get("enabled", False)),
        "MatchingEventTypes": list(inputs.get("matchingTypes") or []),
    }
    sns = inputs.get("snsDestination")
    if sns:
        destination["SNSDestination"] = {"TopicARN": sns["topicArn"]}
    target.client("ses", account, region).create_configuration_set_event_destination(
        ConfigurationSetName=inputs["configurationSetName"], EventDestination=destination
    )
    return name, {"name": name}


def email_identity(
    target: Target, args: Args, inputs: Inputs, account: str, region: str
) -> tuple[str, Outputs]:
    email = inputs["email"]
    target.client("ses", account, region).verify_email_identity(EmailAddress=email)
    return email, {"email": email, "arn": f"arn:aws:ses:{region}:{account}:identity/{email}"}


def domain_identity(
    target: Target, args: Args, inputs: Inputs, account: str, region: str
) -> tuple[str, Outputs]:
    domain = inputs["domain"]
    token = target.client("ses", account, region).verify_domain_identity(Domain=domain)
    return domain, {
        "domain": domain,
        "arn": f"arn:aws:ses:{region}:{account}:identity/{domain}",
        "verificationToken": token["VerificationToken"],
    }


CREATORS: dict[str, Creator] = {
    aws_types.SES_CONFIGURATION_SET: configuration_set,
    aws_types.SES_EVENT_DESTINATION: event_destination,
    aws_types.SES_EMAIL_IDENTITY: email_identity,
    aws_types.SES_DOMAIN_IDENTITY: domain_identity,
}
