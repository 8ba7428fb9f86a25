"""The resource types the emulator holds, one module per AWS service, each a ``CREATORS`` map.

``CREATORS`` (type token -> creator) is their union: what ``EmulatorMocks`` creates for real.
Adding a type: a function in the service's module (``base.Creator``'s signature) and an entry
in that module's ``CREATORS``.
"""

from __future__ import annotations

from local.emulator.creators import dynamodb, iam, kms, lambda_, logs, s3, secrets, ses, sns, sqs
from local.emulator.creators.base import Creator

CREATORS: dict[str, Creator] = {
    **kms.CREATORS,
    **sns.CREATORS,
    **sqs.CREATORS,
    **dynamodb.CREATORS,
    **s3.CREATORS,
    **secrets.CREATORS,
    **ses.CREATORS,
    **iam.CREATORS,
    **logs.CREATORS,
    **lambda_.CREATORS,
}
CREATED_TYPES = frozenset(CREATORS)
"""Types created for real in the emulator."""
