"""one_hot: class indices to one-hot rows, as torch.nn.functional.one_hot."""
import numbers

import numpy as np

from resnetc.tensor import Tensor, as_array


def one_hot(tensor, num_classes=-1):
    """(*) int64 class indices -> (*, num_classes) int64 with a 1 at each index; num_classes=-1
    means max + 1. Not differentiable (an integer output)."""
    index = as_array(tensor)
    if index.dtype.kind not in "iu":
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if num_classes == -1:
        if index.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(index.max()) + 1
    elif not isinstance(num_classes, numbers.Integral) or num_classes < -1:
        raise RuntimeError(f"one_hot: num_classes should be a non-negative integer or -1, got {num_classes!r}")
    if index.size and index.min() < 0:
        raise RuntimeError("Class values must be non-negative.")
    if index.size and index.max() >= num_classes:
        raise RuntimeError("Class values must be smaller than num_classes.")
    out = np.zeros(index.shape + (int(num_classes),), np.int64)
    np.put_along_axis(out, index.astype(np.int64)[..., None], 1, axis=-1)
    return Tensor(out)
