"""Module backward hooks (torch's register_full_backward_hook / _pre_hook).

The module's tensor input and output pass through identity ops on the tape, as torch's
BackwardHook does, so the gradient reaching them is this module's alone (not summed with other
users of the same tensor, e.g. a residual branch). Tensor hooks on those identities then call
the module's hooks: the pre-hooks with grad_output when it arrives (they may replace it), the
full hooks with (grad_input, grad_output) once grad_input is known (they may replace
grad_input); with no input requiring a gradient they run at grad_output time with
grad_input (None,), as torch's.
"""
from resnetc.tensor import Tensor, is_grad_enabled, record


def _identity(x):
    return record(x.array, [x], lambda grad: (grad,))


def _as_arrays(result, what, expected):
    values = result if isinstance(result, (tuple, list)) else (result,)
    if len(values) != expected:
        raise RuntimeError(f"backward hook returned {len(values)} {what}, expected {expected}")
    return tuple(v.array if isinstance(v, Tensor) else v for v in values)


def call_with_backward_hooks(module, args, run_forward):
    """run_forward(*args) with module's backward hooks attached to the graph it records."""
    if not is_grad_enabled():
        return run_forward(*args)
    tracked = [i for i, a in enumerate(args) if isinstance(a, Tensor) and a.requires_grad]
    if len(tracked) > 1:
        raise RuntimeError(f"backward hooks on {type(module).__name__}: modules with more than one input "
                           f"that requires grad are not supported")
    args = list(args)
    for i in tracked:
        args[i] = _identity(args[i])
    output = run_forward(*args)
    if not isinstance(output, Tensor):
        raise RuntimeError(f"backward hooks on {type(module).__name__}: the module must return one Tensor, "
                           f"got {type(output).__name__}")
    if not output.requires_grad:
        return output
    grad_output = []

    def full_hooks(grad_input):
        for hook in list(module._backward_hooks.values()):
            result = hook(module, grad_input, tuple(grad_output))
            if result is not None:
                grad_input = tuple(None if g is None else Tensor(g)
                                   for g in _as_arrays(result, "grad_input", len(grad_input)))
        return grad_input

    def on_grad_output(grad):
        for hook in list(module._backward_pre_hooks.values()):
            result = hook(module, (grad,))
            if result is not None:
                grad = Tensor(_as_arrays(result, "grad_output", 1)[0])
        grad_output.append(grad)
        if not tracked:
            full_hooks((None,) * max(len(args), 1))
        return grad

    def on_grad_input(grad):
        grad_input = [None] * len(args)
        grad_input[tracked[0]] = grad
        return full_hooks(tuple(grad_input))[tracked[0]]

    output = _identity(output)
    output.register_hook(on_grad_output)
    if tracked:
        args[tracked[0]].register_hook(on_grad_input)
    return output
