"""The pure rules: notice texts without medical detail, the 48-hour notice, service hours, retries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts.claims import Notify
from contracts.payments import Payee
from contracts.reasons import REASONS
from services.notifications.domain.delivery import (
    InsuredContact,
    RetryPolicy,
    insured_channel,
    insurer_channel,
    message_id,
)
from services.notifications.domain.maintenance import (
    Window,
    WindowRefusedError,
    announcement,
    check_change,
    check_window,
    open_now,
)
from services.notifications.domain.notices import rejection_notice
from services.notifications.domain.statements import statement_notices
from tests.notifications import events

NOW = datetime(2026, 7, 1, 10, 0, tzinfo=UTC)
MEDICAL = ["HBQK002", "YYYY010", "AMI 4.5", "diabète", "carcinome", "K 25", "ALD 30"]


@given(
    code=st.sampled_from([*REASONS, "SOMETHING_NEW"]),
    notify=st.sampled_from(list(Notify)),
    detail=st.sampled_from(MEDICAL),
    noise=st.text(max_size=40),
)
def test_a_rejection_notice_never_carries_the_free_text_of_the_reason(
    code: str, notify: Notify, detail: str, noise: str
) -> None:
    event = events.rejected("100001", notify, reason_code=code, reason=f"Acte {detail} refusé {noise}")

    notice = rejection_notice(event)

    assert detail not in notice.body
    assert detail not in notice.subject
    assert "Motif : " in notice.body
    assert "Que faire ? " in notice.body


def test_a_statement_names_references_and_amounts_only() -> None:
    event = events.paid("PAY-9", Payee.INSURED, (events.reference(), "100001", "24.00"))

    ((matricule, notice),) = statement_notices(event)

    assert matricule == "100001"
    assert notice.key == "statement:PAY-9"
    assert not any(detail in notice.body for detail in MEDICAL)
    assert (
        statement_notices(events.paid("PAY-8", Payee.PROFESSIONAL, (events.reference(), "100000", "1"))) == []
    )


@pytest.mark.parametrize(("hours", "refused"), [(47, True), (47.99, True), (48, False), (49, False)])
def test_maintenance_is_announced_at_least_48_hours_ahead(hours: float, refused: bool) -> None:
    starts = NOW + timedelta(hours=hours)
    if refused:
        with pytest.raises(WindowRefusedError, match="starts_at: maintenance must be announced at least 48"):
            check_window(starts, starts + timedelta(hours=1), NOW)
    else:
        check_window(starts, starts + timedelta(hours=1), NOW)


def test_windows_need_aware_times_and_an_end_after_the_start() -> None:
    with pytest.raises(WindowRefusedError, match="starts_at: a time zone is required"):
        check_window(datetime(2026, 7, 5, 10), datetime(2026, 7, 5, 12, tzinfo=UTC), NOW)
    with pytest.raises(WindowRefusedError, match="ends_at: must be after starts_at"):
        check_window(NOW + timedelta(days=3), NOW + timedelta(days=3), NOW)


def test_a_running_window_may_be_extended_but_not_moved_to_short_notice() -> None:
    running = Window("w", NOW - timedelta(hours=1), NOW + timedelta(hours=1), "")
    assert running.current(NOW)
    assert not running.planned(NOW)
    check_change(running, running.starts_at, NOW + timedelta(hours=3), NOW)
    with pytest.raises(WindowRefusedError, match="starts_at"):
        check_change(running, NOW + timedelta(hours=2), NOW + timedelta(hours=3), NOW)
    with pytest.raises(WindowRefusedError, match="window_id: the window is cancelled"):
        check_change(Window("w", NOW, NOW + timedelta(hours=1), "", cancelled=True), NOW, NOW, NOW)


def test_service_hours_are_7_30_to_22_00_monaco_time_in_summer_and_winter() -> None:
    assert open_now(datetime(2026, 7, 1, 5, 30, tzinfo=UTC))  # 07:30 in Monaco (UTC+2)
    assert not open_now(datetime(2026, 7, 1, 5, 29, tzinfo=UTC))
    assert not open_now(datetime(2026, 7, 1, 20, 0, tzinfo=UTC))  # 22:00
    assert open_now(datetime(2026, 1, 15, 20, 59, tzinfo=UTC))  # 21:59 in Monaco (UTC+1)
    assert not open_now(datetime(2026, 1, 15, 6, 29, tzinfo=UTC))


def test_the_announcement_shows_monaco_local_time() -> None:
    window = Window("w", datetime(2026, 7, 4, 20, 0, tzinfo=UTC), datetime(2026, 7, 4, 22, 0, tzinfo=UTC), "")
    subject, body = announcement(window, "scheduled")
    assert subject == "Maintenance programmée du service FSE"
    assert "du 04/07/2026 à 22:00 au 05/07/2026 à 00:00 (heure de Monaco)" in body


def test_retries_back_off_exponentially_up_to_a_cap_then_stop() -> None:
    policy = RetryPolicy(base_seconds=30, max_seconds=3600, max_attempts=10)
    delays = [(policy.next_attempt(n, NOW) or NOW) - NOW for n in range(1, 10)]
    assert [d.total_seconds() for d in delays[:5]] == [30, 60, 120, 240, 480]
    assert max(delays) == timedelta(hours=1)
    assert policy.next_attempt(10, NOW) is None


def test_preferences_decide_who_gets_an_email() -> None:
    chose = InsuredContact("a@example.org", True, "m@example.org", True)
    declined = InsuredContact("a@example.org", False, "m@example.org", False)
    assert insured_channel(chose).address == "a@example.org"
    assert insurer_channel(chose).address == "m@example.org"
    assert insured_channel(declined).address is None
    assert insurer_channel(declined).address is None
    assert insured_channel(None).refusal


def test_the_message_id_is_stable_per_delivery() -> None:
    assert message_id("rejection:X:to", "d.mc") == message_id("rejection:X:to", "d.mc")
    assert message_id("rejection:X:to", "d.mc") != message_id("rejection:Y:to", "d.mc")
