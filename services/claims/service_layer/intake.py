"""Receiving an FSE, whichever entry point it came through: check, store, acknowledge at once with a
signed receipt. Every FSE records who entered it (the practitioner or an assistant) and for whom."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from contracts.claims import ClaimReceivedV1, ClaimSubmissionRefusedV1, ClaimSubmittedV1
from contracts.common import ClaimContent
from runtime.messaging.consumer import MessageRejectedError
from runtime.messaging.grouped import ReadAhead
from runtime.messaging.uow import Unit
from runtime.security import Actor, InvalidTokenError, Role, TokenVerifier
from services.claims.adapters.repository import ClaimRepository
from services.claims.domain.deadlines import MONACO, DeadlineError, check_deadline
from services.claims.domain.model import digest, new_reference
from services.claims.domain.receipts import Receipt, ReceiptSigner
from services.claims.service_layer.errors import RefusedError


class IntakeRefusedError(RefusedError):
    pass


@dataclass(frozen=True)
class SignedReceipt:
    receipt: Receipt
    signature: str


def acting_for(actor: Actor) -> str:
    if actor.role not in {Role.PRACTITIONER, Role.ASSISTANT} or not actor.practitioner_id:
        raise IntakeRefusedError("FORBIDDEN", "role: only a practitioner or an assistant transmits FSEs", 403)
    return actor.practitioner_id


async def receive_claim(
    unit: Unit, actor: Actor, content: ClaimContent, now: datetime, signer: ReceiptSigner
) -> SignedReceipt:
    """Store a new FSE and emit ClaimReceived; the same submission id gives back the same receipt."""
    practitioner_id = acting_for(actor)
    repository = ClaimRepository.of(unit)
    document = content.model_dump(mode="json")
    received_digest = digest(document)
    existing = await repository.by_submission(practitioner_id, content.submission_id)
    if existing is not None:
        if existing.digest != received_digest:
            raise IntakeRefusedError(
                "SUBMISSION_ID_REUSED", "submission_id: already used for a different FSE", 409
            )
        receipt = Receipt(
            existing.reference,
            existing.received_at,
            existing.digest,
            existing.submission_id,
            existing.practitioner_id,
            existing.entered_by,
        )
        return SignedReceipt(receipt, signer.sign(receipt))
    try:
        check_deadline(content, now)
    except DeadlineError as error:
        raise IntakeRefusedError(error.code, str(error)) from None
    receipt = Receipt(
        reference=new_reference(now.astimezone(MONACO)),
        received_at=now,
        digest=received_digest,
        submission_id=content.submission_id,
        practitioner_id=practitioner_id,
        entered_by=actor.user_id,
    )
    signed = SignedReceipt(receipt, signer.sign(receipt))
    await repository.add(receipt, content, document)
    unit.emit(
        ClaimReceivedV1(
            reference=receipt.reference,
            received_at=now,
            practitioner_id=practitioner_id,
            entered_by=actor.user_id,
            digest=receipt.digest,
            claim=content,
            signature=signed.signature,
        ),
        subject=receipt.reference,
    )
    return signed


def read_ahead(actor: Actor, content: ClaimContent) -> ReadAhead | None:
    """A transmission over HTTP: its earlier receipt, if any, read in one statement with those of the
    transmissions whose intake shares its transaction (runtime.messaging.grouped)."""
    if not actor.practitioner_id:
        return None
    return ReadAhead(_earlier_receipts, (actor.practitioner_id, content.submission_id))


async def _earlier_receipts(unit: Unit, wanted: list[tuple[str, str]]) -> None:
    await ClaimRepository.of(unit).prefetch_submissions(wanted)


async def prefetch_transmissions(
    unit: Unit, events: Sequence[ClaimSubmittedV1], verifier: TokenVerifier
) -> None:
    """The earlier receipts of a run of transmissions, read in one statement: a transmission sent
    again gets its first receipt back (`receive_claim`). A token that does not verify is left to
    `receive_transmission` to refuse."""
    wanted: list[tuple[str, str]] = []
    for event in events:
        try:
            practitioner_id = verifier.verify(event.access_token).practitioner_id
        except InvalidTokenError:
            continue
        if practitioner_id:
            wanted.append((practitioner_id, event.claim.submission_id))
    await ClaimRepository.of(unit).prefetch_submissions(wanted)


async def receive_transmission(
    unit: Unit, event: ClaimSubmittedV1, now: datetime, verifier: TokenVerifier, signer: ReceiptSigner
) -> None:
    """The Kafka entry point: a refusal dead-letters the message and publishes ClaimSubmissionRefused."""
    practitioner_id: str | None = None
    try:
        try:
            actor = verifier.verify(event.access_token)
        except InvalidTokenError:
            raise IntakeRefusedError("INVALID_TOKEN", "access_token: invalid or expired token", 401) from None
        practitioner_id = actor.practitioner_id
        await receive_claim(unit, actor, event.claim, now, signer)
    except IntakeRefusedError as error:
        notice = ClaimSubmissionRefusedV1(
            submission_id=event.claim.submission_id,
            practitioner_id=practitioner_id,
            refused_at=now,
            reason_code=error.code,
            field=error.field,
            reason=error.reason,
        )
        raise MessageRejectedError(
            f"{error.field}: {error.code}: {error.reason}", notice, event.claim.submission_id
        ) from None
