"""torch.cuda.amp's deprecated spellings: ``autocast(...)`` is ``resnetc.amp.autocast("cuda", ...)``
and ``GradScaler(...)`` is ``resnetc.amp.GradScaler("cuda", ...)``; without a GPU both disable
themselves (with torch's warning), so scripts written for CUDA mixed precision run in float32."""
from resnetc.amp import GradScaler as _GradScaler
from resnetc.amp import autocast as _autocast


def autocast(enabled=True, dtype=None, cache_enabled=True):
    return _autocast("cuda", dtype=dtype, enabled=enabled, cache_enabled=cache_enabled)


def GradScaler(init_scale=2.0 ** 16, growth_factor=2.0, backoff_factor=0.5, growth_interval=2000,
               enabled=True):
    return _GradScaler("cuda", init_scale, growth_factor, backoff_factor, growth_interval, enabled)
