"""Issue 14: hosts per data centre as the vendor documents them, and the one scope table."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml  # type: ignore[import-untyped]

from bridge.clients import Endpoints
from bridge.clients.endpoints import DATA_CENTRES
from bridge.clients.scopes import COMMAND_SCOPES, all_scopes, markdown, missing, parse_granted
from bridge.profile import Profile

from ..contract.spec import DOCS, requires_documents

README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.mark.parametrize(("dc", "accounts", "books", "projects"), [
    ("us", "accounts.zoho.com", "www.zohoapis.com", "projectsapi.zoho.com"),
    ("eu", "accounts.zoho.eu", "www.zohoapis.eu", "projectsapi.zoho.eu"),
    ("in", "accounts.zoho.in", "www.zohoapis.in", "projectsapi.zoho.in"),
    ("au", "accounts.zoho.com.au", "www.zohoapis.com.au", "projectsapi.zoho.com.au"),
    ("jp", "accounts.zoho.jp", "www.zohoapis.jp", "projectsapi.zoho.jp"),
    ("ca", "accounts.zohocloud.ca", "www.zohoapis.ca", "projectsapi.zohocloud.ca"),
    ("sa", "accounts.zoho.sa", "www.zohoapis.sa", "projectsapi.zoho.sa"),
    ("uk", "accounts.zoho.uk", "www.zohoapis.uk", "projectsapi.zoho.uk"),
    ("cn", "accounts.zoho.com.cn", "www.zohoapis.com.cn", "projectsapi.zoho.com.cn"),
])
def test_each_data_centre_has_its_documented_hosts(dc: str, accounts: str, books: str, projects: str) -> None:
    ep = Endpoints.zoho(dc)
    assert ep.accounts == f"https://{accounts}"
    assert ep.books == f"https://{books}/books/v3"
    assert ep.projects == f"https://{projects}/api/v3"  # the host per data centre, then the v3 root


def test_the_old_profile_values_keep_working() -> None:
    assert Endpoints.zoho("com") == Endpoints.zoho("us") == Endpoints.zoho()
    assert Endpoints.zoho("com.au") == Endpoints.zoho("au")
    assert Endpoints.zoho("com.cn") == Endpoints.zoho("cn")
    assert Endpoints.zoho("ca").accounts == "https://accounts.zohocloud.ca"
    assert Profile(data_centre="com").endpoints() == Profile(data_centre="us").endpoints()
    assert set(DATA_CENTRES) == {"us", "eu", "in", "au", "jp", "ca", "sa", "uk", "cn"}
    with pytest.raises(ValueError, match="one of: us, eu"):
        Endpoints.zoho("mars")


def test_the_readme_lists_the_scope_table() -> None:
    assert markdown() in README.read_text(), (
        "README's scope table differs from bridge/clients/scopes.py: paste markdown() into it")


def test_scopes_are_well_formed_and_every_command_needs_the_organization() -> None:
    for command, scopes in COMMAND_SCOPES.items():
        assert scopes, command
        for scope in scopes:
            assert re.fullmatch(r"Zoho(Books|Projects)\.[a-z_]+\.(READ|CREATE|UPDATE|DELETE)", scope)
    assert "ZohoBooks.invoices.CREATE" in COMMAND_SCOPES["enhanced invoice create"]
    assert "ZohoBooks.invoices.CREATE" in COMMAND_SCOPES["legacy invoice create"]


def test_granted_scopes_parse_and_cover() -> None:
    assert parse_granted(None) is None and parse_granted("") is None
    assert parse_granted("ZohoBooks.invoices.READ,ZohoBooks.invoices.CREATE  x") == {
        "ZohoBooks.invoices.READ", "ZohoBooks.invoices.CREATE", "x"}
    assert missing(["ZohoBooks.invoices.CREATE"], ["ZohoBooks.invoices.ALL"]) == []
    assert missing(["ZohoBooks.invoices.CREATE"], ["ZohoBooks.fullaccess.all"]) == []
    assert missing(["ZohoProjects.tasks.READ"], ["ZohoBooks.fullaccess.all"]) == ["ZohoProjects.tasks.READ"]


@requires_documents
def test_every_books_scope_is_one_the_vendor_documents_name() -> None:
    documented: set[str] = set()
    for path in DOCS.glob("*.yml"):
        for item in yaml.safe_load(path.read_text())["paths"].values():
            for op in item.values():
                for sec in (op.get("security") or []) if isinstance(op, dict) else []:
                    for names in sec.values():
                        documented.update(names)
    books = {s for s in all_scopes() if s.startswith("ZohoBooks.")}
    assert books <= documented, sorted(books - documented)
