"""The dispatch workaround (local/emulator/moto_dispatch.py): why it exists, and that it holds."""

from __future__ import annotations

import os
from typing import Any

import pytest
from moto import backends

from local.emulator import moto_dispatch


def count_listings(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    listed: list[str] = []
    real_listdir = os.listdir

    def counting(path: Any = ".") -> list[str]:
        listed.append(str(path))
        return real_listdir(path)

    monkeypatch.setattr(os, "listdir", counting)
    return listed


def test_moto_still_lists_its_package_directory_on_every_call(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    listed = count_listings(monkeypatch)
    for _ in range(3):
        list(moto_dispatch.MOTO_LIST_OF_MODULES())
    # When this fails, moto caches the listing itself and moto_dispatch.py can go.
    assert len(listed) == 3


def test_workaround_lists_once_and_answers_the_same_names(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    expected = tuple(moto_dispatch.MOTO_LIST_OF_MODULES())
    moto_dispatch.install()
    moto_dispatch.install()  # idempotent: still one cached listing
    backends.list_of_moto_modules()  # the first call lists (if no other test called it yet)
    listed = count_listings(monkeypatch)
    answers = [tuple(backends.list_of_moto_modules()) for _ in range(3)]
    assert answers == [expected] * 3
    assert "dynamodb" in expected and "s3" in expected
    assert listed == []  # every later call is served from the first listing
