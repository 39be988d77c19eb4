"""The claim step on the real broker and both databases: every reason code, and the code FSE's rotation
(the old code accepted during the grace period, refused after it)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from contracts import reasons
from contracts.claims import ClaimReceivedV1
from contracts.common import ActLine, CardColour, ClaimContent, Fund, Nomenclature, Profession
from contracts.rights import MemberFacts, Relationship
from runtime.messaging.consumer import Subscription
from runtime.messaging.uow import UnitOfWork
from services.eligibility.adapters.approvals import ApprovalRepository
from services.eligibility.domain.records import HouseholdRecord, MemberRecord
from services.eligibility.domain.rights import Period
from services.eligibility.service_layer.claims import on_claim_received
from services.eligibility.service_layer.loading import load_household
from tests.eligibility.conftest import consuming, emitted, publish, wrap
from tests.helpers import eventually

pytestmark = pytest.mark.broker

GRACE = timedelta(days=30)
ROTATED = datetime(2026, 3, 1, 12, tzinfo=UTC)
CARE = date(2026, 3, 2)


async def seed(uow: UnitOfWork) -> None:
    record = HouseholdRecord(Fund.CCSS, "140001", "OLD001", colours={2026: CardColour.VERTE})
    for rank, relationship, rights in (
        (0, Relationship.INSURED, Period(date(2020, 1, 1), None)),
        (1, Relationship.CHILD, Period(date(2020, 1, 1), date(2025, 12, 31))),
    ):
        facts = MemberFacts(
            rank=rank,
            last_name="PASTOR",
            first_name="Eva",
            birth_date=date(1980, 1, 1),
            relationship=relationship,
        )
        record.members[rank] = MemberRecord(facts, [rights], [Period(date(2026, 1, 1), None, "ALD")])
    async with uow() as unit:
        await load_household(unit.session, record, ROTATED - timedelta(days=300), GRACE)
        record.code_fse = "NEW001"
        await load_household(unit.session, record, ROTATED, GRACE)
        approvals = ApprovalRepository(unit.session)
        for reference, status in (("EP-G", "granted"), ("EP-P", "pending"), ("EP-R", "refused")):
            await approvals.add(
                reference=reference, fund="CCSS", matricule="140001", rank=0, nomenclature="NGAP",
                act_code="TO", status=status, requested_at=ROTATED, practitioner_id="P-1",
            )  # fmt: skip


def claim(n: int, received: datetime, code: str = "NEW001", **changes: object) -> ClaimReceivedV1:
    act = {"nomenclature": Nomenclature.NGAP, "code": "C", "date_of_care": CARE, "coefficient": 1}
    act.update(changes.pop("act", {}))  # type: ignore[call-overload]
    content = {
        "submission_id": f"sub-{n:06d}",
        "fund": Fund.CCSS,
        "matricule": "140001",
        "code_fse": code,
        "profession": Profession.MEDECIN,
        "acts": [ActLine.model_validate(act)],
        **changes,
    }
    return ClaimReceivedV1(
        reference=f"FSE-20260302-{n:010d}",
        received_at=received,
        practitioner_id="P-1",
        entered_by="P-1",
        digest="0" * 64,
        claim=ClaimContent.model_validate(content),
    )


SOON = ROTATED + timedelta(days=1)
LATE = ROTATED + GRACE + timedelta(minutes=1)
TO = {"code": "TO"}
CASES: list[tuple[ClaimReceivedV1, str | None]] = [
    (claim(1, SOON), None),
    (claim(2, SOON, beneficiary_rank=1), "RIGHTS_CLOSED"),
    (claim(3, SOON, matricule="149999"), "BENEFICIARY_UNKNOWN"),
    (claim(4, SOON, beneficiary_rank=5), "BENEFICIARY_UNKNOWN"),
    (claim(5, SOON, code="ZZZ999"), "CODE_FSE_INVALID"),
    (claim(6, SOON, code="OLD001"), None),
    (claim(7, LATE, code="OLD001"), "CODE_FSE_INVALID"),
    (claim(8, LATE), None),
    (claim(9, SOON, act=TO), "APPROVAL_MISSING"),
    (claim(10, SOON, act={**TO, "approval_reference": "EP-P"}), "APPROVAL_PENDING"),
    (claim(11, SOON, act={**TO, "approval_reference": "EP-R"}), "APPROVAL_REFUSED"),
    (claim(12, SOON, act={**TO, "approval_reference": "EP-G"}), None),
]


async def test_every_reason_code_of_the_claim_step(uow: UnitOfWork, topic: str, kafka_bootstrap: str) -> None:
    await seed(uow)
    subscription = Subscription(topic, f"g-{topic}", {ClaimReceivedV1: on_claim_received})
    async with consuming(kafka_bootstrap, subscription, uow):
        await publish(kafka_bootstrap, topic, [(e.reference, wrap(e, e.reference)) for e, _ in CASES])
        verdicts = await eventually(lambda: _all_checked(uow, len(CASES)))

    by_reference = {v["reference"]: v for v in verdicts}
    for event, expected in CASES:
        verdict = by_reference[event.reference]
        assert verdict.get("reason_code") == expected, event.reference
        assert verdict["eligible"] is (expected is None)
        if expected:
            assert verdict["reason"] == reasons.describe(expected)
    accepted = by_reference[CASES[0][0].reference]
    assert accepted["card_colour"] == "verte"
    assert accepted["etm"] is True
    assert accepted["hnp_allowed"] is True
    assert accepted["overrun_allowed"] is False
    assert accepted["claim"]["submission_id"] == "sub-000001"


async def _all_checked(uow: UnitOfWork, count: int) -> list[dict[str, Any]] | None:
    verdicts = await emitted(uow, "EligibilityChecked")
    return verdicts if len(verdicts) >= count else None
