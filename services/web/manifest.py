"""The web service declares itself: no functions, no routes of its own, no events.

It serves the single-page app (``services/web/app/``) from a private bucket through CloudFront
and mounts every other service's HTTP API under ``/api/<service>/`` (``routing.py``): the
component and the local web server both read that from here and from the other manifests.
"""

from __future__ import annotations

from services.contracts.manifest import ServiceManifest

MANIFEST = ServiceManifest(name="web", functions=())
