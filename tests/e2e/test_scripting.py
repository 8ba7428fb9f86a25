"""A script drives the running local marketplace from the endpoints file and ``./dev token``.

Nothing here reaches into the environment object: the test reads ``endpoints.json`` as a
script or a front end would, gets each user's token from ``python -m local token`` (a
separate process, as from another terminal), talks HTTP with the URLs found there, and
downloads the licensed copy with the real ``curl`` from the link exactly as handed out.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jwt
import pytest
import requests
from PIL import Image

from local.demo.client import wait_for
from local.demo.samples import png
from local.program import REPO_ROOT
from local.runtime.environment import LocalEnvironment
from services.web.routing import api_services

pytestmark = pytest.mark.e2e
TIMEOUT = 15


def local_token(endpoints_file: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m local token ARGS`` in its own process, as from another terminal."""
    return subprocess.run(
        [sys.executable, "-m", "local", "token", *args, "--endpoints", str(endpoints_file)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO_ROOT,
        check=False,
    )


@pytest.fixture(scope="module")
def endpoints_file(local_env: LocalEnvironment) -> Path:
    return local_env.endpoints_file


@pytest.fixture(scope="module")
def endpoints(endpoints_file: Path) -> dict[str, Any]:
    return json.loads(endpoints_file.read_text())


@pytest.fixture(scope="module")
def users(endpoints_file: Path) -> dict[str, str]:
    """Two new users' ID tokens, each from ``python -m local token <name>``."""
    run = uuid.uuid4().hex[:6]
    tokens = {}
    for role in ("photographer", "buyer"):
        done = local_token(endpoints_file, f"{role}-{run}")
        assert done.returncode == 0, done.stderr
        tokens[role] = done.stdout.strip()
    return tokens


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def claims(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})


def test_endpoints_file_names_what_a_client_needs(endpoints: dict[str, Any]) -> None:
    # GIVEN the endpoints file of the running environment
    # THEN every service with routes, both CDN paths, the web app and the identity provider
    # are in it, and answer
    assert set(endpoints["apis"]) == set(api_services())
    assert {"catalog", "purchase", "upload"} <= set(endpoints["apis"])
    assert set(endpoints["cdn"]) == {"public", "delivery", "site"}
    assert endpoints["region"]
    images = requests.get(endpoints["apis"]["catalog"] + "/images", timeout=TIMEOUT)
    assert images.status_code == 200 and "items" in images.json()
    site = requests.get(endpoints["web"] + "/", timeout=TIMEOUT)
    assert site.status_code == 200 and "text/html" in site.headers["Content-Type"]
    identity = endpoints["identity"]
    jwks = requests.get(identity["jwksUrl"], timeout=TIMEOUT).json()
    assert jwks["keys"], "no signing keys at the pool's JWKS URL"
    assert identity["issuer"].endswith("/" + identity["userPoolId"])


def test_token_is_an_id_token_of_the_recorded_pool(
    endpoints: dict[str, Any], users: dict[str, str]
) -> None:
    # GIVEN the tokens `token` printed for two new users
    photographer, buyer = claims(users["photographer"]), claims(users["buyer"])
    # THEN they are ID tokens of the pool and client the file names, for two different users
    identity = endpoints["identity"]
    for token in (photographer, buyer):
        assert token["iss"] == identity["issuer"] and token["aud"] == identity["clientId"]
        assert token["token_use"] == "id"
    assert photographer["sub"] != buyer["sub"]


def test_token_signs_in_an_existing_user_and_refuses_a_wrong_password(
    endpoints_file: Path, users: dict[str, str]
) -> None:
    # GIVEN a user `token` signed up
    name = claims(users["buyer"])["cognito:username"]
    # WHEN `token` runs again for them, with the right and with a wrong password
    again = local_token(endpoints_file, name)
    wrong = local_token(endpoints_file, name, "--password", "not-the-password")
    # THEN the same user signs in; the wrong password prints no token and says why
    assert again.returncode == 0, again.stderr
    assert claims(again.stdout.strip())["sub"] == claims(users["buyer"])["sub"]
    assert wrong.returncode == 1 and wrong.stdout == ""
    assert f"error: {name}: NotAuthorizedException" in wrong.stderr


def test_token_without_a_running_environment_says_to_start_one(tmp_path: Path) -> None:
    # GIVEN no endpoints file (no `up` running)
    done = local_token(tmp_path / "endpoints.json", "someone")
    # THEN no token, and the error names the file and the command to run
    assert done.returncode == 1 and done.stdout == ""
    assert f"no {tmp_path / 'endpoints.json'}: start the environment first" in done.stderr


def test_two_users_upload_buy_and_download_with_curl(
    endpoints: dict[str, Any],
    users: dict[str, str],
    curl: Callable[[str, Path], subprocess.CompletedProcess[str]],
    tmp_path: Path,
) -> None:
    apis, cdn = endpoints["apis"], endpoints["cdn"]
    photographer, buyer = bearer(users["photographer"]), bearer(users["buyer"])
    sample = png(seed=11)
    # GIVEN the photographer's upload through the presigned POST
    body = {
        "title": "Scripted",
        "tags": [f"script-{uuid.uuid4().hex[:6]}"],
        "priceCents": 700,
        "currency": "EUR",
        "contentType": sample.content_type,
        "sizeBytes": len(sample.content),
    }
    created = requests.post(
        apis["upload"] + "/uploads", json=body, headers=photographer, timeout=TIMEOUT
    )
    assert created.status_code == 201, created.text
    upload_id, post = created.json()["uploadId"], created.json()["upload"]
    files = {"file": (sample.name, sample.content, sample.content_type)}
    sent = requests.post(post["url"], data=post["fields"], files=files, timeout=TIMEOUT)
    assert sent.status_code in (200, 201, 204), sent.text
    mine = f"{apis['upload']}/uploads/{upload_id}"
    published = wait_for(
        "the scripted upload to be processed",
        lambda: requests.get(mine, headers=photographer, timeout=TIMEOUT).json(),
        lambda upload: upload["status"] != "PENDING",
    )
    assert published["status"] == "PUBLISHED", published
    # THEN its preview is on the public CDN path the file names, and opens as given
    assert published["previewUrl"].startswith(cdn["public"] + "/")
    assert requests.get(published["previewUrl"], timeout=TIMEOUT).status_code == 200
    # AND the buyer cannot see the photographer's upload
    assert requests.get(mine, headers=buyer, timeout=TIMEOUT).status_code == 404
    # WHEN the buyer buys it and asks for the download link
    key = {"Idempotency-Key": str(uuid.uuid4())}
    bought = wait_for(
        "the image to be for sale",
        lambda: requests.post(
            apis["purchase"] + "/purchases",
            json={"imageId": upload_id},
            headers={**buyer, **key},
            timeout=TIMEOUT,
        ),
        lambda response: response.status_code != 404,
    )
    assert bought.status_code in (200, 201), bought.text
    purchase = f"{apis['purchase']}/purchases/{bought.json()['purchaseId']}"
    completed = wait_for(
        "the scripted purchase to complete",
        lambda: requests.get(purchase, headers=buyer, timeout=TIMEOUT).json(),
        lambda found: found["status"] != "PENDING",
    )
    assert completed["status"] == "COMPLETED", completed
    link = requests.get(purchase + "/download", headers=buyer, timeout=TIMEOUT).json()["url"]
    # THEN the link is on the delivery CDN path, and curl downloads the original with it as is
    assert link.startswith(cdn["delivery"] + "/")
    licensed = tmp_path / "licensed"
    done = curl(link, licensed)
    assert done.returncode == 0, done.stderr
    assert Image.open(io.BytesIO(licensed.read_bytes())).size == sample.displayed_size
    # AND the photographer does not see the buyer's purchase
    theirs = requests.get(apis["purchase"] + "/purchases", headers=photographer, timeout=TIMEOUT)
    assert bought.json()["purchaseId"] not in {p["purchaseId"] for p in theirs.json()["items"]}
