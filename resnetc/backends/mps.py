"""torch.backends.mps (Apple GPUs): not available."""


def is_available():
    return False


def is_built():
    return False
