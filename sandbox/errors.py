"""Refusals raised by the sandbox's state code; the handlers turn them into each service's envelope.

State modules know their service's codes (Books 1002, Projects 6404...), as the real services'
back ends do, but never build HTTP answers: a `Refusal` is data, and raising it rolls back the
request's transaction, so a refused request changes nothing.
"""

from __future__ import annotations


class Refusal(Exception):
    """A request the service refuses: HTTP status, the service's error code and its message."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def __repr__(self) -> str:
        return f"Refusal({self.status}, {self.code}, {self.message!r})"


class SimulatedTimeout(Exception):
    """Raised by the app for a "timeout" fault; the transports turn it into a client timeout."""
