"""A started process's heap (`runtime.heap.freeze`): what it loaded is frozen, and what it creates
afterwards is collected in larger passes. Each case runs in a process of its own, as a service's does:
freezing the test process would keep its objects for good."""

from __future__ import annotations

import json
import subprocess
import sys

from runtime import heap

# Start-up's objects frozen, then a batch's worth of objects held at once, counting the collections
# that walked them; printed as JSON.
SCRIPT = """
import gc, json
from runtime import heap
frozen = heap.freeze()
passes = []
gc.callbacks.append(lambda phase, info: passes.append(info["generation"]) if phase == "stop" else None)
batch = [{"event": i, "lines": [i]} for i in range(10_000)]
gc.callbacks.clear()
print(json.dumps({"frozen": frozen, "thresholds": gc.get_threshold(), "passes": passes, "held": len(batch)}))
"""


def after_freeze() -> dict[str, object]:
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, check=True, text=True)
    figures: dict[str, object] = json.loads(done.stdout)
    return figures


def test_a_started_process_freezes_its_heap_and_collects_in_larger_passes() -> None:
    figures = after_freeze()
    frozen = figures["frozen"]
    assert isinstance(frozen, int)
    assert frozen > 1_000  # the interpreter's own, at least
    assert figures["thresholds"] == [heap.YOUNG_ALLOCATIONS, heap.OLDER_PASSES, heap.OLDER_PASSES]


def test_a_batch_held_at_once_is_not_walked_by_the_collector() -> None:
    """20,000 containers alive together: CPython's default would have collected the youngest
    generation about 28 times on the way, walking the batch each time."""
    figures = after_freeze()
    assert figures["held"] == 10_000
    assert figures["passes"] == []
