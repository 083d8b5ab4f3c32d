"""parameters_to_vector / vector_to_parameters, as torch.nn.utils."""
import numpy as np

from resnetc.tensor import Tensor, as_array, cat, reshape


def parameters_to_vector(parameters):
    """All parameters flattened and concatenated into one 1-D Tensor (differentiable)."""
    if isinstance(parameters, Tensor):
        raise TypeError(f"expected an iterable of Tensors, but got: {type(parameters).__name__}")
    return cat([reshape(p, (-1,)) for p in parameters], 0)


def vector_to_parameters(vec, parameters):
    """Copies consecutive slices of the 1-D `vec` into the parameters, in order. Unlike torch,
    which rebinds each parameter's .data to a view of vec, the values are copied in place, so
    the parameters keep their memory (which optimizers hold)."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(vec).__name__}")
    flat = as_array(vec)
    if flat.ndim != 1:
        raise ValueError(f"vector_to_parameters: expected a 1-D vector, got shape {flat.shape}")
    params = list(parameters)
    total = sum(as_array(p).size for p in params)
    if flat.size != total:
        raise ValueError(f"vector_to_parameters: the vector has {flat.size} elements, the parameters {total}")
    offset = 0
    for p in params:
        target = as_array(p)
        np.copyto(target, flat[offset:offset + target.size].reshape(target.shape), casting="same_kind")
        offset += target.size
