"""SGD with momentum, dampening, Nesterov, weight decay and maximize (torch.optim.SGD)."""
import numpy as np

from resnetc.optim.optimizer import KIND_SGD, Optimizer, _check_flags, _scalar

__all__ = ["SGD"]


class SGD(Optimizer):
    r"""Stochastic gradient descent, as torch.optim.SGD.

    For each parameter p with gradient g (negated when ``maximize``):

        g <- g + weight_decay * p
        b <- g on the first step, else momentum * b + (1 - dampening) * g   (when momentum != 0)
        g <- g + momentum * b if nesterov else b
        p <- p - lr * g

    This is the Sutskever et al. form used by torch (lr multiplies the update, not the
    velocity). ``foreach``/``fused`` are accepted for compatibility; the update is always one
    fused C pass.
    """

    _kind = KIND_SGD

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
                 maximize=False, foreach=None, differentiable=False, fused=None):
        lr = _scalar(lr, "lr")
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize, foreach=foreach, differentiable=differentiable,
                        fused=fused)
        _check_flags(defaults)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)

    def _init_state(self, p, state, group):
        if group["momentum"] != 0:
            state["momentum_buffer"] = None  # the first step sets it to the gradient

    def _state_arrays(self, state, group):
        return (state.get("momentum_buffer") if group["momentum"] != 0 else None, None, None)

    def _coefs(self, p, state, group, cache):
        if group["momentum"] == 0:
            return (0.0, 0.0, 0.0, 0.0)
        if state.get("momentum_buffer") is None:
            state["momentum_buffer"] = np.empty_like(p.array)
            return (1.0, 0.0, 0.0, 0.0)  # new buffer: the kernel copies the gradient into it
        return (0.0, 0.0, 0.0, 0.0)

    def _kernel_hparams(self, group):
        return dict(lr=group["lr"], weight_decay=group["weight_decay"], momentum=group["momentum"],
                    dampening=group["dampening"], nesterov=group["nesterov"], maximize=group["maximize"])
