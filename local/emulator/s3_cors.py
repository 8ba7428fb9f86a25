"""WORKAROUND (moto 5.2.x server): S3 answers browsers only as the bucket's CORS rules say.

Why, twice:
1. moto's server wraps every service's Flask app in flask-cors (``CORS(app)``), which
   reflects any ``Origin`` into ``Access-Control-Allow-Origin`` on every answer S3's own
   logic left without one, errors included: a presigned POST from any site comes back
   readable, which no S3 bucket would do.
2. moto's S3 applies the bucket's CORS rules (``PutBucketCors``, applied by the deployer) to
   preflights (allowed origins answered, others refused with 403) and to GETs, but not to the
   POST Object a presigned POST is: S3 adds ``Access-Control-Allow-Origin`` there too when a
   rule allows the origin and method.

How: ``MotoServer`` is moto's ``ThreadedMotoServer`` with the S3 app built without the global
CORS (moto's own ``DISABLE_GLOBAL_CORS`` switch, set only while S3's app is created) and with
``_bucket_cors`` after each answer: the first of the bucket's rules allowing the request's
origin and method adds the headers, as S3 evaluates them. Every other service keeps the
global CORS: Cognito, for one, answers browsers from any origin in AWS too.

How to remove: in tests/local/test_s3_cors.py, ``test_moto_s3_app_still_gets_global_cors`` fails
the day moto's S3 app stops carrying flask-cors, ``test_moto_post_object_still_ignores_bucket_cors``
the day its POST Object applies the rules. When both fail, delete this module and start
``ThreadedMotoServer`` again in local/emulator/cloud.py.
"""

from __future__ import annotations

import threading

from flask import Flask, Response, request
from moto.moto_server import werkzeug_app
from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.s3.exceptions import MissingBucket
from moto.s3.models import FakeBucket, s3_backends
from moto.s3.utils import cors_matches_origin
from werkzeug.serving import make_server

WITHOUT_GLOBAL_CORS = frozenset({"s3"})
"""Services whose CORS answers come from their own logic only."""
_switch = threading.Lock()


def backend_app(service: str) -> Flask:
    """moto's Flask app for ``service``; without flask-cors for ``WITHOUT_GLOBAL_CORS``."""
    if service not in WITHOUT_GLOBAL_CORS:
        return werkzeug_app.create_backend_app(service)  # type: ignore[arg-type]
    with _switch:
        saved = werkzeug_app.DISABLE_GLOBAL_CORS
        werkzeug_app.DISABLE_GLOBAL_CORS = True
        try:
            app = werkzeug_app.create_backend_app(service)  # type: ignore[arg-type]
        finally:
            werkzeug_app.DISABLE_GLOBAL_CORS = saved
    app.after_request(_bucket_cors)
    return app


def _bucket_cors(response: Response) -> Response:
    """S3's CORS headers on an actual (not preflight) request to a path-style bucket URL."""
    origin = request.headers.get("Origin")
    if (
        not origin
        or request.method == "OPTIONS"
        or "Access-Control-Allow-Origin" in response.headers
    ):
        return response
    bucket = _bucket(request.path.lstrip("/").split("/", 1)[0])
    for rule in bucket.cors if bucket is not None else []:
        if request.method in rule.allowed_methods and cors_matches_origin(
            origin, rule.allowed_origins
        ):
            response.headers["Access-Control-Allow-Origin"] = origin
            if rule.exposed_headers:
                response.headers["Access-Control-Expose-Headers"] = ", ".join(rule.exposed_headers)
            response.headers.add("Vary", "Origin")
            break
    return response


def _bucket(name: str) -> FakeBucket | None:
    if name not in s3_backends.bucket_accounts:
        return None
    partition, account = s3_backends.bucket_accounts[name]
    try:
        return s3_backends[account][partition].get_bucket(name)
    except MissingBucket:
        return None


class MotoServer(ThreadedMotoServer):
    """``ThreadedMotoServer`` serving ``backend_app`` (its ``_server_entry``, one app factory
    changed)."""

    def _server_entry(self) -> None:
        app = werkzeug_app.DomainDispatcherApplication(backend_app)
        self._server = make_server(
            self._ip_address,
            self._port,
            app,
            True,
            request_handler=werkzeug_app.MotoRequestHandler,
        )
        self._server_ready_event.set()
        self._server.serve_forever()
