"""Where connection secrets (ZSC keys) live between CLI calls: a 0600 JSON file.

The state store keeps only a fingerprint of a key, so a store copied to a report, a
ticket or a shared PostgreSQL never carries the key itself.
"""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

from bridge.errors import ConfigError


class SecretBox(Protocol):
    def get(self, name: str) -> str | None: ...

    def put(self, name: str, value: str) -> None: ...

    def delete(self, name: str) -> None: ...

    def values(self) -> tuple[str, ...]: ...


class MemorySecrets:
    def __init__(self) -> None:
        self._data: dict[str, str] = {}

    def get(self, name: str) -> str | None:
        return self._data.get(name)

    def put(self, name: str, value: str) -> None:
        self._data[name] = value

    def delete(self, name: str) -> None:
        self._data.pop(name, None)

    def values(self) -> tuple[str, ...]:
        return tuple(self._data.values())

    def __repr__(self) -> str:
        return f"MemorySecrets({len(self._data)} secrets)"


class FileSecrets:
    """A JSON object in a file created with mode 0600 (rewritten atomically)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _read(self) -> dict[str, str]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise self._unusable(f"cannot be read ({exc.strerror or type(exc).__name__})") from None
        try:
            data = json.loads(text)
        except ValueError:  # the message would quote the file: never show a secret
            data = None
        if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
            raise self._unusable("is not a JSON object of secrets (damaged or edited by hand)")
        return data

    def _write(self, data: dict[str, str]) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # A temp name of its own per write (mkstemp: 0600): two processes rewriting the file
            # at once (e.g. both caching a token) must not move each other's temp file away.
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=self.path.name, suffix=".tmp")
        except OSError as exc:
            raise self._unusable(f"cannot be written ({exc.strerror or type(exc).__name__})") from None
        try:
            with os.fdopen(fd, "w") as f:
                json.dump(data, f)
            os.replace(tmp, self.path)
        except OSError as exc:  # a full disk: the old file stays whole, the partial one goes
            Path(tmp).unlink(missing_ok=True)
            raise self._unusable(f"cannot be written ({exc.strerror or type(exc).__name__})") from None

    def _unusable(self, what: str) -> ConfigError:
        return ConfigError(f"the secrets file {self.path} {what}",
                           hint="check its folder's permissions and free space; a damaged file can be moved "
                                "away and each connection's key given again (`bpbridge legacy connect`)")

    def get(self, name: str) -> str | None:
        return self._read().get(name)

    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        """Read-modify-write under an exclusive lock, so two processes writing different
        entries at once do not lose one of them."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path.with_name(self.path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise self._unusable(f"cannot be locked ({exc.strerror or type(exc).__name__})") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    def put(self, name: str, value: str) -> None:
        with self._exclusive():
            data = self._read()
            data[name] = value
            self._write(data)

    def delete(self, name: str) -> None:
        with self._exclusive():
            data = self._read()
            if data.pop(name, None) is not None:
                self._write(data)

    def values(self) -> tuple[str, ...]:
        return tuple(self._read().values())

    def __repr__(self) -> str:
        return f"FileSecrets({str(self.path)!r})"


def connection_key_name(mode: str, connection_id: int) -> str:
    return f"{mode}:{connection_id}:zsc_key"


class SecretTokenCache:
    """An OAuth token cache kept in a SecretBox, one entry per refresh token."""

    def __init__(self, box: SecretBox, refresh_token: str) -> None:
        import hashlib

        self.box = box
        self.name = "oauth:" + hashlib.sha256(refresh_token.encode()).hexdigest()[:12]

    def load(self) -> dict[str, object] | None:
        raw = self.box.get(self.name)
        if not raw:
            return None
        try:
            data: dict[str, object] = json.loads(raw)
        except ValueError:
            return None
        return data

    def save(self, data: dict[str, object]) -> None:
        self.box.put(self.name, json.dumps(data))

    def __repr__(self) -> str:
        return "SecretTokenCache(***)"
