"""Fine-tuning helpers: a new classifier head, and a frozen backbone."""
from resnetc import nn


class DropoutLinear(nn.Linear):
    """Linear with dropout on its input; keeps Linear's parameter names (fc.weight, fc.bias), so
    state_dicts still load into torchvision models."""

    def __init__(self, in_features, out_features, p):
        super().__init__(in_features, out_features)
        if not 0 <= p < 1:
            raise ValueError(f"dropout probability has to be in [0, 1), got {p}")
        self.p = p

    def forward(self, input):
        return super().forward(nn.functional.dropout(input, self.p, self.training))

    def extra_repr(self):
        return super().extra_repr() + f", dropout={self.p}"


def replace_head(model, num_classes, dropout=0.0):
    """Gives `model` a freshly initialised `fc` with `num_classes` outputs (and dropout before it)."""
    in_features = model.fc.in_features
    model.fc = DropoutLinear(in_features, num_classes, dropout) if dropout > 0 else nn.Linear(in_features, num_classes)
    return model


def freeze_backbone(model, head="fc"):
    """Freezes every parameter outside `head`. The frozen part should also run in eval mode while
    training (see `backbone_eval`), so its batchnorm statistics stay those of the pretrained model."""
    for name, param in model.named_parameters():
        param.requires_grad_(name.split(".")[0] == head)
    return model


def backbone_eval(model, head="fc"):
    """Puts every top-level child but `head` in eval mode (call after model.train())."""
    for name, module in model.named_children():
        if name != head:
            module.eval()
    return model
