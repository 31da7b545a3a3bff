import os
import sys

import pytest
from hypothesis import HealthCheck, settings

sys.path.insert(0, os.path.dirname(__file__))

from helpers import PROTOCOLS  # noqa: E402
from by_value_support.roundtrip import PROTOCOLS as BY_VALUE_PROTOCOLS  # noqa: E402

settings.register_profile(
    "ci", derandomize=True, max_examples=150, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None)
# The debug-CPython run (scripts/debug_python.sh) looks for C-API misuse,
# which a few dozen examples per property reach; byte identity itself gets
# the "ci" count on every release CPython.
settings.register_profile(
    "ci-debug", derandomize=True, max_examples=40, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None)
settings.register_profile(
    "dev", max_examples=500, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: takes more than a few seconds")


@pytest.fixture(params=PROTOCOLS, ids=lambda p: "p%d" % p)
def proto(request):
    return request.param


@pytest.fixture(params=BY_VALUE_PROTOCOLS, ids=lambda p: "p%d" % p)
def protocol(request):
    """The protocols by-value pickles are tested with (2 and up)."""
    return request.param
