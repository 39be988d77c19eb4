"""A long-running process's heap once it has started: what it loaded is kept out of the garbage
collector's passes, and what it creates afterwards is collected in larger, rarer passes.

A service holds 145,000 to 200,000 objects once started (its libraries, schemas, the tariff's
nomenclatures), and none of them ever becomes garbage. CPython's full collection walks every one of
them: under load each took 100-180 ms (docs/benchmarks.md), a pause of the whole event loop during
which every receipt and event in flight waited. Frozen after start-up, they are left out of every
collection (full collections then took under 10 ms).

What a service creates afterwards lives for a batch: a consumer's batch of a few hundred events holds
its envelopes, payloads and statements' parameters until it commits, and nearly all of it is freed by
reference counting, never by the collector. CPython's default collects the youngest generation every
700 allocations, so each pass found most of a batch still alive, moved it to an older generation, and
walked it again there: 8-9 % of the claims process's CPU as fast as possible, 5-7 % of eligibility's and
tariff's, spent in collections that freed almost nothing (docs/benchmarks.md, 2026-12-07 14:22). Once
started, a process collects every `YOUNG_ALLOCATIONS` allocations instead, and the older generations
as rarely (`OLDER_PASSES`): in the same run claims then spent about 1 %, eligibility and tariff ran
one pass or none. A pass then takes 20-25 ms, as long as one of the 25 full passes it replaces took
with thousands of claims waiting (30-50 ms), and there were 4 passes in that run instead of 3,400; the
garbage it frees (the few reference cycles) waits for it, a few megabytes at most."""

from __future__ import annotations

import gc

#: Allocations (less deallocations) between two collections of the youngest generation.
YOUNG_ALLOCATIONS = 50_000
#: Collections of each generation between two of the next older one.
OLDER_PASSES = 20


def freeze() -> int:
    """Collect what start-up left as garbage, move every surviving object to the permanent generation
    and collect what comes after in larger passes; returns how many objects were frozen."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_ALLOCATIONS, OLDER_PASSES, OLDER_PASSES)
    return gc.get_freeze_count()
