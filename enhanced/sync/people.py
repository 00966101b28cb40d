"""Projects users as Books users, shared by the users and timesheets modules.

A Projects user is the Books user with the same email. One who is not a Books user arrives
only through a fetched timesheet, as an inactive "timesheetstaff" user (the help pages'
rule), so no login is offered to people who only log time.
"""

from __future__ import annotations

from typing import Any

from bridge.store.repo import record_fingerprint
from enhanced.sync import maps
from enhanced.sync.state import SyncState

STAFF_ROLE = "timesheetstaff"


class People:
    def __init__(self, st: SyncState) -> None:
        self.st = st
        self.users = st.writer.mapped("user")
        self.members = st.writer.mapped("project_user")
        # fingerprints asked for once per log: memoized, a re-sync hashes each pair once
        self._fps: dict[tuple[tuple[str, str], ...], str] = {}
        # asked once per log for a few dozen people and memberships: each settled once
        self._ensured: dict[str, str] = {}
        self._members: set[tuple[str, str, str, str]] = set()

    def _fingerprint(self, **fields: str) -> str:
        key = tuple(fields.items())
        fp = self._fps.get(key)
        if fp is None:
            fp = self._fps[key] = record_fingerprint(fields)
        return fp

    def books_by_email(self) -> dict[str, dict[str, Any]]:
        return self.st.books_users()

    def existing(self, user: dict[str, Any]) -> str | None:
        """The Books user for a Projects user, mapping it on first sight; None: not in Books."""
        uid = str(user["id"])
        fp = self._fingerprint(email=str(user.get("email", "")).lower())
        current = self.users.get(uid)
        if current is not None and current.fingerprint == fp:
            return current.books_id
        found = self.books_by_email().get(str(user.get("email", "")).lower())
        if found is None:
            return None
        self._remember(uid, str(found["user_id"]), fp)
        return str(found["user_id"])

    def ensure(self, user: dict[str, Any]) -> tuple[str, bool]:
        """The Books user, creating an inactive timesheet staff user if needed; (id, created)."""
        settled = self._ensured.get(str(user["id"]))
        if settled is not None:
            return settled, False
        books_id = self.existing(user)
        if books_id is not None:
            self._ensured[str(user["id"])] = books_id
            return books_id, False
        email = str(user.get("email", "")).lower()
        made = self.st.writer.create_user({"name": str(user.get("name", "")), "email": email, "user_role": STAFF_ROLE})
        books_id = str(made["user_id"])
        self.st.writer.mark_user_inactive(books_id)
        self.books_by_email()[email] = made
        self._remember(str(user["id"]), books_id, self._fingerprint(email=email))
        self._ensured[str(user["id"])] = books_id
        return books_id, True

    def _remember(self, uid: str, books_id: str, fp: str) -> None:
        self.st.writer.put("user", uid, books_id, fp)
        self.users[uid] = maps.Mapped(books_id, fp)

    def member(self, project_id: str, books_project_id: str, user_id: str, books_user_id: str) -> bool:
        """Make the user a member of the Books project; True if that took a write."""
        settled = (project_id, books_project_id, user_id, books_user_id)
        if settled in self._members:
            return False
        key = f"{project_id}:{user_id}"
        fp = self._fingerprint(project=books_project_id, user=books_user_id)
        current = self.members.get(key)
        if current is not None and current.fingerprint == fp:
            self._members.add(settled)
            return False
        self.st.writer.add_project_user(books_project_id, {"users": [{"user_id": books_user_id}]})
        self.st.writer.put("project_user", key, books_user_id, fp)
        self.members[key] = maps.Mapped(books_user_id, fp)
        self._members.add(settled)
        return True
