"""Planned maintenance: an operator schedules, changes or cancels a window; each step is published and
e-mailed to every active professional."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime

from contracts.notifications import MaintenanceCancelledV1, MaintenanceChangedV1, MaintenanceScheduledV1
from runtime.messaging.uow import Unit
from services.notifications.adapters.contacts import ContactRepository
from services.notifications.adapters.windows import WindowRepository
from services.notifications.domain.delivery import Channel
from services.notifications.domain.maintenance import (
    Window,
    WindowRefusedError,
    announcement,
    check_cancel,
    check_change,
    check_window,
)
from services.notifications.domain.notices import Notice
from services.notifications.service_layer.outgoing import record_notice


class WindowNotFoundError(LookupError):
    pass


async def _announce(unit: Unit, window: Window, version: int, kind: str) -> None:
    subject, body = announcement(window, kind)
    notice = Notice(
        key=f"maintenance:{window.window_id}:{version}",
        audience="professional",
        recipient="practitioners:active",
        subject=subject,
        body=body,
    )
    practitioners = await ContactRepository(unit.session).active_practitioners()
    channels = [(practitioner_id, Channel(email)) for practitioner_id, email in practitioners]
    await record_notice(unit, notice, channels or [("none", Channel(None, "aucun professionnel actif"))])


async def schedule(
    unit: Unit, by: str, starts_at: datetime, ends_at: datetime, reason: str, now: datetime
) -> Window:
    check_window(starts_at, ends_at, now)
    window = Window(str(uuid.uuid4()), starts_at, ends_at, reason)
    await WindowRepository(unit.session).add(window, by, now)
    unit.emit(
        MaintenanceScheduledV1(
            window_id=window.window_id,
            starts_at=starts_at,
            ends_at=ends_at,
            reason=reason,
            scheduled_by=by,
            scheduled_at=now,
        ),
        subject=window.window_id,
    )
    await _announce(unit, window, 1, "scheduled")
    return window


async def _load(repository: WindowRepository, window_id: str) -> tuple[Window, int]:
    found = await repository.get(window_id)
    if found is None:
        raise WindowNotFoundError(window_id)
    return found


async def change(
    unit: Unit, window_id: str, by: str, starts_at: datetime, ends_at: datetime, reason: str, now: datetime
) -> Window:
    repository = WindowRepository(unit.session)
    window, version = await _load(repository, window_id)
    check_change(window, starts_at, ends_at, now)
    changed = replace(window, starts_at=starts_at, ends_at=ends_at, reason=reason)
    if changed == window:
        raise WindowRefusedError("body", "nothing changes")
    await repository.save(changed, version + 1, by, now)
    unit.emit(
        MaintenanceChangedV1(
            window_id=window_id,
            starts_at=starts_at,
            ends_at=ends_at,
            reason=reason,
            changed_by=by,
            changed_at=now,
        ),
        subject=window_id,
    )
    await _announce(unit, changed, version + 1, "changed")
    return changed


async def cancel(unit: Unit, window_id: str, by: str, now: datetime) -> Window:
    repository = WindowRepository(unit.session)
    window, version = await _load(repository, window_id)
    check_cancel(window, now)
    cancelled = replace(window, cancelled=True)
    await repository.save(cancelled, version + 1, by, now)
    unit.emit(
        MaintenanceCancelledV1(window_id=window_id, cancelled_by=by, cancelled_at=now), subject=window_id
    )
    await _announce(unit, cancelled, version + 1, "cancelled")
    return cancelled
