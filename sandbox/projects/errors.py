"""Projects v3's error envelope (PROJECTS-V3.md §5, [doc P0]):

    {"error": {"status_code": "400", "instance": "<request path>", "title": "<error code>",
               "error_type": "...", "details": [{"message": "..."}]}}

`status_code` is a string. The state raises `Refusal(status, code, message)` with the old
numeric codes; a message may open with its own title (`"INVALID_ZSC_KEY: ..."`), else the
title comes from the code. Titles other than URL_RULE_NOT_CONFIGURED are ours [inferred]:
the v3 intro names that one and cuts off the next.
"""

from __future__ import annotations

import re

from sandbox.http import Response

URL_RULE_NOT_CONFIGURED = "URL_RULE_NOT_CONFIGURED"
INVALID_OAUTHTOKEN = "INVALID_OAUTHTOKEN"
TITLES = {6400: "INVALID_INPUT", 6401: INVALID_OAUTHTOKEN, 6403: "FORBIDDEN",
          6404: "RESOURCE_NOT_FOUND", 6405: URL_RULE_NOT_CONFIGURED,
          6409: "ALREADY_INVOICED", 6429: "TOO_MANY_REQUESTS", 6500: "INTERNAL_SERVER_ERROR"}
ERROR_TYPES = {400: "FIELDS_VALIDATION_ERROR", 401: "AUTHENTICATION_ERROR",
               403: "AUTHORIZATION_ERROR", 404: "RESOURCE_ERROR", 429: "THROTTLE_ERROR",
               500: "SERVER_ERROR"}
_TITLED = re.compile(r"^([A-Z][A-Z_]+): (.*)$", re.DOTALL)


def envelope(status: int, code: int, message: str, instance: str) -> Response:
    titled = _TITLED.match(message)
    title, text = (titled.group(1), titled.group(2)) if titled else (
        TITLES.get(code, "ERROR"), message)
    return Response(status, {"error": {
        "status_code": str(status), "instance": instance, "title": title,
        "error_type": ERROR_TYPES.get(status, "ERROR"), "details": [{"message": text}]}})
