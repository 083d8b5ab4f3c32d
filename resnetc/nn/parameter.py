"""Parameter: a Tensor that a Module registers as trainable."""
import numpy as np

from resnetc.tensor import Tensor


class Parameter(Tensor):
    def __init__(self, data=None, requires_grad=True):
        super().__init__(np.empty(0, np.float32) if data is None else data, requires_grad=requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()
