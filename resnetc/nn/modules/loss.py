from resnetc.nn import functional as F
from resnetc.nn.module import Module
from resnetc.tensor import Tensor

_REDUCTIONS = ("none", "mean", "sum")


class _WeightedLoss(Module):
    def __init__(self, weight=None, reduction="mean"):
        super().__init__()
        if reduction not in _REDUCTIONS:
            raise ValueError(f"{reduction} is not a valid value for reduction; expected one of {_REDUCTIONS}")
        self.register_buffer("weight", None if weight is None else Tensor(weight))
        self.reduction = reduction


class CrossEntropyLoss(_WeightedLoss):
    """Softmax cross-entropy over (N, C) logits and class-index targets."""

    def __init__(self, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
        super().__init__(weight, reduction)
        if not 0.0 <= label_smoothing <= 1.0:
            raise ValueError(f"label_smoothing must be between 0.0 and 1.0, got {label_smoothing}")
        self.ignore_index, self.label_smoothing = ignore_index, label_smoothing

    def forward(self, input, target):
        return F.cross_entropy(input, target, weight=self.weight, ignore_index=self.ignore_index,
                               reduction=self.reduction, label_smoothing=self.label_smoothing)


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood over (N, C) log-probabilities and class-index targets."""

    def __init__(self, weight=None, ignore_index=-100, reduction="mean"):
        super().__init__(weight, reduction)
        self.ignore_index = ignore_index

    def forward(self, input, target):
        return F.nll_loss(input, target, weight=self.weight, ignore_index=self.ignore_index, reduction=self.reduction)
