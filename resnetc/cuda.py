"""torch.cuda's queries, for code that picks its device with them: resnetc has no GPU backend."""


def is_available():
    return False


def device_count():
    return 0
