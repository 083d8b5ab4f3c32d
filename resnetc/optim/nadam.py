"""NAdam (torch.optim.NAdam): Adam with Nesterov momentum and a momentum-decay schedule."""
import numpy as np

from resnetc.optim.adam import _check_adam_args
from resnetc.optim.optimizer import KIND_NADAM, Optimizer, _check_flags, _scalar

__all__ = ["NAdam"]


class NAdam(Optimizer):
    r"""NAdam (Dozat), as torch.optim.NAdam.

        mu_t = beta1 (1 - 0.5 * 0.96^(t psi)),  psi = momentum_decay;  P_t = prod_{i<=t} mu_i
        (weight decay: coupled g <- g + wd p, or decoupled p <- p (1 - lr wd))
        m <- m + (1 - beta1)(g - m);  v <- beta2 v + (1 - beta2) g^2
        d = sqrt(v / (1 - beta2^t)) + eps
        p <- p - lr (1 - mu_t) / (1 - P_t) g / d - lr mu_{t+1} / (1 - P_t mu_{t+1}) m / d

    P_t (state "mu_product") is kept in float32, as torch keeps it in a float32 tensor.
    """

    _kind = KIND_NADAM

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False):
        lr = _scalar(lr, "lr")
        _check_adam_args(lr, betas, eps, weight_decay)
        if momentum_decay < 0.0:
            raise ValueError(f"Invalid momentum_decay value: {momentum_decay}")
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        momentum_decay=momentum_decay, decoupled_weight_decay=decoupled_weight_decay,
                        maximize=maximize, foreach=foreach, capturable=capturable, differentiable=differentiable)
        _check_flags(defaults)
        super().__init__(params, defaults)

    def _init_state(self, p, state, group):
        state["step"] = 0.0
        state["mu_product"] = 1.0
        state["exp_avg"] = np.zeros_like(p.array)
        state["exp_avg_sq"] = np.zeros_like(p.array)

    def _state_arrays(self, state, group):
        return (state["exp_avg"], state["exp_avg_sq"], None)

    def _coefs(self, p, state, group, cache):
        step = state["step"] = state["step"] + 1.0
        beta1, beta2 = group["betas"]
        lr, psi = group["lr"], group["momentum_decay"]
        bias_correction2 = 1 - beta2**step
        mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * psi)))
        mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * psi)))
        mu_product = float(np.float32(state["mu_product"]) * np.float32(mu))
        state["mu_product"] = mu_product
        mu_product_next = mu_product * mu_next
        return (bias_correction2, -lr * (1.0 - mu) / (1.0 - mu_product),
                (-lr * mu_next) / (1.0 - mu_product_next), 0.0)

    def _kernel_hparams(self, group):
        beta1, beta2 = group["betas"]
        return dict(lr=group["lr"], weight_decay=group["weight_decay"],
                    decoupled_weight_decay=group["decoupled_weight_decay"], maximize=group["maximize"],
                    beta1=beta1, beta2=beta2, eps=group["eps"])
