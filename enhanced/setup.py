"""E1-E2, E6, E10-E11: connecting, credentials, disabling and re-enabling.

A connection is one `connections` row (mode "enhanced"); its key lives in the secret box,
the row keeps only a fingerprint. Disabling flips the state and keeps every mapping, so
re-enabling (same portal only) carries on incrementally.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bridge.context import Context
from bridge.domain import Connection, ConnectionState, Credentials, Portal, Role
from bridge.errors import NotConnected, PermissionRefused, PortalMismatch, ServiceError
from bridge.store import repo
from bridge.store.tables import ConnectionRow, MigrationRun
from enhanced import preferences

MODE = "enhanced"
ADMIN_ROLES = ("owner", "admin")


def _role(value: Any) -> Role:
    v = str(value or "").lower()
    return Role.OWNER if v == "owner" else Role.ADMIN if v == "admin" else Role.OTHER


def _projects_portals(ctx: Context, credentials: Credentials) -> list[dict[str, Any]]:
    """The caller's portals; the key is checked where the service can (legacy/connect.py)."""
    client = ctx.projects_for(credentials, None)
    try:
        found = list(client.list_portals())
        if client.verify_zsc_key(credentials.zsc_key) is False:
            raise ServiceError("Projects", "key check", "the ZSC key is not this user's", status=401)
        return found
    except ServiceError as exc:
        if exc.status == 401:
            raise PermissionRefused(
                f"Projects refused the ZSC key for {credentials.email}: {exc.service_message}",
                hint="copy the key again from Projects > Setup > Developer Space",
            ) from None
        raise


def portals(ctx: Context, credentials: Credentials) -> list[Portal]:
    """Portals where the key's user is owner or admin (the enhanced prerequisite, E1)."""
    out = [Portal(str(p["id"]), str(p.get("name", "")), _role(p.get("role")))
           for p in _projects_portals(ctx, credentials)]
    return [p for p in out if p.role in (Role.OWNER, Role.ADMIN)]


def _check_admins(ctx: Context, credentials: Credentials, portal_id: str) -> None:
    """E1: admin on both sides; the refusal names every side that is missing."""
    missing = []
    me = ctx.books.current_user()
    if str(me.get("user_role", "")).lower() != "admin":
        missing.append(f"Books (user {me.get('email', '?')} is {me.get('user_role', 'not admin')})")
    found = {str(p["id"]): p for p in _projects_portals(ctx, credentials)}
    role = str(found[portal_id].get("role", "")).lower() if portal_id in found else ""
    if role not in ADMIN_ROLES:
        what = f"is {role}" if role else "is not a member"
        missing.append(f"Projects (user {credentials.email} {what} in portal {portal_id})")
    if missing:
        raise PermissionRefused(
            "the enhanced integration needs an admin in both accounts; not an admin in: "
            + "; ".join(missing),
            hint="ask an admin of the side named to set up the integration (E1)",
        )


def connect(ctx: Context, credentials: Credentials, portal_id: str) -> Connection:
    with ctx.store.session() as s:
        existing = repo.latest_connection(s, MODE)
        if existing is not None and existing.state in repo.LIVE_STATES:
            if existing.portal_id != portal_id:
                raise _mismatch(existing, portal_id)
            if existing.state == ConnectionState.DISABLED:
                raise NotConnected(
                    f"the enhanced integration with portal {portal_id} is disabled",
                    hint=f"run `bpbridge enhanced reenable --portal {portal_id}`",
                )
    _check_admins(ctx, credentials, portal_id)
    org = ctx.books.get_organization()
    now = ctx.clock.now()
    with ctx.store.session() as s:
        row = repo.new_connection(
            s, mode=MODE, organization_id=str(org.get("organization_id", "")), portal_id=portal_id,
            email=credentials.email, key=credentials.zsc_key,
            shared_name=str(org.get("name", "")), shared_email=str(org.get("email", "")), now=now,
        )
        preferences.save(s, row.id, now)
        ctx.remember_key(row, credentials.zsc_key)
        return repo.to_connection(row)


def connection_row(ctx: Context) -> ConnectionRow:
    with ctx.store.session() as s:
        return repo.live_connection(s, MODE)


def update_credentials(ctx: Context, email: str | None, key: str | None) -> Connection:
    """E6: a new key and/or email; checked against Projects, mappings untouched."""
    row = connection_row(ctx)
    current = ctx.credentials_of(row) if key is None else None
    creds = Credentials(email or row.email, key if key is not None else current.zsc_key)  # type: ignore[union-attr]
    _check_admins(ctx, creds, row.portal_id)
    with ctx.store.session() as s:
        fresh = s.get(ConnectionRow, row.id)
        assert fresh is not None
        fresh.email = creds.email
        fresh.key_fingerprint = repo.key_fingerprint(creds.zsc_key)
        fresh.changed_at = ctx.clock.now()
        ctx.remember_key(fresh, creds.zsc_key)
        return repo.to_connection(fresh)


def set_state(ctx: Context, state: str) -> Connection:
    row = connection_row(ctx)
    with ctx.store.session() as s:
        fresh = s.get(ConnectionRow, row.id)
        assert fresh is not None
        repo.set_state(fresh, state, ctx.clock.now())
        return repo.to_connection(fresh)


def _mismatch(row: ConnectionRow, portal_id: str) -> PortalMismatch:
    return PortalMismatch(
        f"the integration can be re-enabled only with the Projects portal connected before "
        f"({row.portal_id}), not {portal_id} (E11)",
        hint="to connect a different portal, write to support@zohobooks.com",
    )


def reenable(ctx: Context, portal_id: str) -> Connection:
    """E11/M6: only the portal of the latest enhanced connection, migrated ones included.

    Re-enabling a migration's target records it on the run (`reenabled_at`, in the same
    transaction as the state change): `migrate verify` accepts the target leaving its
    migrated state (disabled, default preferences) only after this gate was passed.
    """
    with ctx.store.session() as s:
        row = repo.latest_connection(s, MODE)
        if row is None:
            raise NotConnected("no enhanced integration was ever connected",
                               hint="run `bpbridge enhanced connect` first")
        if row.portal_id != portal_id:
            raise _mismatch(row, portal_id)
        run = s.execute(select(MigrationRun).where(MigrationRun.target_connection_id == row.id)
                        .order_by(MigrationRun.started_at.desc()).limit(1)).scalar_one_or_none()
        if run is not None and run.state != "done":
            # a half-made target is not an integration yet
            raise NotConnected(f"the migration to this integration is {run.state}",
                               hint="finish it with `bpbridge migrate run` "
                                    "(or undo it with `bpbridge migrate rollback`)")
        ctx.credentials_of(row)  # a migrated connection must carry its key over
        now = ctx.clock.now()
        repo.set_state(row, ConnectionState.CONNECTED.value, now)
        if run is not None:
            run.reenabled_at = now
        if repo.preferences(s, row.id) is None:
            preferences.save(s, row.id, now)
        return repo.to_connection(row)
