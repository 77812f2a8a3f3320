"""microtorch.cuda: what a script asks before choosing a device. There is no GPU support, so
`is_available()` is False; seeding calls are accepted and do nothing, as in torch without CUDA."""

__all__ = ["is_available", "device_count", "manual_seed", "manual_seed_all"]


def is_available():
    """False: microtorch runs on the CPU only."""
    return False


def device_count():
    """0: there are no GPUs for microtorch."""
    return 0


def manual_seed(seed):
    """Accepted and ignored (there is no CUDA generator), as torch does without CUDA."""


manual_seed_all = manual_seed
