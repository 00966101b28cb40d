"""What the M4 invariants need of one side's transactions, gathered from the rows verify's
comparison reads (no second read)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from operator import itemgetter

from migrate.expected import Row, without_keys
from migrate.kinds import BY_NAME

#: a transaction row's group (kind, project, customer, currency) and amount (its key is 2 columns)
_GROUP = itemgetter(0, *(2 + BY_NAME["transactions"].compared.index(f)
                         for f in ("project_id", "customer_id", "currency")))
_AMOUNT = itemgetter(2 + BY_NAME["transactions"].compared.index("total"))


#: an id's hash is 128 bits; a set's sum of them wraps at this
_MODULUS = 1 << 128


def _id_hash(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=16).digest(), "big")


@dataclass
class IdSum:
    """A multiset of ids in constant memory: how many, and the sum of their 128-bit hashes.
    `a + b == c` holds exactly when a and b together are c, bar a collision of the sums (odds
    about 1 in 2**128 for ids not crafted to collide), so "every invoice exactly once" is
    checked without holding a million ids; the record comparison names any invoice itself."""

    count: int = 0
    total: int = 0

    @classmethod
    def of(cls, ids: Iterable[str]) -> IdSum:
        out = cls()
        out.add(ids)
        return out

    def add(self, ids: Iterable[str]) -> None:
        hashes = list(map(_id_hash, ids))
        self.count += len(hashes)
        self.total = (self.total + sum(hashes)) % _MODULUS

    def __add__(self, other: IdSum) -> IdSum:
        return IdSum(self.count + other.count, (self.total + other.total) % _MODULUS)


@dataclass
class Ledger:
    """Totals per kind, project, customer and currency, summed in Decimal (never in SQL),
    and the invoice ids (as an IdSum). `skip`: keys not in the totals (the legacy records
    the run left out), sorted."""

    skip: list[tuple[str, ...]] = field(default_factory=list)
    totals: dict[tuple[str, ...], Decimal] = field(default_factory=dict)
    invoices: IdSum = field(default_factory=IdSum)

    @classmethod
    def pair(cls, left_out: set[str]) -> tuple[Ledger, Ledger]:
        """The legacy side's (without what the run left out) and the target side's."""
        return cls(skip=sorted(tuple(k.split("/", 1)) for k in left_out)), cls()

    def add(self, rows: list[Row]) -> None:
        """A batch: its amounts gathered by group, then each group's summed in one go (in C)."""
        self.invoices.add([row[1] for row in rows if row[0] == "invoice"])
        kept = without_keys(rows, 2, self.skip)
        amounts: dict[tuple[str, ...], list[str]] = {}
        for group, amount in zip(map(_GROUP, kept), map(_AMOUNT, kept), strict=True):
            amounts.setdefault(group, []).append(amount)
        for group, members in amounts.items():
            self.totals[group] = sum(map(Decimal, members), self.totals.get(group, Decimal()))

    def merge(self, other: Ledger) -> None:
        """Take in the ledger of the rows another lane read (of keys after this one's)."""
        self.invoices += other.invoices
        for group, total in other.totals.items():
            self.totals[group] = self.totals.get(group, Decimal()) + total

    def sums(self) -> dict[str, str]:
        """Totals by "kind|project|customer|currency" (a missing customer as "-")."""
        out: dict[str, Decimal] = {}
        for (kind, project, customer, currency), total in self.totals.items():
            name = f"{kind}|{project}|{customer or '-'}|{currency}"
            out[name] = out.get(name, Decimal()) + total
        return {k: str(v) for k, v in sorted(out.items())}
