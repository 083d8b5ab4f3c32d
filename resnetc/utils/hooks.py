"""torch.utils.hooks.RemovableHandle: what the register_*hook methods of tensors, modules and
optimizers return."""
import itertools

_ids = itertools.count()


class RemovableHandle:
    """Unregisters its hook with ``remove()`` (or on leaving a ``with`` block)."""

    def __init__(self, hooks_dict):
        self.hooks_dict, self.id = hooks_dict, next(_ids)

    def remove(self):
        self.hooks_dict.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def add_hook(hooks_dict, hook):
    """Registers ``hook`` in ``hooks_dict`` (kept in registration order); returns its handle."""
    handle = RemovableHandle(hooks_dict)
    hooks_dict[handle.id] = hook
    return handle
