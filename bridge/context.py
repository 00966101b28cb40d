"""What an integration is built with: the store, the two services' clients, a clock, secrets.

Built once (by the CLI's root group, or by a test) and handed to `bridge.modes.open_integration`.
Neither mode knows whether the clients reach the embedded sandbox, a served one, or the real
services: that is decided where the Context is built (`bridge.targets`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bridge import capabilities
from bridge.clock import Clock
from bridge.domain import Credentials, ExpenseAccounts
from bridge.errors import ConfigError, NotConnected, NotInPublicApi
from bridge.secrets import SecretBox, connection_key_name
from bridge.store import Store

if TYPE_CHECKING:
    from bridge.clients.books import BooksClient
    from bridge.clients.projects import ProjectsClient
    from bridge.store.tables import ConnectionRow

#: Builds a Projects client acting as the user the credentials identify, on a portal
#: (None: portal-less calls such as listing portals).
ProjectsFactory = Callable[[Credentials, "str | None"], "ProjectsClient"]


@dataclass
class Context:
    store: Store
    books: BooksClient
    projects_factory: ProjectsFactory
    clock: Clock
    secrets: SecretBox
    #: secret values (tokens, keys) to scrub from any output; read each time, since tokens
    #: are minted as the run goes
    scrub: list[Callable[[], tuple[str, ...]]] = field(default_factory=list)
    #: the Books organization's accounts for expenses (a live profile names them)
    expense_accounts: ExpenseAccounts | None = None
    #: the Books item every invoice line names (invoices.yml requires `item_id` on each line;
    #: a live profile names a service item, the sandbox seeds one)
    time_item_id: str | None = None
    #: the clients reach the real services (or a rehearsal of them): only public API calls
    live: bool = False

    def require(self, operation: str) -> None:
        """The one seam where live mode refuses: every integration operation asks first, so an
        operation needing what only the sandbox has fails here, before any call or write."""
        row = capabilities.operation(operation)  # an unknown operation fails on any target
        if self.live and (why := capabilities.refusal(row.key)) is not None:
            raise NotInPublicApi(why[0], hint=why[1])

    def offers(self, service_op: str) -> bool:
        """Whether this target has a service call: the sandbox has all, live only the public
        API's. Asked where an operation goes without a sandbox-only call live (`live_without`)."""
        return not self.live or capabilities.is_public(service_op)

    def secret_values(self) -> tuple[str, ...]:
        values = list(self.secrets.values())
        for source in self.scrub:
            values.extend(source())
        return tuple(v for v in values if v)

    def expense_account_fields(self) -> dict[str, str]:
        """`account_id` and `paid_through_account_id` for a Books expense, or a ConfigError
        before anything is written."""
        if self.expense_accounts is None:
            raise ConfigError(
                "Books needs an expense account and a paid-through account on every expense, "
                "and none are set",
                hint="set expense_account_id and paid_through_account_id in the profile "
                "(or BRIDGE_LIVE_EXPENSE_ACCOUNT_ID / BRIDGE_LIVE_PAID_THROUGH_ACCOUNT_ID)",
            )
        return self.expense_accounts.fields()

    def invoice_item_id(self) -> str:
        """The `item_id` of every Books invoice line, or a ConfigError before anything is written."""
        if not self.time_item_id:
            raise ConfigError(
                "Books needs an item on every invoice line, and none is set",
                hint="set time_item_id in the profile (or BRIDGE_LIVE_TIME_ITEM_ID) to the id of a "
                "service item in Books (Items > New Item, type Service)",
            )
        return self.time_item_id

    def projects_for(self, credentials: Credentials, portal_id: str | None = None) -> ProjectsClient:
        return self.projects_factory(credentials, portal_id)

    def credentials_of(self, row: ConnectionRow) -> Credentials:
        key = self.secrets.get(connection_key_name(row.mode, row.id))
        if not key:
            raise NotConnected(
                f"the {row.mode} connection to portal {row.portal_id} has no stored key",
                hint=f"run `bpbridge {row.mode} credentials --email ... --key ...`",
            )
        return Credentials(email=row.email, zsc_key=key)

    def projects_of(self, row: ConnectionRow) -> ProjectsClient:
        """The Projects client of a stored connection (its portal, its user's key)."""
        return self.projects_for(self.credentials_of(row), row.portal_id)

    def remember_key(self, row: ConnectionRow, key: str) -> None:
        self.secrets.put(connection_key_name(row.mode, row.id), key)
