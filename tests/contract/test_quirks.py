"""The documents' quirks are corrected in ONE place: `quirks.py` tables them, `spec.correct()`
corrects exactly those (each in exactly its documents), and docs/CONTRACTS.md names them.

A new correction cannot slip in without the table changing, and a tabled quirk the vendor
fixes (or a correction that stops applying) fails here until it leaves the table.
"""

from __future__ import annotations

from . import spec
from .quirks import QUIRKS, SCHEMA_QUIRKS
from .spec import requires_documents

pytestmark = requires_documents
CONTRACTS = spec.REPO / "docs" / "CONTRACTS.md"


def _applied() -> dict[str, set[str]]:
    for path in sorted(spec.DOCS.glob("*.yml")):
        spec.document(path.name)  # cached: APPLIED fills on each document's first load
    return spec.APPLIED


def test_every_correction_is_a_tabled_quirk_in_exactly_its_documents() -> None:
    applied = _applied()
    assert set(applied) == SCHEMA_QUIRKS, (
        f"corrected but not tabled: {sorted(set(applied) - SCHEMA_QUIRKS)}; "
        f"tabled but never applied: {sorted(SCHEMA_QUIRKS - set(applied))}")
    for key in SCHEMA_QUIRKS:
        assert applied[key] == set(QUIRKS[key].files), (key, sorted(applied[key]))


def test_the_three_violations_of_the_unmodified_documents_are_tabled() -> None:
    """Issue 14: page_context, bill money as integers, a task's rate."""
    applied = _applied()
    assert "bills.yml" in applied["money_as_integer"] and "tasks.yml" in applied["money_as_integer"]
    assert applied["page_context_array"]
    raw_bill = spec.raw_document("bills.yml")["components"]["schemas"]["total"]
    assert raw_bill["type"] == "integer"  # the unmodified document, untouched by the correction


def test_an_invoice_line_item_id_is_required_as_documented() -> None:
    """No quirk lifts invoices.yml's required item_id any more: the toolkit sends one."""
    schema = spec.document("invoices.yml")["components"]["schemas"]["create-an-invoice-request"]
    assert "item_id" in schema["properties"]["line_items"]["items"]["required"]


def test_contracts_md_names_every_quirk() -> None:
    text = CONTRACTS.read_text()
    missing = [k for k in QUIRKS if f"`{k}`" not in text]
    assert not missing, f"docs/CONTRACTS.md §5 does not name: {missing}"
