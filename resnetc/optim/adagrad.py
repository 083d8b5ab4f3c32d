"""Adagrad (torch.optim.Adagrad): lr_decay, weight decay, initial accumulator, eps, maximize."""
import numpy as np

from resnetc.optim.optimizer import KIND_ADAGRAD, Optimizer, _check_flags, _scalar

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    r"""Adagrad (Duchi et al.), as torch.optim.Adagrad.

        g <- g + wd p
        clr = lr / (1 + (t - 1) lr_decay)
        s <- s + g^2
        p <- p - clr g / (sqrt(s) + eps)

    State (created for every parameter at construction, as torch does): step, sum
    (initialised to initial_accumulator_value).
    """

    _kind = KIND_ADAGRAD

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
                 foreach=None, *, maximize=False, differentiable=False, fused=None):
        lr = _scalar(lr, "lr")
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if lr_decay < 0.0:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if initial_accumulator_value < 0.0:
            raise ValueError(f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        if eps < 0.0:
            raise ValueError(f"Invalid epsilon value: {eps}")
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, foreach=foreach, maximize=maximize,
                        differentiable=differentiable, fused=fused)
        _check_flags(defaults)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p, self.state[p], group)

    def _init_state(self, p, state, group):
        state["step"] = 0.0
        state["sum"] = np.full_like(p.array, group["initial_accumulator_value"])

    def _state_arrays(self, state, group):
        return (state["sum"], None, None)

    def _coefs(self, p, state, group, cache):
        step = state["step"] = state["step"] + 1.0
        return (group["lr"] / (1 + (step - 1) * group["lr_decay"]), 0.0, 0.0, 0.0)

    def _kernel_hparams(self, group):
        return dict(lr=group["lr"], weight_decay=group["weight_decay"], maximize=group["maximize"], eps=group["eps"])
