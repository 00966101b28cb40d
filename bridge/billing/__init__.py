"""Billing, once for both modes (docs/BILLING.md).

- `eligibility`: the time rule and the reasons a record is left off (L5, E13);
- `lines`: what an invoice bills and leaves off, and the gate read when claiming (L8, E9);
- `claims`: the billed-once claims across processes (a task invoiced on one side can never
  be invoiced on the other).
"""
