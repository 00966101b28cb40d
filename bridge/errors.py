"""One error tree for the whole toolkit; each class carries the CLI exit code.

    BridgeError (exit 1)
    ├── CheckFailed          a verification / comparison found differences (exit 1)
    ├── InputError (exit 2)  bad user input: fixture, option, unknown record
    │   ├── FixtureError     a scenario file breaks the schema (names file + JSON path)
    │   └── NotInPublicApi   --target live asked for what only the sandbox has (refused before any call)
    ├── ConfigError (exit 2) missing/invalid profile or configuration
    ├── StoreError           the state store refused or failed (bridge/store/errors.py translates)
    │   ├── StoreInputError (exit 2)  --db names no usable store: bad URL, no driver, not a database
    │   ├── NoStore              a command that only reads found no store (it never makes one)
    │   ├── StoreReadOnly        the store cannot be written
    │   ├── StoreUnavailable     its server did not answer, could not be reached, or refused the login
    │   ├── SchemaVersionError   the database is newer than this toolkit
    │   └── LockHeld             another migration holds the lock
    ├── IntegrationError     a rule of the integration refused the operation
    │   ├── NotConnected
    │   ├── PermissionRefused    wrong role / non-owner portal / wrong key
    │   ├── AlreadyInvoiced      L8: task already billed
    │   └── PortalMismatch       E11/M6: re-enable with another portal
    └── ServiceError         a service call failed (names service, call, message)
        ├── ServiceTimeout
        ├── RateLimited          429 that we will not wait out (code 45: daily cap)
        └── NotFound

Only the CLI turns an error into a message and an exit code; library code raises.
Messages never contain secrets: `redact()` is applied at the boundary where service text
enters an error.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import ClassVar


class BridgeError(Exception):
    exit_code: ClassVar[int] = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def to_json(self) -> dict[str, object]:
        """The body of `{"error": ...}` under --json (the CLI adds the envelope)."""
        out: dict[str, object] = {"type": type(self).__name__, "message": self.message,
                                  "exit_code": self.exit_code}
        if self.hint:
            out["hint"] = self.hint
        return out


class CheckFailed(BridgeError):
    exit_code = 1


class InputError(BridgeError):
    exit_code = 2


class FixtureError(InputError):
    def __init__(self, file: str, json_path: str, rule: str) -> None:
        super().__init__(f"{file}: {json_path}: {rule}")
        self.file, self.json_path, self.rule = file, json_path, rule


class NotInPublicApi(InputError):
    """The operation needs a service call only the sandbox has (bridge.capabilities), or is a
    sandbox tool: refused on --target live before any call. A usage error (exit 2): the same
    command with another option or on the sandbox target is the way on."""


class ConfigError(BridgeError):
    exit_code = 2


class StoreError(BridgeError):
    pass


class StoreInputError(StoreError, InputError):
    """The store named by --db/BRIDGE_DB cannot be one: a URL that does not parse, a scheme
    without an installed driver, a file that is not a database. Fixed by another --db."""

    exit_code = 2


class NoStore(StoreError):
    pass


class StoreReadOnly(StoreError):
    pass


class StoreUnavailable(StoreError):
    pass


class SchemaVersionError(StoreError):
    pass


class LockHeld(StoreError):
    pass


class IntegrationError(BridgeError):
    pass


class NotConnected(IntegrationError):
    pass


class PermissionRefused(IntegrationError):
    pass


class AlreadyInvoiced(IntegrationError):
    pass


class PortalMismatch(IntegrationError):
    pass


class ServiceError(BridgeError):
    """A call to Books or Projects failed. `service`, `call` and the service's message."""

    def __init__(
        self,
        service: str,
        call: str,
        message: str,
        *,
        status: int | None = None,
        code: int | None = None,
        hint: str | None = None,
    ) -> None:
        self.service, self.call, self.status, self.code = service, call, status, code
        #: the service's error name, when it gives one (Projects v3 `title`)
        self.title: str | None = None
        self.service_message = redact(message)
        detail = f" (HTTP {status}" + (f", code {code}" if code is not None else "") + ")" if status else ""
        super().__init__(f"{service} {call} failed{detail}: {self.service_message}", hint=hint)


class ServiceTimeout(ServiceError):
    pass


class RateLimited(ServiceError):
    """A limit we will not wait out; `resume_at` (UTC), when known, says when calls may resume."""

    def __init__(
        self,
        service: str,
        call: str,
        message: str,
        *,
        status: int | None = None,
        code: int | None = None,
        hint: str | None = None,
        resume_at: dt.datetime | None = None,
    ) -> None:
        super().__init__(service, call, message, status=status, code=code, hint=hint)
        self.resume_at = resume_at


class NotFound(ServiceError):
    pass


_SECRET_PATTERNS = [
    re.compile(r"(Zoho-oauthtoken\s+)\S+", re.IGNORECASE),
    re.compile(r"((?:refresh_token|access_token|client_secret|authtoken|zsc_key|key|token)"
               r"[\"']?\s*[=:]\s*[\"']?)[^\s&\"',}]+", re.IGNORECASE),
]


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    """Strip anything that looks like a credential, and every known secret value."""
    for pat in _SECRET_PATTERNS:
        text = pat.sub(r"\1***", text)
    for s in secrets:
        if s:
            text = text.replace(s, "***")
    return text
