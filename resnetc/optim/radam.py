"""RAdam (torch.optim.RAdam): Adam with a rectified adaptive learning rate."""
import numpy as np

from resnetc.optim.adam import _check_adam_args
from resnetc.optim.optimizer import KIND_RADAM, Optimizer, _check_flags, _scalar

__all__ = ["RAdam"]


class RAdam(Optimizer):
    r"""RAdam (Liu et al.), as torch.optim.RAdam.

        m <- m + (1 - beta1)(g - m);  v <- beta2 v + (1 - beta2) g^2
        rho_inf = 2 / (1 - beta2) - 1;  rho_t = rho_inf - 2 t beta2^t / (1 - beta2^t)
        rho_t > 5:  r = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
                    p <- p - lr m / (1 - beta1^t) * sqrt(1 - beta2^t) / (sqrt(v) + eps) * r
        otherwise:  p <- p - lr m / (1 - beta1^t)

    Weight decay is coupled (g <- g + wd p) or decoupled (p <- p (1 - lr wd)).
    """

    _kind = KIND_RADAM

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False):
        lr = _scalar(lr, "lr")
        _check_adam_args(lr, betas, eps, weight_decay)
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, maximize=maximize,
                        foreach=foreach, capturable=capturable, decoupled_weight_decay=decoupled_weight_decay,
                        differentiable=differentiable)
        _check_flags(defaults)
        super().__init__(params, defaults)

    def _init_state(self, p, state, group):
        state["step"] = 0.0
        state["exp_avg"] = np.zeros_like(p.array)
        state["exp_avg_sq"] = np.zeros_like(p.array)

    def _state_arrays(self, state, group):
        return (state["exp_avg"], state["exp_avg_sq"], None)

    def _coefs(self, p, state, group, cache):
        step = state["step"] = state["step"] + 1.0
        if step not in cache:
            beta1, beta2 = group["betas"]
            bias_correction1 = 1 - beta1**step
            bias_correction2 = 1 - beta2**step
            rho_inf = 2 / (1 - beta2) - 1
            rho_t = rho_inf - 2 * step * (beta2**step) / bias_correction2
            if rho_t > 5.0:
                rect = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
                cache[step] = (bias_correction1, bias_correction2**0.5, rect, 1.0)
            else:
                cache[step] = (bias_correction1, bias_correction2**0.5, 0.0, 0.0)
        return cache[step]

    def _kernel_hparams(self, group):
        beta1, beta2 = group["betas"]
        return dict(lr=group["lr"], weight_decay=group["weight_decay"],
                    decoupled_weight_decay=group["decoupled_weight_decay"], maximize=group["maximize"],
                    beta1=beta1, beta2=beta2, eps=group["eps"])
