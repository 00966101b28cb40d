"""The service sandbox: Books (`/books/v3`), Projects (`/api/v3`), the accounts server
(`/oauth/v2/token`) and control endpoints (`/_sandbox`), in one WSGI app over one SQLite file.

    sandbox = Sandbox("world.db", clock=FakeClock())
    sandbox.seed(scenario)
    http = httpx.Client(transport=sandbox.transport(), base_url="http://sandbox")

The seeded OAuth client mints tokens with SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET and
SANDBOX_REFRESH_TOKEN (the Books user's); each Projects user's own refresh token is
`projects_refresh_token(email)`. Projects takes OAuth only, as API v3 does. Every seeded
Books organization has the expense accounts SANDBOX_EXPENSE_ACCOUNT_ID (booked to) and
SANDBOX_PAID_THROUGH_ACCOUNT_ID (paid from), which Books requires on each expense, and the
service item SANDBOX_TIME_ITEM_ID, which invoices.yml requires on each invoice line.
"""

from sandbox.accounts import CLIENT_ID as SANDBOX_CLIENT_ID
from sandbox.accounts import CLIENT_SECRET as SANDBOX_CLIENT_SECRET
from sandbox.accounts import REFRESH_TOKEN as SANDBOX_REFRESH_TOKEN
from sandbox.accounts import projects_refresh_token
from sandbox.books.seed import EXPENSE_ACCOUNT_ID as SANDBOX_EXPENSE_ACCOUNT_ID
from sandbox.books.seed import PAID_THROUGH_ACCOUNT_ID as SANDBOX_PAID_THROUGH_ACCOUNT_ID
from sandbox.books.seed import TIME_ITEM_ID as SANDBOX_TIME_ITEM_ID
from sandbox.core import Sandbox
from sandbox.server import ServerHandle

__all__ = [
    "SANDBOX_CLIENT_ID",
    "SANDBOX_CLIENT_SECRET",
    "SANDBOX_EXPENSE_ACCOUNT_ID",
    "SANDBOX_PAID_THROUGH_ACCOUNT_ID",
    "SANDBOX_REFRESH_TOKEN",
    "SANDBOX_TIME_ITEM_ID",
    "Sandbox",
    "ServerHandle",
    "projects_refresh_token",
]
