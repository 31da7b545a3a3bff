"""Allocation-failure injection, CI form: the runner's quick mode must find
no crash, no hang and no damaged state (see alloc_failure.py)."""
import io
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

import alloc_failure  # noqa: E402
import soak_knob  # noqa: E402

pytestmark = pytest.mark.skipif(
    not alloc_failure.have_nomemory(),
    reason="_testcapi.set_nomemory is not available in this Python build")


SHARDS = 4


# Four shards of the case list, so pytest-xdist spreads them over workers.
@pytest.mark.slow
@pytest.mark.parametrize("shard", range(SHARDS))
def test_quick_injection_finds_no_crash_hang_or_damage(shard):
    out = io.StringIO()
    # scripts/test.sh runs the full quick form on one CPython and a lighter
    # stride (ANETHUM_ALLOC_PER_MODE injections per case and mode) on the rest.
    per_mode = int(os.environ.get("ANETHUM_ALLOC_PER_MODE", "0")) or None
    index, count = soak_knob.share()
    report = alloc_failure.run(quick=True, max_per_mode=per_mode, out=out,
                               shard=(index * SHARDS + shard, count * SHARDS))
    summary = out.getvalue()
    print(summary)
    total = report.total
    assert total.tried > (250 if per_mode is None else 5 * per_mode) // count, summary
    assert (total.crashes, total.hangs, total.damaged, total.leaks, total.wrong) == (0, 0, 0, 0, 0), summary
    assert report.errors == 0, summary
    assert not report.out_of_time, summary
