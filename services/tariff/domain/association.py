"""Several acts in one session (same date of care and session number).

NGAP (art. 11B): rank the acts by coefficient, the first at 100 %, the second at 50 %, the others at 0;
the dérogations listed in the rules are billed in full outside the ranking. CCAM: rank the main acts
(activity 1) by tariff, the first at 100 %, the second at 50 %, further ones per the rules; anesthesia
and other activities, and the chapters the rules exempt, stay at 100 %. The two nomenclatures are
ranked separately."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from contracts.common import Nomenclature
from services.tariff.domain.acts import Resolved
from services.tariff.domain.rules import Rules

FULL = Decimal("1.00")
Session = tuple[date, int, Nomenclature]


def association_rates(lines: Sequence[Resolved], rules: Rules) -> dict[int, Decimal]:
    sessions: dict[Session, list[Resolved]] = defaultdict(list)
    for line in lines:
        sessions[(line.act.date_of_care, line.act.session or 0, line.act.nomenclature)].append(line)
    rates: dict[int, Decimal] = {}
    for (_, _, kind), members in sessions.items():
        ranked = _ranked_ngap(members, rules) if kind is Nomenclature.NGAP else _ranked_ccam(members, rules)
        association = rules.ngap_association if kind is Nomenclature.NGAP else rules.ccam_association
        for line in members:
            rates[line.index] = FULL
        for rank, line in enumerate(ranked):
            rates[line.index] = association.rate(rank)
    return rates


def _ranked_ngap(members: list[Resolved], rules: Rules) -> list[Resolved]:
    codes = {line.act.code for line in members}
    exempt = {
        code
        for exception in rules.ngap_exceptions
        if not exception.when_with or exception.when_with & codes
        for code in exception.keys
    }
    candidates = [line for line in members if not line.majoration and line.act.code not in exempt]
    return sorted(candidates, key=lambda line: (-(line.act.coefficient or 0), -line.amount, line.index))


def _ranked_ccam(members: list[Resolved], rules: Rules) -> list[Resolved]:
    candidates = [
        line
        for line in members
        if (line.act.activity or 1) == 1 and not line.act.code.startswith(rules.ccam_full_rate_prefixes)
    ]
    return sorted(candidates, key=lambda line: (-line.amount, line.index))
