"""Weight averaging with torch.optim.swa_utils' names: AveragedModel (SWA or EMA), the averaging
functions, update_bn, and SWALR.

An AveragedModel holds a deep copy of the model and, at each ``update_parameters(model)``,
moves its copy towards the model's current weights: the running mean (SWA, default) or an
exponential moving average (``multi_avg_fn=get_ema_multi_avg_fn(decay)``). Evaluate with the
averaged copy: ``ema(x)`` calls the copy's forward. With ``use_buffers=True`` buffers (BatchNorm
running statistics) are averaged too; otherwise they are copied from the model.
"""
import itertools
import math
from copy import deepcopy

import numpy as np

from resnetc.nn.module import Module
from resnetc.optim.lr_scheduler import LRScheduler
from resnetc.tensor import Tensor, no_grad

__all__ = ["AveragedModel", "update_bn", "SWALR", "get_ema_multi_avg_fn", "get_swa_multi_avg_fn",
           "get_ema_avg_fn", "get_swa_avg_fn"]


def _lerp_(self, end, weight):
    """self <- lerp(self, end, weight) in place, torch's formula, float32 weight."""
    w = np.float32(weight)
    if w < 0.5:
        self += w * (end - self)
    else:
        np.subtract(end, (end - self) * (np.float32(1.0) - w), out=self)


def _is_float(array):
    return np.issubdtype(array.dtype, np.floating)


def get_ema_multi_avg_fn(decay=0.999):
    """ema <- decay ema + (1 - decay) current, over lists of ndarrays, in place."""

    def ema_update(ema_param_list, current_param_list, _num_averaged):
        for ema, current in zip(ema_param_list, current_param_list):
            if _is_float(ema):
                _lerp_(ema, current, 1 - decay)
            else:
                ema[...] = ema * decay + current * (1 - decay)

    return ema_update


def get_swa_multi_avg_fn():
    """avg <- avg + (current - avg) / (n + 1), the running mean, over lists of ndarrays."""

    def swa_update(averaged_param_list, current_param_list, num_averaged):
        n = int(np.asarray(num_averaged.array if isinstance(num_averaged, Tensor) else num_averaged))
        for averaged, current in zip(averaged_param_list, current_param_list):
            if _is_float(averaged):
                _lerp_(averaged, current, 1.0 / (n + 1))
            else:
                averaged[...] = averaged + (current - averaged) / (n + 1)

    return swa_update


def get_ema_avg_fn(decay=0.999):
    """Per-tensor form: returns the new average of one ndarray."""

    def ema_update(ema_param, current_param, num_averaged):
        return decay * ema_param + (1 - decay) * current_param

    return ema_update


def get_swa_avg_fn():
    def swa_update(averaged_param, current_param, num_averaged):
        n = int(np.asarray(num_averaged.array if isinstance(num_averaged, Tensor) else num_averaged))
        return averaged_param + (current_param - averaged_param) / (n + 1)

    return swa_update


def _arrays(tensors):
    return [t.array for t in tensors]


class AveragedModel(Module):
    """A copy of `model` whose weights are the average of the model's weights over updates.

    Args:
        model: the model to average (deep-copied).
        device: accepted for torch compatibility; must be None or "cpu".
        avg_fn: fn(averaged, current, num_averaged) -> new averaged, one ndarray at a time.
        multi_avg_fn: fn(averaged_list, current_list, num_averaged) updating in place; wins over
            avg_fn. Neither given: the running mean (SWA).
        use_buffers: average the buffers too (else copy them from the model at each update).
    """

    def __init__(self, model, device=None, avg_fn=None, multi_avg_fn=None, use_buffers=False):
        super().__init__()
        if device not in (None, "cpu"):
            raise ValueError(f"resnetc runs on the CPU only, got device={device!r}")
        self.module = deepcopy(model)
        self.register_buffer("n_averaged", Tensor(np.array(0, np.int64)))
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = use_buffers

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)

    def _averaged(self, module):
        tensors = itertools.chain(module.parameters(), module.buffers()) if self.use_buffers else module.parameters()
        return list(tensors)

    def update_parameters(self, model):
        """Folds model's current weights into the average (the first call copies them)."""
        mine = self._averaged(self.module)
        theirs = self._averaged(model)
        if len(mine) != len(theirs):
            raise ValueError(f"model has {len(theirs)} tensors to average, the averaged copy has {len(mine)}")
        n = int(self.n_averaged.array)
        if n == 0:
            for a, b in zip(mine, theirs):
                a.array[...] = b.array
        elif self.multi_avg_fn is not None or self.avg_fn is None:
            fn = self.multi_avg_fn or get_swa_multi_avg_fn()
            fn(_arrays(mine), _arrays(theirs), self.n_averaged)
        else:
            for a, b in zip(mine, theirs):
                a.array[...] = self.avg_fn(a.array, b.array, self.n_averaged)
        if not self.use_buffers:
            for a, b in zip(self.module.buffers(), model.buffers()):
                a.array[...] = b.array
        self.n_averaged.array[...] = n + 1


def update_bn(loader, model, device=None):
    """Recomputes BatchNorm running statistics with one pass over `loader` (cumulative average).

    Each batch is an input or a (input, ...) tuple/list whose first item is the input.
    """
    momenta = {}
    for module in model.modules():
        if hasattr(module, "running_mean") and hasattr(module, "reset_running_stats") and \
                module.running_mean is not None:
            module.reset_running_stats()
            momenta[module] = module.momentum
    if not momenta:
        return
    was_training = model.training
    model.train()
    for module in momenta:
        module.momentum = None
    with no_grad():
        for batch in loader:
            if isinstance(batch, (list, tuple)):
                batch = batch[0]
            model(batch)
    for module, momentum in momenta.items():
        module.momentum = momentum
    model.train(was_training)


class SWALR(LRScheduler):
    """Anneals each group's lr to swa_lr over anneal_epochs ('cos' or 'linear'), then holds it."""

    def __init__(self, optimizer, swa_lr, anneal_epochs=10, anneal_strategy="cos", last_epoch=-1):
        swa_lrs = swa_lr if isinstance(swa_lr, (list, tuple)) else [swa_lr] * len(optimizer.param_groups)
        if len(swa_lrs) != len(optimizer.param_groups):
            raise ValueError(f"swa_lr must have the same length as optimizer.param_groups: swa_lr has "
                             f"{len(swa_lrs)}, optimizer.param_groups has {len(optimizer.param_groups)}")
        for lr, group in zip(swa_lrs, optimizer.param_groups):
            group["swa_lr"] = lr
        if anneal_strategy not in ["cos", "linear"]:
            raise ValueError(f"anneal_strategy must by one of 'cos' or 'linear', instead got {anneal_strategy}")
        self.anneal_func = self._cosine_anneal if anneal_strategy == "cos" else self._linear_anneal
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"anneal_epochs must be equal or greater than 0, got {anneal_epochs}")
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _linear_anneal(t):
        return t

    @staticmethod
    def _cosine_anneal(t):
        return (1 - math.cos(math.pi * t)) / 2

    @staticmethod
    def _get_initial_lr(lr, swa_lr, alpha):
        if alpha == 1:
            return swa_lr
        return (lr - alpha * swa_lr) / (1 - alpha)

    def get_lr(self):
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        prev_t = max(0, min(1, (step - 1) / max(1, self.anneal_epochs)))
        prev_alpha = self.anneal_func(prev_t)
        prev_lrs = [self._get_initial_lr(group["lr"], group["swa_lr"], prev_alpha)
                    for group in self.optimizer.param_groups]
        t = max(0, min(1, step / max(1, self.anneal_epochs)))
        alpha = self.anneal_func(t)
        return [group["swa_lr"] * alpha + lr * (1 - alpha) for group, lr in zip(self.optimizer.param_groups, prev_lrs)]

    def state_dict(self):
        state = super().state_dict()
        state.pop("anneal_func", None)
        state["_anneal_cos"] = self.anneal_func == self._cosine_anneal
        return state

    def load_state_dict(self, state_dict):
        state_dict = dict(state_dict)
        cos = state_dict.pop("_anneal_cos", True)
        super().load_state_dict(state_dict)
        self.anneal_func = self._cosine_anneal if cos else self._linear_anneal
