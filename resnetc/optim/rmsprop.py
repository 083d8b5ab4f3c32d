"""RMSprop (torch.optim.RMSprop): alpha, eps, weight decay, momentum, centered, maximize."""
import numpy as np

from resnetc.optim.optimizer import KIND_RMSPROP, Optimizer, _check_flags, _scalar

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    r"""RMSprop (Hinton), as torch.optim.RMSprop.

        g <- g + wd p
        s <- alpha s + (1 - alpha) g^2
        centered: a <- a + (1 - alpha)(g - a);  d <- sqrt(s - a^2) + eps,  else d <- sqrt(s) + eps
        momentum > 0: b <- momentum b + g / d;  p <- p - lr b,  else p <- p - lr g / d

    eps is added outside the square root, as in torch (TensorFlow puts it inside).
    State: step, square_avg, momentum_buffer (momentum > 0), grad_avg (centered).
    """

    _kind = KIND_RMSPROP

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        lr = _scalar(lr, "lr")
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if eps < 0.0:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if alpha < 0.0:
            raise ValueError(f"Invalid alpha value: {alpha}")
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, capturable=capturable, foreach=foreach, maximize=maximize,
                        differentiable=differentiable)
        _check_flags(defaults)
        super().__init__(params, defaults)

    def _init_state(self, p, state, group):
        state["step"] = 0.0
        state["square_avg"] = np.zeros_like(p.array)
        if group["momentum"] > 0:
            state["momentum_buffer"] = np.zeros_like(p.array)
        if group["centered"]:
            state["grad_avg"] = np.zeros_like(p.array)

    def _state_arrays(self, state, group):
        return (state["square_avg"], state.get("momentum_buffer") if group["momentum"] > 0 else None,
                state.get("grad_avg") if group["centered"] else None)

    def _coefs(self, p, state, group, cache):
        state["step"] = state["step"] + 1.0
        return (0.0, 0.0, 0.0, 0.0)

    def _kernel_hparams(self, group):
        return dict(lr=group["lr"], weight_decay=group["weight_decay"], maximize=group["maximize"],
                    beta2=group["alpha"], eps=group["eps"], momentum=group["momentum"], centered=group["centered"])
