import numpy as np
import pytest

import microtorch


@pytest.fixture(autouse=True)
def _seeded():
    """Every test starts from the same random state, and with grad mode on."""
    np.random.seed(0)
    microtorch.manual_seed(0)
    microtorch.set_grad_enabled(True)
    yield
