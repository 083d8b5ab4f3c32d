"""Where random transforms draw their numbers: a per-thread NumPy Generator.

torchvision draws from torch's global RNG, so results depend on which worker ran which sample.
Here each random transform calls :func:`rng`, which returns the generator installed for the
current thread by :func:`set_sample_rng` (or the :func:`sample_rng` context manager). The
DataLoader installs, before transforming sample ``index`` of epoch ``epoch``,
``make_sample_rng(seed, epoch, index)`` -- a Philox generator keyed by those three numbers --
so a sample's augmentation depends only on (seed, epoch, index), never on thread scheduling.

Outside a DataLoader (no generator installed), :func:`rng` falls back to a per-thread generator
seeded from :func:`manual_seed` (default: fresh OS entropy).
"""
import contextlib
import threading

import numpy as np

_local = threading.local()
_fallback_seed = {"seed": None, "generation": 0}
_lock = threading.Lock()


def make_sample_rng(seed, epoch, index):
    """A generator determined by (seed, epoch, index) alone (counter-based: Philox keyed by a
    SeedSequence of the three numbers)."""
    return np.random.Generator(np.random.Philox(np.random.SeedSequence([int(seed) & (2**64 - 1), int(epoch), int(index)])))


def set_sample_rng(generator):
    """Installs `generator` (a numpy.random.Generator, or None to remove it) for this thread;
    returns the previous one."""
    if generator is not None and not isinstance(generator, np.random.Generator):
        raise TypeError(f"generator must be a numpy.random.Generator or None, got {type(generator).__name__}")
    previous = getattr(_local, "generator", None)
    _local.generator = generator
    return previous


@contextlib.contextmanager
def sample_rng(generator):
    """``with sample_rng(g): transform(img)`` -- draws of transforms inside come from g."""
    previous = set_sample_rng(generator)
    try:
        yield generator
    finally:
        set_sample_rng(previous)


def manual_seed(seed):
    """Seeds the fallback generators used when no per-sample generator is installed."""
    with _lock:
        _fallback_seed["seed"] = seed
        _fallback_seed["generation"] += 1


def rng():
    """The generator random transforms draw from in this thread."""
    generator = getattr(_local, "generator", None)
    if generator is not None:
        return generator
    generation = _fallback_seed["generation"]
    if getattr(_local, "fallback_generation", -1) != generation:
        seed = _fallback_seed["seed"]
        _local.fallback = np.random.default_rng(seed)
        _local.fallback_generation = generation
    return _local.fallback
