"""Adam and AdamW (torch.optim.Adam / AdamW): betas, eps, weight decay, amsgrad, maximize."""
import numpy as np

from resnetc.optim.optimizer import KIND_ADAM, Optimizer, _check_flags, _scalar

__all__ = ["Adam", "AdamW"]


def _check_adam_args(lr, betas, eps, weight_decay):
    if lr < 0.0:
        raise ValueError(f"Invalid learning rate: {lr}")
    if eps < 0.0:
        raise ValueError(f"Invalid epsilon value: {eps}")
    if not 0.0 <= betas[0] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
    if not 0.0 <= betas[1] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
    if weight_decay < 0.0:
        raise ValueError(f"Invalid weight_decay value: {weight_decay}")


class Adam(Optimizer):
    r"""Adam (Kingma & Ba), as torch.optim.Adam.

    With t the parameter's step count, g its gradient (negated when ``maximize``):

        p <- p (1 - lr wd)                      if decoupled_weight_decay (AdamW), else
        g <- g + wd p
        m <- m + (1 - beta1) (g - m)            (torch's lerp)
        v <- beta2 v + (1 - beta2) g^2
        vmax <- max(vmax, v); use vmax for v    (amsgrad)
        p <- p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)

    eps is added after the bias correction of v, as torch does (the paper's "epsilon hat" form).
    State per parameter: step (a float), exp_avg, exp_avg_sq, max_exp_avg_sq (amsgrad).
    """

    _kind = KIND_ADAM

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
                 foreach=None, maximize=False, capturable=False, differentiable=False, fused=None,
                 decoupled_weight_decay=False):
        lr = _scalar(lr, "lr")
        betas = tuple(_scalar(b, f"betas[{i}]") for i, b in enumerate(betas))
        _check_adam_args(lr, betas, eps, weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                        maximize=maximize, foreach=foreach, capturable=capturable, differentiable=differentiable,
                        fused=fused, decoupled_weight_decay=decoupled_weight_decay)
        _check_flags(defaults)
        super().__init__(params, defaults)

    def _init_state(self, p, state, group):
        state["step"] = 0.0
        state["exp_avg"] = np.zeros_like(p.array)
        state["exp_avg_sq"] = np.zeros_like(p.array)
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = np.zeros_like(p.array)

    def _state_arrays(self, state, group):
        if group["amsgrad"] and "max_exp_avg_sq" not in state:
            state["max_exp_avg_sq"] = np.zeros_like(state["exp_avg"])  # amsgrad switched on later
        return (state["exp_avg"], state["exp_avg_sq"], state.get("max_exp_avg_sq") if group["amsgrad"] else None)

    def _coefs(self, p, state, group, cache):
        step = state["step"] = state["step"] + 1.0
        key = step
        if key not in cache:
            beta1, beta2 = group["betas"]
            bias_correction1 = 1 - beta1**step
            bias_correction2 = 1 - beta2**step
            cache[key] = (group["lr"] / bias_correction1, bias_correction2**0.5, 0.0, 0.0)
        return cache[key]

    def _kernel_hparams(self, group):
        beta1, beta2 = group["betas"]
        return dict(lr=group["lr"], weight_decay=group["weight_decay"],
                    decoupled_weight_decay=group["decoupled_weight_decay"], maximize=group["maximize"],
                    beta1=beta1, beta2=beta2, eps=group["eps"], amsgrad=group["amsgrad"])


class AdamW(Adam):
    r"""Adam with decoupled weight decay (Loshchilov & Hutter), as torch.optim.AdamW:
    p <- p (1 - lr weight_decay) before the Adam update, instead of adding wd p to the gradient.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *,
                 maximize=False, foreach=None, capturable=False, differentiable=False, fused=None):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                         foreach=foreach, maximize=maximize, capturable=capturable, differentiable=differentiable,
                         fused=fused, decoupled_weight_decay=True)
