"""torch.cuda's queries and no-op housekeeping, for code that picks its device with them or
seeds and clears every device: resnetc has no GPU backend. As in torch without a GPU, seeding is
silently ignored (the CPU generator is resnetc.manual_seed's)."""


def is_available():
    return False


def device_count():
    return 0


def is_initialized():
    return False


def manual_seed(seed):
    pass


def manual_seed_all(seed):
    pass


def seed():
    pass


def seed_all():
    pass


def empty_cache():
    pass


def synchronize(device=None):
    pass


def current_device():
    raise RuntimeError("resnetc computes on the CPU only: there is no current CUDA device "
                       "(resnetc.cuda.is_available() is False)")
