"""Where the services live: the vendor's data centres, or a sandbox root.

One table, DATA_CENTRES: per data centre the accounts (token) server, the Books API root and
the Projects API host, each tagged with how sure the vendor's record makes it
(../shared/reference/SERVICES.md "Books", PROJECTS-V3.md §1):

- accounts servers: [doc] for every row (Zoho's multi-DC page, A1), China's from SERVICES.md
  ("accounts.zoho.<dc>");
- Books roots `www.zohoapis.<dc>/books/v3`: [doc] for com, eu, in, com.au, jp, ca, sa, com.cn;
  the UK's `www.zohoapis.uk` is [inferred] (the Books page lists no UK host; the accounts
  server is documented, and every other DC's API host follows its accounts domain);
- Projects hosts `projectsapi.zoho.<dc>`: [2nd] public v3 clients for com, eu, in, com.au, jp;
  CA `projectsapi.zohocloud.ca` and SA `projectsapi.zoho.sa` [2nd, unattributed code], UK and
  CN [inferred] from the old REST doc's "use the matching domain". Our pick for CA is
  zohocloud.ca, matching its documented accounts server (Canada moved to zohocloud.ca).

The Projects host carries no path: the Projects client appends its API's (`/api/v3`).
Profiles name a DC by key (us, eu, in, au, jp, ca, sa, uk, cn); the domain suffixes older
profiles used (com, com.au, com.cn, ...) keep working.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DataCentre:
    key: str
    accounts: str
    books: str
    projects: str


def _dc(key: str, accounts: str, apis: str, projects: str) -> DataCentre:
    return DataCentre(key, f"https://{accounts}", f"https://{apis}/books/v3", f"https://{projects}")


DATA_CENTRES: dict[str, DataCentre] = {dc.key: dc for dc in (
    _dc("us", "accounts.zoho.com", "www.zohoapis.com", "projectsapi.zoho.com"),
    _dc("eu", "accounts.zoho.eu", "www.zohoapis.eu", "projectsapi.zoho.eu"),
    _dc("in", "accounts.zoho.in", "www.zohoapis.in", "projectsapi.zoho.in"),
    _dc("au", "accounts.zoho.com.au", "www.zohoapis.com.au", "projectsapi.zoho.com.au"),
    _dc("jp", "accounts.zoho.jp", "www.zohoapis.jp", "projectsapi.zoho.jp"),
    _dc("ca", "accounts.zohocloud.ca", "www.zohoapis.ca", "projectsapi.zohocloud.ca"),
    _dc("sa", "accounts.zoho.sa", "www.zohoapis.sa", "projectsapi.zoho.sa"),
    _dc("uk", "accounts.zoho.uk", "www.zohoapis.uk", "projectsapi.zoho.uk"),
    _dc("cn", "accounts.zoho.com.cn", "www.zohoapis.com.cn", "projectsapi.zoho.com.cn"),
)}

#: the domain suffixes profiles named before the keys (a profile's "com" still means the US)
LEGACY_NAMES = {"com": "us", "com.au": "au", "com.cn": "cn"}


def data_centre(name: str) -> DataCentre:
    """A DC by key ("eu") or by an older profile's domain suffix ("com.au")."""
    key = name.strip().lower()
    key = LEGACY_NAMES.get(key, key)
    if key not in DATA_CENTRES:
        raise ValueError(f"unknown data centre {name!r}; one of: {', '.join(DATA_CENTRES)}")
    return DATA_CENTRES[key]


@dataclass(frozen=True)
class Endpoints:
    """Base URLs: Books API v3, Projects API v3, the accounts (token) server."""

    books: str
    projects: str
    accounts: str

    @classmethod
    def zoho(cls, dc: str = "us") -> Endpoints:
        found = data_centre(dc)
        # the data centre names the host; the v3 root is the client's (PROJECTS-V3.md §1)
        return cls(books=found.books, projects=f"{found.projects}/api/v3", accounts=found.accounts)

    @classmethod
    def sandbox(cls, root: str = "http://sandbox") -> Endpoints:
        """The sandbox serves all three on one root (any root works in-process)."""
        root = root.rstrip("/")
        return cls(books=f"{root}/books/v3", projects=f"{root}/api/v3", accounts=root)
