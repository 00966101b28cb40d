"""Live profiles: which data centre, organization and portal, and the OAuth client.

A profile is a JSON file `<config dir>/profiles/<name>.json` (config dir: $BRIDGE_CONFIG_DIR,
else ~/.config/bridge), written with mode 0600. Environment variables override any field:
BRIDGE_LIVE_<FIELD> (for example BRIDGE_LIVE_REFRESH_TOKEN). A profile file others can read
is refused (`chmod 600` it). `base_url` points all three services at one root (a served
sandbox standing in for the real hosts). `expense_account_id`
and `paid_through_account_id` are the Books accounts expenses are booked to and paid from:
Books refuses an expense without them, so recording one without them set is refused first.
`time_item_id` is the Books service item every invoice line names (the invoice document
requires `item_id` on each line): invoicing without it is refused first too.
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass, field, fields
from pathlib import Path

from bridge.clients import Endpoints
from bridge.domain import ExpenseAccounts
from bridge.errors import ConfigError

SECRET_FIELDS = ("client_secret", "refresh_token")


def config_dir() -> Path:
    return Path(os.environ.get("BRIDGE_CONFIG_DIR") or Path.home() / ".config" / "bridge")


@dataclass
class Profile:
    name: str = "default"
    data_centre: str = "us"  # a DC key (bridge.clients.endpoints); "com" etc. still work
    organization_id: str = ""
    portal_id: str = ""
    client_id: str = ""
    client_secret: str = field(default="", repr=False)
    refresh_token: str = field(default="", repr=False)
    plan: str = "standard"
    base_url: str = ""
    # the Books accounts expenses are booked to and paid from (their ids in the chart of accounts)
    expense_account_id: str = ""
    paid_through_account_id: str = ""
    # the Books service item every invoice line names (invoices.yml requires item_id)
    time_item_id: str = ""

    def expense_accounts(self) -> ExpenseAccounts | None:
        if self.expense_account_id and self.paid_through_account_id:
            return ExpenseAccounts(self.expense_account_id, self.paid_through_account_id)
        return None

    def endpoints(self) -> Endpoints:
        return Endpoints.sandbox(self.base_url) if self.base_url else Endpoints.zoho(self.data_centre)

    def secrets(self) -> tuple[str, ...]:
        return tuple(getattr(self, f) for f in SECRET_FIELDS if getattr(self, f))

    def public(self) -> dict[str, str]:
        """The profile as it may be shown: secrets say only whether they are set."""
        return {f.name: ("set" if getattr(self, f.name) else "missing") if f.name in SECRET_FIELDS
                else getattr(self, f.name) for f in fields(self)}


def profile_path(name: str) -> Path:
    return config_dir() / "profiles" / f"{name}.json"


def refuse_loose_mode(path: Path) -> None:
    """A profile holds the OAuth client secret and refresh token: one that others can read
    (any group or other permission bit, the rule `bpbridge doctor` checks) is refused before it
    is read, as ssh refuses a loose private key; doctor reads it anyway, to report it."""
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise ConfigError(f"profile {path} is mode {mode:04o}: others can read its secrets, so it is not used",
                          hint=f"chmod 600 {path}")


def load_profile(name: str | None) -> Profile:
    name = name or "default"
    path = profile_path(name)
    data: dict[str, str] = {}
    if path.exists():
        refuse_loose_mode(path)
        try:
            data = json.loads(path.read_text())
        except json.JSONDecodeError as exc:
            raise ConfigError(f"profile {path} is not valid JSON (line {exc.lineno})") from None
    known = {f.name for f in fields(Profile)}
    unknown = set(data) - known
    if unknown:
        raise ConfigError(f"profile {path} has unknown fields: {', '.join(sorted(unknown))}")
    for f in known - {"name"}:
        env = os.environ.get(f"BRIDGE_LIVE_{f.upper()}")
        if env:
            data[f] = env
    profile = Profile(name=name, **{k: v for k, v in data.items() if k != "name"})
    missing = [f for f in ("client_id", "client_secret", "refresh_token") if not getattr(profile, f)]
    if missing:
        raise ConfigError(f"profile {name!r} lacks {', '.join(missing)}",
                          hint=f"write them to {path} (mode 0600) or set BRIDGE_LIVE_<FIELD>")
    return profile


def save_profile(profile: Profile) -> Path:
    path = profile_path(profile.name)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {f.name: getattr(profile, f.name) for f in fields(profile) if f.name != "name"}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(data, fh, indent=2)
    os.chmod(path, 0o600)
    return path
