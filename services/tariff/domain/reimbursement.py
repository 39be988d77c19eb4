"""Reimbursement rate of a line: the ETM rate, else a full-rate threshold of the fund (SPME heavy CCAM
acts), else the fund's rate for the kind of act. The rate applies to the base, never to an overrun."""

from __future__ import annotations

from decimal import Decimal

from contracts.common import Fund
from services.tariff.domain.acts import Resolved
from services.tariff.domain.rules import Rules


def rate_for(fund: Fund, line: Resolved, etm: bool, rules: Rules) -> Decimal:
    if etm:
        return rules.etm_rate
    kind = line.act.nomenclature
    for threshold in rules.thresholds:
        if (
            threshold.fund is fund
            and threshold.nomenclature is kind
            and line.amount >= threshold.minimum_tariff
            and not line.act.code.startswith(threshold.excluded_prefixes)
        ):
            return rules.etm_rate
    return rules.rates[(fund, kind)]
