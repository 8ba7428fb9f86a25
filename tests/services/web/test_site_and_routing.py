"""The app's files as deployed, and the one-domain path rules (no browser, no environment)."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.web.routing import CACHE_FOREVER, NO_CACHE, spa_target, strip_api_prefix
from services.web.site import build_site


def test_site_hashes_every_asset_and_rewrites_every_reference(tmp_path: Path) -> None:
    # GIVEN an app whose index loads a module that imports another
    (tmp_path / "index.html").write_text('<script type="module" src="/app.js"></script>')
    (tmp_path / "app.js").write_text('import { x } from "./lib.js";')
    (tmp_path / "lib.js").write_text("export const x = 1;")
    files = {f.key: f for f in build_site(tmp_path)}
    # THEN index.html keeps its name and is never cached; the others are hashed for a year
    assert files["index.html"].cache_control == NO_CACHE
    hashed = [k for k in files if k != "index.html"]
    assert all(files[k].cache_control == CACHE_FOREVER for k in hashed)
    app = next(k for k in hashed if k.startswith("app."))
    lib = next(k for k in hashed if k.startswith("lib."))
    assert f'src="/{app}"' in files["index.html"].body.decode()
    assert f'from "./{lib}"' in files[app].body.decode()
    assert files[app].content_type == "text/javascript; charset=utf-8"
    # AND a change in the imported module renames its importer too
    (tmp_path / "lib.js").write_text("export const x = 2;")
    again = {f.key for f in build_site(tmp_path)}
    assert app not in again and lib not in again


def test_site_refuses_an_import_cycle(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text('<script src="/a.js"></script>')
    (tmp_path / "a.js").write_text('import "./b.js";')
    (tmp_path / "b.js").write_text('import "./a.js";')
    with pytest.raises(ValueError, match="import cycle"):
        build_site(tmp_path)


@pytest.mark.parametrize(
    ("uri", "expected"),
    [("/api/catalog/images", "/images"), ("/api/upload", "/"), ("/api/purchase/p/1", "/p/1")],
)
def test_api_prefix_is_stripped(uri: str, expected: str) -> None:
    assert strip_api_prefix(uri) == expected


@pytest.mark.parametrize(
    ("uri", "expected"),
    [("/", "/index.html"), ("/image/abc", "/index.html"), ("/app.1a2b.js", "/app.1a2b.js")],
)
def test_app_routes_read_index_and_files_themselves(uri: str, expected: str) -> None:
    assert spa_target(uri) == expected
