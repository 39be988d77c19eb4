"""The portal's endpoints: patient lookup and prior approvals (POST only: no identifiers in URLs), and
the operator's bulk import."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, cast

from fastapi import APIRouter, HTTPException, Request, Response, status
from pydantic import BaseModel, Field, StringConstraints

from contracts.common import CardColour, CodeFse, Fund, Matricule, Nomenclature
from runtime.http import declared
from runtime.security import Actor, Role, require
from runtime.service import RuntimeDep
from services.eligibility.service_layer.approvals import request_approval, status_for
from services.eligibility.service_layer.importing import import_text, kind_of
from services.eligibility.service_layer.lookup import Limits, look_up
from services.eligibility.settings import Settings

router = APIRouter(tags=["eligibility"])
Portal = Annotated[Actor, require(Role.PRACTITIONER, Role.ASSISTANT)]
Operator = Annotated[Actor, require(Role.OPERATOR)]
NOT_FOUND = "matricule, code_fse: no household matches this fund, matricule and code FSE"


class Identification(BaseModel):
    fund: Fund
    matricule: Matricule
    code_fse: Annotated[CodeFse, Field(repr=False)]


class MemberOut(BaseModel):
    rank: int
    last_name: str
    first_name: str
    birth_date: date
    age: int
    relationship: str
    rights_open: bool
    etm_scopes: list[str]


class ApprovalOut(BaseModel):
    reference: str
    rank: int
    nomenclature: str
    act_code: str
    status: str
    valid_until: date | None


class HouseholdOut(BaseModel):
    card_colour: CardColour | None
    hnp_allowed: bool
    overrun_allowed: bool
    members: list[MemberOut]
    open_approvals: list[ApprovalOut]


class ApprovalRequest(Identification):
    beneficiary_rank: Annotated[int, Field(ge=0, le=20)] = 0
    nomenclature: Nomenclature
    act_code: Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9_]{0,9}$")]
    note: Annotated[str, StringConstraints(max_length=500)] | None = None


class ApprovalCreated(BaseModel):
    reference: str
    status: str


class ImportOut(BaseModel):
    households: int
    members: int
    errors: list[dict[str, object]]


async def _identify(runtime: RuntimeDep, actor: Actor, who: Identification) -> HouseholdOut:
    settings = cast(Settings, runtime.settings)
    limits = Limits(settings.matricule_limit, settings.caller_limit)
    insured = (who.fund, who.matricule, who.code_fse)
    result = await look_up(runtime.uow, actor, insured, limits, datetime.now(UTC))
    if result.retry_after is not None:
        seconds = str(max(1, int(result.retry_after.total_seconds())))
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            "code_fse: too many failed attempts; try again later",
            headers={"Retry-After": seconds},
        )
    if result.view is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_FOUND)
    return HouseholdOut.model_validate(result.view, from_attributes=True)


@router.post("/lookup", response_model=HouseholdOut, responses=declared(404, 429))
async def lookup(who: Identification, actor: Portal, runtime: RuntimeDep, response: Response) -> HouseholdOut:
    """The household of a card (matricule + code FSE + fund): members with ages, card colour, ETM, HNP,
    open prior approvals. Failures are throttled per matricule and per caller; every lookup is audited."""
    response.headers["Cache-Control"] = "no-store"
    return await _identify(runtime, actor, who)


@router.post(
    "/approvals",
    status_code=status.HTTP_201_CREATED,
    response_model=ApprovalCreated,
    responses=declared(404, 429),
)
async def ask_approval(body: ApprovalRequest, actor: Portal, runtime: RuntimeDep) -> ApprovalCreated:
    """Ask the fund for a prior approval (entente préalable) for a beneficiary identified by the card."""
    household = await _identify(runtime, actor, body)
    if body.beneficiary_rank not in {m.rank for m in household.members}:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "beneficiary_rank: not in this household")
    async with runtime.uow() as unit:
        reference = await request_approval(
            unit,
            actor,
            (body.fund, body.matricule, body.beneficiary_rank),
            (body.nomenclature, body.act_code),
            body.note,
            datetime.now(UTC),
        )
    return ApprovalCreated(reference=reference, status="pending")


@router.post("/imports", response_model=ImportOut, responses=declared(422))
async def bulk_import(request: Request, actor: Operator, runtime: RuntimeDep) -> ImportOut:
    """The initial load (text/csv, application/x-ndjson or application/json): reports every bad row
    with its line and reason, loads the good ones."""
    try:
        kind = kind_of(request.headers.get("content-type", "").split(";")[0].strip())
        text = (await request.body()).decode("utf-8-sig")
        report = await import_text(runtime.uow, text, kind, cast(Settings, runtime.settings).code_fse_grace)
    except (ValueError, UnicodeDecodeError) as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(error).split("\n")[0][:200]) from None
    return ImportOut(
        households=report.households,
        members=report.members,
        errors=[{"line": e.line, "field": e.field, "reason": e.reason} for e in report.errors],
    )


class ApprovalQuery(BaseModel):
    reference: Annotated[str, StringConstraints(pattern=r"^[A-Z0-9-]{4,40}$")]


@router.post("/approvals/status", response_model=ApprovalOut, responses=declared(404))
async def approval_status(query: ApprovalQuery, actor: Portal, runtime: RuntimeDep) -> ApprovalOut:
    """The status of a prior approval this practitioner asked for."""
    async with runtime.sessions() as session:
        approval = await status_for(session, query.reference, actor)
    if approval is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "reference: no such approval for this practitioner")
    return ApprovalOut.model_validate(approval)
