"""Sending one rendered e-mail through SES, tagged so feedback maps back to a user id.

The tags (``userId``, ``eventId``) come back in the configuration set's bounce and complaint
events, which is how feedback is recorded without keeping any address.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from services.notification.templates import Rendered

REJECTIONS = frozenset({"MessageRejected", "MailFromDomainNotVerifiedException"})
"""SES error codes meaning "this message will never be accepted": recorded, not retried."""


class Rejected(Exception):
    """SES refused the message for good; the reason is SES's."""


class Mailer:
    """SES ``SendEmail`` from one sender, through one configuration set."""

    def __init__(self, ses: Any, sender: str, configuration_set: str) -> None:
        self.ses = ses
        self.sender = sender
        self.configuration_set = configuration_set

    def send(self, to: str, mail: Rendered, tags: dict[str, str]) -> str:
        """Send; return SES's message id. ``Rejected`` for a permanent refusal."""
        try:
            response = self.ses.send_email(
                Source=self.sender,
                Destination={"ToAddresses": [to]},
                Message={
                    "Subject": {"Data": mail.subject, "Charset": "UTF-8"},
                    "Body": {
                        "Text": {"Data": mail.text, "Charset": "UTF-8"},
                        "Html": {"Data": mail.html, "Charset": "UTF-8"},
                    },
                },
                ConfigurationSetName=self.configuration_set,
                Tags=[{"Name": name, "Value": value} for name, value in sorted(tags.items())],
            )
        except ClientError as error:
            if error.response["Error"]["Code"] in REJECTIONS:
                raise Rejected(error.response["Error"].get("Message", "rejected")) from error
            raise
        return str(response["MessageId"])
