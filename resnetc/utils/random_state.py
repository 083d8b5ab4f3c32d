"""Per-sample random generators for data augmentation (counter-based, per thread).

The contract between the DataLoader and random transforms:

- A random transform draws ALL its randomness from :func:`current_sample_generator()`, a
  ``numpy.random.Generator``. It never keeps a generator of its own and never touches a global RNG.
- Outside any :func:`sample_generator` context, ``current_sample_generator()`` returns a
  process-wide default generator (seeded by :func:`manual_seed_samples`, else from OS entropy),
  so ``transform(img)`` called by hand still works.
- The DataLoader wraps the loading of each sample in ``with sample_generator((seed, epoch, k)):``
  (in its lazy form, which opens the stream only when asked for) where ``k`` is the sample's
  position in that epoch's sampling order. The generator is
  ``Generator(Philox(key=seed, counter=[0, 0, k, epoch]))``: Philox is a counter-based bit
  generator, so each (seed, epoch, k) is an independent stream that costs ~20 us to open, and a
  sample's randomness does not depend on which worker thread loads it or when. Hence the same
  seed gives the same batches whatever ``num_workers`` is.
- The context is thread-local: each DataLoader worker thread has its own current generator.
"""
import contextlib
import threading

import numpy as np

_MASK64 = (1 << 64) - 1
_local = threading.local()
_default = {"generator": np.random.default_rng()}


def philox_generator(seed, epoch=0, index=0, stream=0):
    """``Generator(Philox)`` for the stream (seed, epoch, index): ``seed`` is the 128-bit key
    (taken mod 2**128, so negative seeds work), ``[0, stream, index, epoch]`` the starting counter.

    Draws advance the lowest counter word, so streams that differ in index, epoch or stream never
    overlap (each could draw 2**64 blocks before reaching the next stream word).
    """
    seed, epoch, index, stream = (int(v) for v in (seed, epoch, index, stream))
    seed %= 1 << 128
    for name, value in (("epoch", epoch), ("index", index), ("stream", stream)):
        if not 0 <= value <= _MASK64:
            raise ValueError(f"{name} must be in [0, 2**64), got {value}")
    key = [seed & _MASK64, seed >> 64]
    return np.random.Generator(np.random.Philox(key=key, counter=[0, stream, index, epoch]))


def current_sample_generator():
    """The generator random transforms draw from: the innermost :func:`sample_generator` of this
    thread, else the process-wide default generator."""
    stack = getattr(_local, "stack", None)
    if stack:
        top = stack[-1]
        if type(top) is tuple:  # pushed by lazy_sample_generator: open the stream on first use
            top = stack[-1] = philox_generator(*top)
        return top
    return _default["generator"]


@contextlib.contextmanager
def sample_generator(seed):
    """Makes a generator current for this thread for the duration of the ``with`` block.

    ``seed`` is a ``numpy.random.Generator`` (used as is), or a tuple ``(seed, epoch, index)``
    (or ``(seed, epoch, index, stream)``) passed to :func:`philox_generator`, or an int
    (``(seed, 0, 0)``). Yields the generator. Contexts nest.
    """
    if isinstance(seed, np.random.Generator):
        generator = seed
    elif isinstance(seed, (tuple, list)):
        if not 1 <= len(seed) <= 4:
            raise ValueError(f"sample_generator expects (seed, epoch, index[, stream]), got {seed!r}")
        generator = philox_generator(*seed)
    elif isinstance(seed, (int, np.integer)):
        generator = philox_generator(seed)
    else:
        raise TypeError("sample_generator expects a numpy Generator, an int or a (seed, epoch, index) "
                        f"tuple, got {type(seed).__name__}")
    stack = getattr(_local, "stack", None)
    if stack is None:
        stack = _local.stack = []
    stack.append(generator)
    try:
        yield generator
    finally:
        stack.pop()


@contextlib.contextmanager
def lazy_sample_generator(seed, epoch, index, stream=0):
    """Like ``sample_generator((seed, epoch, index, stream))`` but opens the Philox stream only if
    something asks for it (the DataLoader uses this: samples without randomness cost nothing).
    Yields nothing."""
    stack = getattr(_local, "stack", None)
    if stack is None:
        stack = _local.stack = []
    stack.append((seed, epoch, index, stream))
    try:
        yield
    finally:
        stack.pop()


def manual_seed_samples(seed):
    """Reseeds the process-wide default generator (the one used outside a DataLoader)."""
    _default["generator"] = np.random.default_rng(seed)
    return _default["generator"]
