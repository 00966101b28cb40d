"""What every part of the Books state shares: the transaction, the time, refusals, field checks."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sandbox.db import Body, Tx
from sandbox.errors import Refusal
from sandbox.formats import books_time, iso_day, parse_bool, parse_iso, parse_money

SERVICE = "books"
PER_PAGE_MAX = 200

# codes: 1002 not found, 15 field required, 4 invalid value (the contract's choices)
NOT_FOUND = 1002
REQUIRED = 15
INVALID = 4
DUPLICATE_NAME = 3062
DUPLICATE_NUMBER = 1001


def not_found(thing: str) -> Refusal:
    return Refusal(404, NOT_FOUND, f"{thing} does not exist.")


def missing(field: str) -> Refusal:
    return Refusal(400, REQUIRED, f"{field} is required.")


def invalid(field: str, why: str = "") -> Refusal:
    return Refusal(400, INVALID, f"Invalid value passed for {field}" + (f": {why}" if why else "."))


def refused(message: str) -> Refusal:
    return Refusal(400, INVALID, message)


class BooksBase:
    """The Books state for one request: one organization, one caller, one instant."""

    def __init__(self, tx: Tx, now: dt.datetime, org_id: str = "", user_id: str = "") -> None:
        self.tx = tx
        self.now = now
        self.org_id = org_id
        self.user_id = user_id

    # -- time (one instant per request: formatted once) ---------------------------------------
    @functools.cached_property
    def stamp(self) -> str:
        return books_time(self.now)

    @functools.cached_property
    def today(self) -> str:
        return iso_day(self.now)

    # -- records ---------------------------------------------------------------------------
    def get(self, kind: str, id_: object) -> Body | None:
        return self.tx.get(SERVICE, kind, str(id_)) if isinstance(id_, (str, int)) else None

    def need(self, kind: str, id_: str, thing: str) -> Body:
        body = self.get(kind, id_)
        if body is None:
            raise not_found(thing)
        return body

    def ref_of(self, kind: str, id_: object, field: str) -> Body:
        """A record named in a request body: unknown ids are an invalid value, not a 404."""
        body = self.get(kind, id_) if id_ not in (None, "") else None
        if body is None:
            raise invalid(field)
        return body

    def page(self, kind: str, page: int, per_page: int, *, parent: str | None = None,
             ref: str | None = None, where: Sequence[str] = (),
             params: Sequence[Any] = ()) -> tuple[list[Body], bool]:
        """One page and whether more follow (one extra row is read to know)."""
        rows = self.tx.select(SERVICE, kind, parent=parent, ref=ref, where=where, params=params,
                              limit=per_page + 1, offset=(page - 1) * per_page)
        return rows[:per_page], len(rows) > per_page

    def currency(self, currency_id: str | None = None, code: str | None = None) -> Body | None:
        if currency_id:
            return self.get("currencies", currency_id)
        if code:
            rows = self.tx.select(SERVICE, "currencies", ref=code.upper(), limit=1)
            return rows[0] if rows else None
        return None

    def base_currency(self) -> Body:
        rows = self.tx.select(SERVICE, "currencies",
                              where=["json_extract(d.body, '$.is_base_currency') = 1"], limit=1)
        if not rows:
            raise Refusal(500, 1000, "Internal error")
        return rows[0]


# -- field checks ----------------------------------------------------------------------------
def text(data: dict[str, Any], field: str, *, required: bool = False, max_len: int = 0,
         default: str = "") -> str:
    value = data.get(field)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise missing(field)
        return default
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        raise invalid(field)
    value = str(value).strip()
    if max_len and len(value) > max_len:
        raise invalid(field, f"at most {max_len} characters")
    return value


def money(data: dict[str, Any], field: str, *, required: bool = False,
          default: Decimal | None = None) -> Decimal | None:
    value = data.get(field)
    if value is None or value == "":
        if required:
            raise missing(field)
        return default
    amount = parse_money(value)
    if amount is None:
        raise invalid(field)
    return amount


def flag(data: dict[str, Any], field: str, default: bool) -> bool:
    if field not in data or data[field] is None:
        return default
    value = parse_bool(data[field])
    if value is None:
        raise invalid(field)
    return value


def day(data: dict[str, Any], field: str, *, required: bool = False, default: str = "") -> str:
    value = data.get(field)
    if value in (None, ""):
        if required:
            raise missing(field)
        return default
    iso = parse_iso(value)
    if iso is None:
        raise invalid(field, "use yyyy-mm-dd")
    return iso


def choice(data: dict[str, Any], field: str, options: Sequence[str], *,
           required: bool = False, default: str = "") -> str:
    value = text(data, field, required=required, default=default)
    if value and value not in options:
        raise invalid(field, "one of " + ", ".join(options))
    return value


def id_list(value: Any, field: str) -> list[str]:
    """A list of ids, as a JSON list or a comma-separated string."""
    if value in (None, ""):
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, list) and all(isinstance(v, (str, int)) for v in value):
        return [str(v) for v in value]
    raise invalid(field)


def json_eq(field: str) -> str:
    """A where clause comparing one top-level JSON field."""
    return f"json_extract(d.body, '$.{field}') = ?"
