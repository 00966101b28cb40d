"""Where the services live: the vendor's data centres, or a sandbox root."""

from __future__ import annotations

from dataclasses import dataclass

DATA_CENTRES = ("com", "eu", "in", "com.au", "jp", "ca", "sa", "com.cn")


@dataclass(frozen=True)
class Endpoints:
    """Base URLs: Books API v3, Projects API v3, the accounts (token) server."""

    books: str
    projects: str
    accounts: str

    @classmethod
    def zoho(cls, dc: str = "com") -> Endpoints:
        if dc not in DATA_CENTRES:
            raise ValueError(f"unknown data centre {dc!r}; one of: {', '.join(DATA_CENTRES)}")
        return cls(
            books=f"https://www.zohoapis.{dc}/books/v3",
            projects=f"https://projectsapi.zoho.{dc}/api/v3",
            accounts=f"https://accounts.zoho.{dc}",
        )

    @classmethod
    def sandbox(cls, root: str = "http://sandbox") -> Endpoints:
        """The sandbox serves all three on one root (any root works in-process)."""
        root = root.rstrip("/")
        return cls(books=f"{root}/books/v3", projects=f"{root}/api/v3", accounts=root)
