from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from services.eligibility.domain.throttle import Counter, Limit, first_failure

LIMIT = Limit(5, timedelta(minutes=15), timedelta(minutes=15))
T0 = datetime(2026, 3, 1, tzinfo=UTC)


def test_the_fifth_failure_in_the_window_locks_for_the_lockout() -> None:
    counter = first_failure(T0, LIMIT)
    for n in range(1, 5):
        assert not counter.blocked(T0 + timedelta(seconds=n))
        counter = counter.after_failure(T0 + timedelta(seconds=n), LIMIT)
    assert counter.blocked(T0 + timedelta(minutes=15))
    assert not counter.blocked(T0 + timedelta(minutes=15, seconds=4))


def test_failures_outside_the_window_start_a_new_count() -> None:
    counter = Counter(4, T0).after_failure(T0 + timedelta(minutes=16), LIMIT)
    assert counter == Counter(1, T0 + timedelta(minutes=16))


@given(st.lists(st.integers(min_value=0, max_value=120), min_size=1, max_size=200))
def test_no_more_than_the_limit_of_failures_fit_in_a_window_unblocked(gaps: list[int]) -> None:
    """Whatever the rhythm of the guesses, at most `failures` are let through per window + lockout."""
    now, counter, let_through = T0, None, []
    for gap in gaps:
        now += timedelta(seconds=gap)
        if counter and counter.blocked(now):
            continue
        let_through.append(now)
        counter = counter.after_failure(now, LIMIT) if counter else first_failure(now, LIMIT)
    for i, start in enumerate(let_through):
        inside = [t for t in let_through[i:] if t - start < LIMIT.window]
        assert len(inside) <= LIMIT.failures


@given(
    st.integers(min_value=0, max_value=10),
    st.integers(min_value=0, max_value=24 * 60),
    st.one_of(st.none(), st.integers(min_value=0, max_value=24 * 60)),
)
def test_a_spent_counter_counts_as_none_so_the_retention_may_delete_it(
    failures: int, minutes_past_its_window: int, lock_ended_minutes_ago: int | None
) -> None:
    """Spent (the retention's condition): its window is over and no lock of it runs."""
    now = T0 + timedelta(days=2)
    window_start = now - LIMIT.window - timedelta(minutes=minutes_past_its_window)
    lock = None if lock_ended_minutes_ago is None else now - timedelta(minutes=lock_ended_minutes_ago)
    spent = Counter(failures, window_start, lock)

    assert not spent.blocked(now)
    assert spent.after_failure(now, LIMIT) == first_failure(now, LIMIT)
