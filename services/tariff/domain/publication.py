"""A new table version from a published amendment: the base version's rows, with rows added or
replaced and keys or codes withdrawn. The base version itself is never changed."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from contracts.common import Nomenclature as Kind
from services.tariff.domain.nomenclature import CcamAct, NgapKey, TableVersion


class AmendmentError(ValueError):
    """The amendment cannot apply (its message names the field)."""


def amended(
    base: TableVersion | None,
    version: str,
    kind: Kind,
    effective_from: date,
    source: str,
    ngap: Iterable[NgapKey] = (),
    ccam: Iterable[CcamAct] = (),
    withdrawn: Iterable[str] = (),
) -> TableVersion:
    if base is not None and base.kind is not kind:
        raise AmendmentError("based_on: a version of another nomenclature")
    if base is not None and effective_from <= base.effective_from:
        raise AmendmentError("effective_from: must follow the base version's effective date")
    gone = set(withdrawn)
    if kind is Kind.NGAP:
        keys = dict(base.ngap) if base else {}
        keys.update({k.key: k for k in ngap})
        return TableVersion.of_ngap(
            version, effective_from, source, (k for code, k in keys.items() if code not in gone)
        )
    acts = dict(base.ccam) if base else {}
    acts.update({(a.code, a.activity, a.phase): a for a in ccam})
    return TableVersion.of_ccam(
        version, effective_from, source, (a for a in acts.values() if a.code not in gone)
    )
