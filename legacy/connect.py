"""L1-L3, L10: connect with a ZSC key to a portal the key's user owns; status; disconnect.

How the key keeps its meaning (L1) over Projects API v3, which takes OAuth only and has no
way to check a ZSC key (docs/CONTRACTS.md "Projects v3: the ZSC key"):
- Every Projects call carries the OAuth token the target gives for these credentials: live,
  the profile's token (its user is the caller); in the sandbox, the token of the Projects
  user the email names. The key is never sent as a header.
- The caller's portals are listed with that token, each with the caller's role, on which
  L2's owner rule is judged.
- The key is checked where the service can check it: the sandbox has a sandbox-only check
  (`ProjectsClient.verify_zsc_key`, only the key's SHA-256 travels) and a wrong key is
  refused there with a clear error. Live it cannot be checked: it is recorded (fingerprint
  in the store, the key in the secret box) and its owner's identity rests on the token.
- A token Projects refuses (its user deactivated, the grant revoked) is a PermissionRefused.

Rules:
- Only portals where that user is the owner may be connected (L2); any other portal is
  refused, naming the user's role there.
- One connection row per (organization, portal): connecting again to the same portal (e.g.
  with a regenerated key, or after a disconnect) reuses it, so nothing recorded is lost.
  While a connection to another portal is live, a new portal is refused (disconnect first).
- The key goes to the secret box (`ctx.remember_key`), never to the store: the store keeps
  only its fingerprint. Disconnecting forgets the key.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bridge.domain import Connection, ConnectionState, Credentials, Portal, Role
from bridge.errors import PermissionRefused, PortalMismatch, ServiceError
from bridge.secrets import connection_key_name
from bridge.store.repo import (
    LIVE_STATES,
    key_fingerprint,
    latest_connection,
    new_connection,
    set_state,
    to_connection,
)
from bridge.store.tables import ConnectionRow
from legacy.state import MODE, current

if TYPE_CHECKING:
    from bridge.context import Context

ZSC_HINT = "make a new ZSC key in Projects (Setup > Developer Space) and connect with it"


def _role(value: Any) -> Role:
    text = str(value or "").lower()
    return Role(text) if text in (Role.OWNER.value, Role.ADMIN.value) else Role.OTHER


def _portal(raw: dict[str, Any]) -> Portal:
    return Portal(portal_id=str(raw["id"]), name=str(raw.get("name", "")), role=_role(raw.get("role")))


def all_portals(ctx: Context, credentials: Credentials) -> list[Portal]:
    """Every portal of the caller, with the caller's role (L1: a refused key is explicit)."""
    client = ctx.projects_for(credentials, None)
    try:
        raw = list(client.list_portals())
        verdict = client.verify_zsc_key(credentials.zsc_key)
    except ServiceError as exc:
        if exc.status == 401 or exc.code == 6401:
            raise PermissionRefused(
                f"Projects refused the ZSC key given for {credentials.email}: it is wrong, "
                "was regenerated, or its user was deactivated",
                hint=ZSC_HINT,
            ) from None
        raise
    if verdict is False:  # None: this service cannot check a key (live); it is recorded
        raise PermissionRefused(
            f"Projects refused the ZSC key given for {credentials.email}: it is wrong, "
            "was regenerated, or its user was deactivated",
            hint=ZSC_HINT,
        )
    return [_portal(p) for p in raw]


def owned_portals(ctx: Context, credentials: Credentials) -> list[Portal]:
    """L2: only the portals where the key's user is the owner."""
    return [p for p in all_portals(ctx, credentials) if p.role is Role.OWNER]


def _owned(ctx: Context, credentials: Credentials, portal_id: str) -> Portal:
    portals = all_portals(ctx, credentials)
    match = next((p for p in portals if p.portal_id == portal_id), None)
    if match is None:
        raise PermissionRefused(
            f"portal {portal_id} is not a portal of {credentials.email}",
            hint="run `bpbridge legacy portals` to list the portals you own",
        )
    if match.role is not Role.OWNER:
        raise PermissionRefused(
            f"the legacy integration connects only portals you own (L2): "
            f"{credentials.email} is {match.role.value if match.role is Role.ADMIN else 'not the owner'} "
            f"in portal {match.name or portal_id} ({portal_id}), not the owner",
            hint="ask the portal's owner to connect it, or pick one of `bpbridge legacy portals`",
        )
    return match


def connect(ctx: Context, credentials: Credentials, portal_id: str) -> ConnectionRow:
    _owned(ctx, credentials, portal_id)
    # L10: what setting up shares with Projects is the organization's name and email.
    org = ctx.books.get_organization()
    org_id = str(org["organization_id"])
    now = ctx.clock.now()
    with ctx.store.session() as s:
        row = latest_connection(s, MODE)
        if row is not None and row.state in LIVE_STATES and row.portal_id != portal_id:
            raise PortalMismatch(
                f"the legacy integration is {row.state} with portal {row.portal_id}; "
                f"one organization connects one portal at a time",
                hint="run `bpbridge legacy disconnect` first to connect another portal",
            )
        if row is not None and row.portal_id == portal_id and row.organization_id == org_id:
            row.email = credentials.email
            row.key_fingerprint = key_fingerprint(credentials.zsc_key)
            row.shared_name, row.shared_email = str(org.get("name", "")), str(org.get("email", ""))
            set_state(row, ConnectionState.CONNECTED.value, now)
        else:
            row = new_connection(
                s, mode=MODE, organization_id=org_id, portal_id=portal_id,
                email=credentials.email, key=credentials.zsc_key,
                shared_name=str(org.get("name", "")), shared_email=str(org.get("email", "")),
                now=now,
            )
        s.flush()
        ctx.remember_key(row, credentials.zsc_key)
    return row


def disconnect(ctx: Context) -> None:
    row = current(ctx)
    with ctx.store.session() as s:
        live = s.get(ConnectionRow, row.id)
        assert live is not None
        set_state(live, ConnectionState.DISCONNECTED.value, ctx.clock.now())
    # A disconnected integration has no use for the key: do not keep it around.
    ctx.secrets.delete(connection_key_name(row.mode, row.id))


def set_enabled(ctx: Context, enabled: bool, portal_id: str | None = None) -> Connection:
    """disable (L: data kept) or re-enable, only with the portal connected before (E11/M6)."""
    row = current(ctx)
    if portal_id is not None and portal_id != row.portal_id:
        raise PortalMismatch(
            f"the legacy integration can be re-enabled only with the portal connected before "
            f"({row.portal_id}), not {portal_id}",
            hint="to connect a different portal, disconnect and connect it "
                 "(or write to support@zohobooks.com)",
        )
    with ctx.store.session() as s:
        live = s.get(ConnectionRow, row.id)
        assert live is not None
        set_state(live, (ConnectionState.CONNECTED if enabled else ConnectionState.DISABLED).value,
                  ctx.clock.now())
        return to_connection(live)
