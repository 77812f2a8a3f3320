import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

import microtorch


@pytest.fixture(autouse=True)
def _seeded():
    """Every test starts from the same random state, and with grad mode on."""
    np.random.seed(0)
    microtorch.manual_seed(0)
    microtorch.set_grad_enabled(True)
    yield


# Property tests (tests/test_properties.py): a bounded, reproducible run by default (CI), a long random
# run on request: MICROTORCH_HYPOTHESIS_PROFILE=long python -m pytest tests/test_properties.py
# (hypothesis' own option --hypothesis-profile=long works too).
settings.register_profile("ci", max_examples=200, deadline=None, derandomize=True, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("long", max_examples=5000, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("MICROTORCH_HYPOTHESIS_PROFILE", "ci"))
