"""The S3 CORS workaround (local/emulator/s3_cors.py) and the moto gaps it fills: canaries.

Each canary fails the day moto no longer needs the workaround; in process, without a
running environment (and without mock_aws, whose exit would wipe moto's state).
"""

from __future__ import annotations

import io
import uuid
from typing import Any

from local.demo.samples import png

ORIGIN = "https://app.example.org"
"""Any origin the bucket's CORS rule allows."""


def _has_global_cors(app: Any) -> bool:
    hooks = [h for funcs in app.after_request_funcs.values() for h in funcs]
    return any(h.__name__ == "cors_after_request" for h in hooks)


def test_moto_s3_app_still_gets_global_cors() -> None:
    # GIVEN moto's own S3 app, as ThreadedMotoServer builds it
    from moto.moto_server.werkzeug_app import create_backend_app

    # THEN it still carries flask-cors (reflecting any origin): the workaround is still needed.
    # When this fails, delete local/emulator/s3_cors.py and use ThreadedMotoServer again.
    assert _has_global_cors(create_backend_app("s3"))


def test_workaround_drops_global_cors_for_s3_only() -> None:
    from local.emulator.s3_cors import backend_app

    assert not _has_global_cors(backend_app("s3"))
    assert _has_global_cors(backend_app("sqs"))


def test_moto_post_object_still_ignores_bucket_cors() -> None:
    # GIVEN moto's own S3 app, without its global CORS and without the workaround's rules
    # (in process: not mock_aws, whose exit wipes moto's state, the session's environment too)
    from moto.moto_server import werkzeug_app
    from moto.s3.models import s3_backends

    saved = werkzeug_app.DISABLE_GLOBAL_CORS
    werkzeug_app.DISABLE_GLOBAL_CORS = True
    try:
        app = werkzeug_app.create_backend_app("s3")  # type: ignore[arg-type]
    finally:
        werkzeug_app.DISABLE_GLOBAL_CORS = saved
    bucket = f"canary-{uuid.uuid4().hex[:8]}"
    backend = s3_backends["123456789012"]["aws"]
    backend.create_bucket(bucket, "us-east-1")
    rule = {"AllowedOrigin": [ORIGIN], "AllowedMethod": ["POST"]}
    backend.put_bucket_cors(bucket, [rule])
    # WHEN that origin POSTs an object as a presigned form does
    sample = png(seed=41)
    sent = app.test_client().post(
        f"/{bucket}",
        data={"key": "k", "file": (io.BytesIO(sample.content), sample.name)},
        headers={"Origin": ORIGIN},
    )
    backend.delete_object(bucket, "k")
    backend.delete_bucket(bucket)
    # THEN moto stores it but adds no CORS header, unlike S3: the workaround is still needed.
    # When this fails, local/emulator/s3_cors.py's _bucket_cors can go.
    assert sent.status_code in (200, 201, 204), sent.text
    assert "access-control-allow-origin" not in {h.lower() for h, _ in sent.headers}
