"""The endpoints file: what ``up`` writes for clients, read back the way ``./dev token`` does."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from local.endpoints import Endpoints, EndpointsUnavailable, load, remove

ENDPOINTS = Endpoints(
    region="eu-west-1",
    aws_endpoint="http://127.0.0.1:4000",
    user_pool_id="eu-west-1_pool",
    client_id="client",
    issuer="https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_pool",
    jwks_url="http://127.0.0.1:4000/eu-west-1_pool/.well-known/jwks.json",
    apis={"upload": "http://127.0.0.1:4005", "catalog": "http://127.0.0.1:4003"},
    cdn={"public": "http://127.0.0.1:4001/public"},
    pid=os.getpid(),
)


def test_endpoints_file_is_camel_case_json_a_front_end_reads(tmp_path: Path) -> None:
    # WHEN the endpoints are saved
    path = ENDPOINTS.save(tmp_path / "endpoints.json")
    data = json.loads(path.read_text())
    # THEN the file has a front end's keys, and reads back as what was written
    assert data["apis"]["upload"] == "http://127.0.0.1:4005"
    assert data["identity"]["userPoolId"] == "eu-west-1_pool"
    assert data["identity"]["clientId"] == "client"
    assert data["cdn"]["public"] == "http://127.0.0.1:4001/public"
    assert data["web"] is None and data["region"] == "eu-west-1"
    assert load(path) == ENDPOINTS


def test_missing_endpoints_file_says_to_start_up(tmp_path: Path) -> None:
    with pytest.raises(EndpointsUnavailable, match=r"no .*endpoints\.json: start .*\./dev up"):
        load(tmp_path / "endpoints.json")


def test_foreign_endpoints_file_names_the_missing_key(tmp_path: Path) -> None:
    # GIVEN a file of another shape (an older version, or not ours)
    path = tmp_path / "endpoints.json"
    path.write_text(json.dumps({"region": "eu-west-1"}))
    # THEN reading it says which file and what is missing
    with pytest.raises(EndpointsUnavailable, match=r"endpoints\.json .*KeyError.*identity"):
        load(path)


def test_only_the_writing_process_removes_the_file(tmp_path: Path) -> None:
    # GIVEN a file another `up` (another pid) wrote since
    path = ENDPOINTS.save(tmp_path / "endpoints.json")
    remove(path, pid=os.getpid() + 1)
    # THEN it stays; its own writer removes it
    assert path.exists()
    remove(path)
    assert not path.exists()
