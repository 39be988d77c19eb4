"""Demo contacts for the embedded default, so that `make run` e-mails its notices (to the mail sink under
var/mail). Dated in the past: any real InsuredContactChanged or PractitionerActivated event wins."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from contracts.common import Fund
from contracts.rights import InsuredContactChangedV1
from runtime.service import Runtime
from services.notifications.adapters.contacts import ContactRepository
from services.notifications.adapters.orm import insured_contacts

SEEDED_AT = datetime(2020, 1, 1, tzinfo=UTC)
# (fund, matricule, e-mail, notify by e-mail, complementary insurer's e-mail, forward statements)
INSURED = [
    (Fund.CCSS, "100001", "louise.martin@example.org", True, "decomptes@mutuelle.example.org", True),
    (Fund.CCSS, "100002", "marco.rossi@example.org", False, None, False),
    (Fund.CAMTI, "200001", "claire.dubois@example.org", True, None, False),
    (Fund.CCSS, "100003", "jean.bernard@example.org", True, None, False),
]
PRACTITIONERS = [
    ("prt-martin", "dr.martin@example.org"),
    ("prt-rossi", "dr.rossi@example.org"),
    ("prt-dubois", "ide.dubois@example.org"),
]


async def seed(runtime: Runtime) -> None:
    if not runtime.settings.demo:
        return
    async with runtime.uow() as unit:
        if (await unit.session.execute(select(func.count()).select_from(insured_contacts))).scalar_one():
            return
        contacts = ContactRepository(unit.session)
        for fund, matricule, email, notify, insurer, forward in INSURED:
            await contacts.save_insured(
                InsuredContactChangedV1(
                    fund=fund,
                    matricule=matricule,
                    email=email,
                    notify_by_email=notify,
                    complementary_insurer_email=insurer,
                    forward_statements_to_insurer=forward,
                    changed_at=SEEDED_AT,
                )
            )
        for practitioner_id, email in PRACTITIONERS:
            await contacts.save_practitioner(practitioner_id, True, SEEDED_AT, email=email)
