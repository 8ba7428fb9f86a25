"""An embedded AWS: moto's server on 127.0.0.1, one emulated account per service.

moto keeps accounts apart by credentials: STS AssumeRole into
``arn:aws:iam::<account>:role/...`` returns keys that moto maps to that account, so a
client built with them creates and sees only that account's resources - as each service's
deployment role and functions would in AWS. The identity account holds a Cognito user
pool; moto signs its tokens with a fixed key and serves the JWKS over HTTP at
``<endpoint>/<pool id>/.well-known/jwks.json``, so the local JWT check is a real one.

IAM is enforced once ``enforce_iam()`` is called (local/emulator/iam_enforcement.py says
what moto judges and what it cannot): before that, ``bootstrap_account`` creates in each
account the platform role (``marketplace-local``, everything: it stands for the account's
administrator, who runs the account bootstrap program, and for AWS's own services, such as
Lambda polling a queue or CloudFront reading its origin); afterwards every call is made as a
real principal and authorized by its policies. The roles a deployment assumes are created
by the bootstrap program (bootstrap/, run by local/emulator/deployer.py). The operator user
that assumes the roles lives in moto's default account.

moto's state is global to the Python process: two clouds running at once in one process
share it (keep them apart with different account ids), and it is wiped when the last
running cloud of the process stops.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
import urllib.request
from dataclasses import dataclass
from typing import Any, ClassVar

import boto3
from botocore.config import Config
from moto.server import ThreadedMotoServer

from local.emulator import (
    cognito_users,
    dynamodb_query,
    dynamodb_serial,
    iam_enforcement,
    moto_dispatch,
)
from local.emulator.s3_cors import MotoServer

LOOPBACK = "127.0.0.1"
DEFAULT_REGION = "eu-west-1"
IDENTITY_ACCOUNT = "100000000009"
"""The local identity provider's account (not a service, so not in marketplace:accounts)."""
BOOTSTRAP_CREDENTIALS = {
    "aws_access_key_id": "bootstrap",
    "aws_secret_access_key": "bootstrap",
    "aws_session_token": "bootstrap",
}
"""Only used before IAM is enforced, to create the operator; moto maps unknown keys to its
default account."""
OPERATOR_USER = "marketplace-local-operator"
OPERATOR_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "arn:aws:iam::*:role/*"}
    ],
}
"""The operator may only assume roles: everything else is done as the role assumed."""
ROLE_NAME = "marketplace-local"
PLATFORM_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}
"""The platform role stands for AWS's own services (pollers, CDN, notifications)."""
CLIENT_CONFIG = Config(retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=5)


@dataclass(frozen=True)
class Identity:
    """The local Cognito pool: what the config's ``marketplace:identity`` points at."""

    user_pool_id: str
    client_id: str
    issuer: str
    jwks_url: str
    audiences: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "user_pool_id": self.user_pool_id,
            "client_id": self.client_id,
            "issuer": self.issuer,
            "jwks_url": self.jwks_url,
            "audiences": list(self.audiences),
        }


class EmbeddedCloud:
    """moto server on loopback + per-account credentials; a context manager."""

    _running = 0
    _running_lock = threading.Lock()
    _operator_key: ClassVar[dict[str, str] | None] = None

    def __init__(self, region: str = DEFAULT_REGION, port: int = 0) -> None:
        self.region = region
        self._port = port
        self._server: ThreadedMotoServer | None = None
        self._credentials: dict[tuple[str, str], dict[str, str]] = {}
        self._operator: dict[str, str] = dict(BOOTSTRAP_CREDENTIALS)
        self._clients: dict[tuple[str, str, str, str], Any] = {}
        self._lock = threading.Lock()
        self._session = boto3.session.Session()  # not the default one: ours, under our lock
        self.identity: Identity | None = None
        self.endpoint = ""

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> EmbeddedCloud:
        if self._server is not None:
            return self
        # One line per request would drown the progress output.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        dynamodb_serial.install()  # moto's transactions copy (and restore) whole tables
        dynamodb_query.install()  # moto sorts the whole table for every Query
        moto_dispatch.install()  # moto lists its package directory on every request
        cognito_users.install()  # moto finds no user by sub (notification's lookup)
        iam_enforcement.install()  # before the bootstrap: moto refuses variables in ARNs
        # S3 answers browsers from bucket CORS rules only (local/emulator/s3_cors.py).
        server = MotoServer(ip_address=LOOPBACK, port=self._port, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        self._server = server
        self.endpoint = f"http://{host}:{port}"
        with EmbeddedCloud._running_lock:
            EmbeddedCloud._running += 1
        self._operator = self._create_operator()
        return self

    def _create_operator(self) -> dict[str, str]:
        """The operator user and its key, once per process (moto's state is process-wide, and
        IAM allows a user two keys): reused while moto holds it, made again after a reset."""
        iam = self._session.client(
            "iam",
            endpoint_url=self.endpoint,
            region_name=self.region,
            config=CLIENT_CONFIG,
            **BOOTSTRAP_CREDENTIALS,
        )
        with EmbeddedCloud._running_lock:
            with contextlib.suppress(iam.exceptions.EntityAlreadyExistsException):
                iam.create_user(UserName=OPERATOR_USER)
            iam.put_user_policy(
                UserName=OPERATOR_USER,
                PolicyName="assume-roles",
                PolicyDocument=json.dumps(OPERATOR_POLICY),
            )
            keys = iam.list_access_keys(UserName=OPERATOR_USER)["AccessKeyMetadata"]
            cached = EmbeddedCloud._operator_key
            if cached and any(k["AccessKeyId"] == cached["aws_access_key_id"] for k in keys):
                return dict(cached)
            for key in keys:
                iam.delete_access_key(UserName=OPERATOR_USER, AccessKeyId=key["AccessKeyId"])
            created = iam.create_access_key(UserName=OPERATOR_USER)["AccessKey"]
            EmbeddedCloud._operator_key = {
                "aws_access_key_id": created["AccessKeyId"],
                "aws_secret_access_key": created["SecretAccessKey"],
            }
            return dict(EmbeddedCloud._operator_key)

    def bootstrap_account(self, account: str) -> None:
        """The platform role in ``account``: its administrator, and AWS's own services.

        In AWS the administrator exists before anything else; like the root user, its
        creation is not judged by IAM here.
        """
        enforced = self.iam_enforced
        iam_enforcement.release(self._require_endpoint())
        try:
            self._create_platform_role(account)
        finally:
            if enforced:
                self.enforce_iam()

    def _create_platform_role(self, account: str) -> None:
        iam = self.client("iam", account)
        trust = json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        )
        with contextlib.suppress(iam.exceptions.EntityAlreadyExistsException):
            iam.create_role(RoleName=ROLE_NAME, AssumeRolePolicyDocument=trust)
        iam.put_role_policy(
            RoleName=ROLE_NAME, PolicyName=ROLE_NAME, PolicyDocument=json.dumps(PLATFORM_POLICY)
        )

    def enforce_iam(self) -> None:
        """From now on every request to this cloud is authorized by IAM (as far as moto can)."""
        iam_enforcement.enforce(self._require_endpoint())

    @property
    def operator_credentials(self) -> dict[str, str]:
        """The operator user's keys: it may only assume roles."""
        return dict(self._operator)

    @property
    def iam_enforced(self) -> bool:
        return bool(self.endpoint) and iam_enforcement.is_enforced(self.endpoint)

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        with EmbeddedCloud._running_lock:
            EmbeddedCloud._running -= 1
            if EmbeddedCloud._running == 0:
                self._reset_emulator()
        iam_enforcement.release(self.endpoint)
        server.stop()
        self._credentials.clear()
        self._clients.clear()
        self.identity = None

    def _reset_emulator(self) -> None:
        """Wipe moto's process-wide state, so the next cloud of this process starts empty."""
        request = urllib.request.Request(f"{self.endpoint}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=10):
            pass

    @property
    def running(self) -> bool:
        return self._server is not None

    def __enter__(self) -> EmbeddedCloud:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    # -- accounts ------------------------------------------------------------------------

    def credentials(self, account: str, role: str = ROLE_NAME) -> dict[str, str]:
        """boto3 credential kwargs of ``role`` in ``account`` (STS AssumeRole, cached)."""
        with self._lock:
            if (account, role) not in self._credentials:
                self._credentials[account, role] = self._assume(account, role)
            return dict(self._credentials[account, role])

    def role_credentials(self, role_arn: str) -> dict[str, str]:
        """Credentials of the role ``arn:aws:iam::<account>:role/<name>``."""
        account, name = role_arn.split(":")[4], role_arn.rsplit("/", 1)[-1]
        return self.credentials(account, name)

    def _assume(self, account: str, role: str) -> dict[str, str]:
        sts = self._session.client(
            "sts",
            endpoint_url=self._require_endpoint(),
            region_name=self.region,
            config=CLIENT_CONFIG,
            **self._operator,
        )
        response = sts.assume_role(
            RoleArn=f"arn:aws:iam::{account}:role/{role}",
            RoleSessionName=f"local-{role}"[:64],
        )
        creds = response["Credentials"]
        return {
            "aws_access_key_id": creds["AccessKeyId"],
            "aws_secret_access_key": creds["SecretAccessKey"],
            "aws_session_token": creds["SessionToken"],
        }

    def session(self, account: str, role: str = ROLE_NAME) -> boto3.Session:
        return boto3.Session(region_name=self.region, **self.credentials(account, role))

    def client(
        self, service: str, account: str, region: str | None = None, role: str = ROLE_NAME
    ) -> Any:
        """A cached boto3 client for ``service`` as ``role`` in ``account`` (thread-safe)."""
        region = region or self.region
        key = (service, account, region, role)
        credentials = self.credentials(account, role)
        with self._lock:
            if key not in self._clients:
                self._clients[key] = self._session.client(
                    service,
                    endpoint_url=self._require_endpoint(),
                    region_name=region,
                    config=CLIENT_CONFIG,
                    **credentials,
                )
            return self._clients[key]

    def account_of_credentials(self, account: str) -> str:
        """The account moto attributes ``account``'s credentials to (a self-check)."""
        return self.client("sts", account).get_caller_identity()["Account"]

    def _require_endpoint(self) -> str:
        if not self.endpoint:
            raise RuntimeError("the embedded cloud is not started (call start() first)")
        return self.endpoint

    # -- identity ------------------------------------------------------------------------

    def create_identity(self, name: str = "marketplace-local-users") -> Identity:
        """A Cognito user pool + public app client in the identity account."""
        cognito = self.client("cognito-idp", IDENTITY_ACCOUNT)
        pool = cognito.create_user_pool(
            PoolName=name,
            Policies={"PasswordPolicy": {"MinimumLength": 8}},
            AutoVerifiedAttributes=["email"],
        )["UserPool"]
        client = cognito.create_user_pool_client(
            UserPoolId=pool["Id"],
            ClientName=f"{name}-web",
            GenerateSecret=False,
            ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        )["UserPoolClient"]
        self.identity = Identity(
            user_pool_id=pool["Id"],
            client_id=client["ClientId"],
            # moto's tokens carry this issuer (as Cognito's do); only the JWKS is local.
            issuer=f"https://cognito-idp.{self.region}.amazonaws.com/{pool['Id']}",
            jwks_url=f"{self.endpoint}/{pool['Id']}/.well-known/jwks.json",
            audiences=(client["ClientId"],),
        )
        return self.identity


def wait_until(predicate: Any, timeout: float, interval: float = 0.1) -> Any:
    """Poll ``predicate`` until it returns a truthy value or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)
