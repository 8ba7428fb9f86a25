"""HTTP header names the APIs read, as plain data (no Powertools, no pulumi).

The handlers read them, and the HTTP APIs' CORS configuration (``components.cors``) lets
browsers send them: one declaration, so a renamed header cannot be refused by CORS.
"""

from __future__ import annotations

CORRELATION_HEADER = "x-correlation-id"
"""Carried across services in events and logs; echoed back by the APIs."""
