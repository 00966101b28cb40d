"""What every part of the Projects state shares: the caller, refusals, lookups, body fields.

Projects records are stored in the scenario's own shape (ISO dates, minutes, ids as strings);
`render` turns them into API v3's JSON. Bodies arrive as JSON objects, handed to the state
as a flat dict of strings (nested values as JSON text). A test "fixing the data upstream" therefore
PATCHes the fields it seeded (`minutes`, `client_ids`, `approval_status`...).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sandbox.db import Body, Tx
from sandbox.errors import Refusal
from sandbox.formats import epoch_ms, iso_day, parse_bool, parse_iso, parse_money
from sandbox.marks import touch

SERVICE = "projects"
PER_PAGE_DEFAULT = 100  # [gap: not stated]; the client always sends PER_PAGE
PER_PAGE_MAX = 200  # [doc P9]
SEES_ALL = ("owner", "admin", "manager")
MANAGES = ("owner", "admin", "manager")

NOT_FOUND = 6404
BAD_FIELD = 6400
FORBIDDEN = 6403
ALREADY_INVOICED = 6409


def not_found() -> Refusal:
    return Refusal(404, NOT_FOUND, "Resource Not Found")


def bad(field: str, why: str = "") -> Refusal:
    return Refusal(400, BAD_FIELD, f"Invalid value for {field}" + (f": {why}" if why else ""))


def missing(field: str) -> Refusal:
    return Refusal(400, BAD_FIELD, f"Required field {field} is missing")


def forbidden(why: str) -> Refusal:
    return Refusal(403, FORBIDDEN, why)


class ProjectsBase:
    """Projects as seen by one caller (a Projects user record) at one instant."""

    def __init__(self, tx: Tx, now: dt.datetime, caller: Body) -> None:
        self.tx = tx
        self.now = now
        self.caller = caller
        self._memo: dict[tuple[str, str], Body | None] = {}

    @property
    def now_ms(self) -> int:
        return epoch_ms(self.now)

    @property
    def today(self) -> str:
        return iso_day(self.now)

    def lookup(self, kind: str, id_: str | None) -> Body | None:
        """A record by id, remembered for the request (names on a page of logs)."""
        if not id_:
            return None
        key = (kind, id_)
        if key not in self._memo:
            self._memo[key] = self.tx.get(SERVICE, kind, id_)
        return self._memo[key]

    def stamp_new(self, body: Body) -> Body:
        body["created_time_long"] = self.now_ms
        body["last_modified_time_long"] = self.now_ms
        return body

    def save(self, kind: str, body: Body, *, ref: str | None = None) -> Body:
        """Write a changed record, moving its last_modified_time_long."""
        self.tx.put(SERVICE, kind, body["id"], touch(body, self.now), ref=ref)
        self._memo[(kind, body["id"])] = body
        return body

    # -- portals, roles and projects the caller may see ------------------------------------
    def role(self, portal_id: str) -> str:
        """The caller's role in a portal: 404 for no such portal, 403 for a non-member."""
        if self.lookup("portals", portal_id) is None:
            raise not_found()
        role = (self.caller.get("roles") or {}).get(portal_id)
        if not role:
            raise forbidden("You are not a user of this portal")
        return str(role)

    def require_manager(self, portal_id: str) -> None:
        if self.role(portal_id) not in MANAGES:
            raise forbidden("Your role in this portal does not allow this operation")

    def project_in(self, portal_id: str, project_id: str) -> Body:
        role = self.role(portal_id)
        project = self.lookup("projects", project_id)
        if project is None or project["portal_id"] != portal_id:
            raise not_found()
        if role not in SEES_ALL and not self.member_of(project):
            raise forbidden("You are not a user of this project")
        return project

    def member_of(self, project: Body) -> bool:
        me = self.caller["id"]
        return project.get("owner_id") == me or me in (project.get("user_ids") or [])

    def child_of(self, kind: str, project: Body, child_id: str) -> Body:
        child = self.lookup(kind, child_id)
        if child is None or child.get("project_id") != project["id"]:
            raise not_found()
        return child

    def page(self, kind: str, index: int, range_: int, *, parent: str | None = None,
             where: Sequence[str] = (), params: Sequence[Any] = (),
             order: str = "d.rid") -> list[Body]:
        return self.tx.select(SERVICE, kind, parent=parent, where=where, params=params,
                              order=order, limit=range_, offset=index - 1)


# -- form fields ------------------------------------------------------------------------------
def form_text(form: dict[str, str], field: str, *, required: bool = False) -> str:
    value = str(form.get(field, "")).strip()
    if required and not value:
        raise missing(field)
    return value


def form_date(form: dict[str, str], field: str, *, default: str = "") -> str:
    """A yyyy-mm-dd field (v3's date format)."""
    raw = form_text(form, field)
    if not raw:
        if not default:
            raise missing(field)
        return default
    iso = parse_iso(raw)
    if iso is None:
        raise bad(field, "use yyyy-mm-dd")
    return iso


def form_bool(form: dict[str, str], field: str, default: bool) -> bool:
    raw = form_text(form, field)
    if not raw:
        return default
    value = parse_bool(raw)
    if value is None:
        raise bad(field, "use true or false")
    return value


def form_money(value: Any, field: str, *, required: bool = False,
               default: Decimal | None = None) -> Decimal | None:
    if value in (None, ""):
        if required:
            raise missing(field)
        return default
    amount = parse_money(value)
    if amount is None:
        raise bad(field, "not an amount")
    return amount


def paging(query: dict[str, str]) -> tuple[int, int]:
    """`page` (1-based) and `per_page` (1-200) as (first row index, 1-based; page size)."""
    try:
        page = int(query.get("page", "1") or "1")
        per_page = int(query.get("per_page", str(PER_PAGE_DEFAULT)) or PER_PAGE_DEFAULT)
    except ValueError as exc:
        raise bad("page/per_page", "not a number") from exc
    if page < 1:
        raise bad("page", "starts at 1")
    if not 1 <= per_page <= PER_PAGE_MAX:
        raise bad("per_page", f"between 1 and {PER_PAGE_MAX}")
    return (page - 1) * per_page + 1, per_page
