"""The vendor's Books OpenAPI documents' known quirks: the ONE table of them.

`spec.correct()` corrects a document only where a quirk of this table says so, and records
each correction it makes under the quirk's key; `test_quirks.py` checks that the corrections
made are exactly the ones tabled here (each quirk in exactly its documents, nothing else), so
a correction cannot be added, or go stale, without this table changing. docs/CONTRACTS.md
(§5) names every key.

A quirk is a place where the document contradicts itself, SERVICES.md, or what the real
service answers. Everything else the documents say (the `item_id` every invoice line must
carry, for instance) is honoured, not corrected.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Quirk:
    key: str
    #: the documents where correcting it changes something (empty: examples only, below)
    files: frozenset[str]
    says: str  # what the document says
    truth: str  # what real answers carry, so what the correction makes it


def _q(key: str, files: str, says: str, truth: str) -> Quirk:
    return Quirk(key, frozenset(files.split()), says, truth)


QUIRKS: dict[str, Quirk] = {q.key: q for q in (
    # the first three are the violations the unmodified documents show against real answers
    _q("page_context_array",
       "estimates.yml expenses.yml invoices.yml projects.yml time-entries.yml",
       "`page_context` drawn as an array (of objects, or of strings), its `page`/`per_page` "
       "typed string in places",
       "an object {page, per_page, has_more_page, ...} with numbers and a boolean (SERVICES.md)"),
    _q("money_as_integer", "bills.yml tasks.yml",
       "money typed `integer`: bills' `total`/`balance`/`sub_total`/line `rate`, a task's `rate`",
       "amounts carry cents: `number`"),
    _q("money_as_string", "invoices.yml",
       "an invoice's `total`/`balance` typed `string`, while its own examples (10000.00, 40.6) "
       "and the estimates' and bills' totals are numbers",
       "numbers, as the examples show (corrected only where the example is a number: "
       "projects.yml's invoice list draws strings and exemplifies strings, and is left so)"),
    _q("duration_as_number", "tasks.yml users.yml",
       "durations (`log_time`, `billed_hours`, `un_billed_hours`, ...) typed `number`",
       "\"HH:MM\" strings, as their examples show"),
    _q("log_date_as_time", "time-entries.yml",
       "`log_date` described as \"HH:mm\"", "a date, yyyy-mm-dd"),
    _q("organizations_list_needs_org", "organizations.yml",
       "`GET /organizations` requires `organization_id`",
       "optional: that list is how a caller learns the id"),
    _q("project_users_cost_rate", "projects.yml",
       "adding project users requires a top-level `cost_rate` beside the `users` array",
       "a per-user field drawn one level up: not required"),
    # example-only quirks: spec.example() replaces these when composing documented examples
    _q("example_id_is_a_name", "",
       "example ids that are names (`project_id: \"Network Distribution\"`)", "a digit id"),
    _q("example_lone_space", "", "examples that are a lone space (\" \")", "no example"),
    _q("example_of_another_field", "",
       "examples of another field's value (a task rate \"INV-00003\", a date \"6:52 PM\")",
       "a value that fits (spec._WRONG_EXAMPLES)"),
)}

#: the quirks spec.correct() applies to schemas (the rest concern examples only)
SCHEMA_QUIRKS = frozenset(k for k, q in QUIRKS.items() if q.files)
