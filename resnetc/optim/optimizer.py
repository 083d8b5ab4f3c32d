"""Optimizer: torch.optim's base class (param_groups, state, state_dict layout), fused C steps.

A subclass names its C kernel (``_kind``), lists its per-parameter state (``_init_state``), the
three state arrays the kernel reads (``_state_arrays``) and the step-dependent scalars of one
tensor (``_coefs``, computed in double exactly as torch computes them in Python). ``step`` then
hands every parameter of a group that has a gradient to one C call (resnetc._C.optim_step): one
pass per tensor over parameter, gradient and state, with the tensors' chunks spread over the
OpenMP threads and the GIL released.
"""
from collections import defaultdict
from copy import deepcopy
from itertools import chain

import numpy as np

from resnetc import _C
from resnetc.tensor import Tensor, enable_grad
from resnetc.utils.hooks import add_hook

__all__ = ["Optimizer", "required"]


class _RequiredParameter:
    """Marks a default that every parameter group must set (torch.optim.optimizer.required)."""

    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()

# Kernel ids of csrc/optim/optim.h (rc_optim_kind).
KIND_SGD, KIND_ADAM, KIND_RMSPROP, KIND_ADAGRAD, KIND_NADAM, KIND_RADAM = range(6)

# Group keys torch keeps for its CUDA/autograd variants: accepted and stored so state_dicts
# match torch's, but resnetc always runs its one fused CPU path.
_UNSUPPORTED_TRUE = ("capturable", "differentiable")


def _scalar(value, name):
    """A Python float from a number, a 1-element ndarray or Tensor (torch allows Tensor lr)."""
    if isinstance(value, (Tensor, np.ndarray)):
        array = np.asarray(value)
        if array.size != 1:
            raise ValueError(f"Tensor {name} must be 1-element")
        return float(array.reshape(()))
    return value


def _check_flags(defaults):
    for key in _UNSUPPORTED_TRUE:
        if defaults.get(key):
            raise ValueError(f"{key}=True is not supported: resnetc runs one fused CPU update")


class Optimizer:
    """Base class of all optimizers, with torch.optim.Optimizer's attributes and state_dict.

    Args:
        params: an iterable of Parameters, of (name, Parameter) pairs, or of dicts defining
            parameter groups (each with a "params" entry and optional per-group options).
        defaults: the options' default values, used by groups that do not set them.
    """

    _kind = None
    _state_keys = ()  # per-parameter state arrays, in torch's order

    def __init__(self, params, defaults):
        self.defaults = defaults
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors or dicts, "
                            f"but got {type(params).__module__}.{type(params).__name__}")
        self.state = defaultdict(dict)
        self.param_groups = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for param_group in param_groups:
            self.add_param_group(param_group)

    # ------------------------------------------------------------------ groups
    def add_param_group(self, param_group):
        """Adds a group of parameters (a dict with "params" and optional options)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but the ordering "
                            "of tensors in sets will change between runs. Please use a list instead.")
        tensors, names = [], []
        for param in params:
            if isinstance(param, tuple):
                names.append(param[0])
                tensors.append(param[1])
            else:
                tensors.append(param)
        param_group["params"] = tensors
        if names:
            if len(names) != len(tensors):
                raise ValueError("all optimizer params should be with/without names. Some param names are missing")
            param_group["param_names"] = names
        for param in tensors:
            if not isinstance(param, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is "
                                f"{type(param).__module__}.{type(param).__name__}")
            if not param.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(f"parameter group didn't specify a value of required optimization parameter {name}")
            param_group.setdefault(name, default)
        if len(set(map(id, tensors))) != len(tensors):
            raise ValueError("optimizer contains a parameter group with duplicate parameters")
        seen = {id(p) for group in self.param_groups for p in group["params"]}
        for group in self.param_groups:
            if ("param_names" in param_group) != ("param_names" in group):
                which = "with names" if "param_names" in param_group else "without names"
                raise ValueError("all optimizer param groups should be with/without names. "
                                 f"cannot add param group {which} to the optimizer")
        if any(id(p) in seen for p in tensors):
            raise ValueError("some parameters appear in more than one parameter group")
        self._validate_group(param_group)
        self.param_groups.append(param_group)

    def _validate_group(self, group):
        """Checks a group's options (subclasses raise torch's ValueErrors)."""

    # ------------------------------------------------------------------ gradients and steps
    def zero_grad(self, set_to_none=True):
        """Clears every parameter's gradient: drops it (set_to_none) or fills it with zeros."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    p.grad.array[...] = 0

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns closure()'s loss if given."""
        for hook in list(self._step_hooks("pre").values()):
            result = hook(self, (), {})
            if result is not None:
                raise RuntimeError(f"optimizer step pre-hooks must return None, got {result}")
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            self._step_group(group)
        for hook in list(self._step_hooks("post").values()):
            hook(self, (), {})
        return loss

    def _step_hooks(self, when):
        return self.__dict__.setdefault(f"_step_{when}_hooks", {})

    def register_step_pre_hook(self, hook):
        """hook(optimizer, args, kwargs) runs before each step; returns a handle with remove()."""
        return add_hook(self._step_hooks("pre"), hook)

    def register_step_post_hook(self, hook):
        """hook(optimizer, args, kwargs) runs after each step; returns a handle with remove()."""
        return add_hook(self._step_hooks("post"), hook)

    def _step_group(self, group):
        params, grads, states = [], [], ([], [], [])
        coefs = []
        cache = {}
        for p in group["params"]:
            if p.grad is None:
                continue  # frozen or unused parameter: no update, no state
            param = p.array
            if param.dtype != np.float32 or not param.flags.c_contiguous:
                raise TypeError(f"{type(self).__name__} updates C-contiguous float32 parameters, "
                                f"got {param.dtype} {'contiguous' if param.flags.c_contiguous else 'strided'}")
            grad = p.grad.array
            if grad.shape != param.shape:
                raise ValueError(f"gradient of shape {grad.shape} for a parameter of shape {param.shape}")
            if grad.dtype != np.float32 or not grad.flags.c_contiguous:
                grad = np.ascontiguousarray(grad, dtype=np.float32)
            state = self.state.get(p)
            if not state:
                state = {}
                self._init_state(p, state, group)
                if state:  # SGD without momentum keeps no state, like torch
                    self.state[p] = state
            params.append(param)
            grads.append(grad)
            coefs.append(self._coefs(p, state, group, cache))
            for slot, array in zip(states, self._state_arrays(state, group)):
                slot.append(array)
        if not params:
            return
        coefs = np.asarray(coefs, dtype=np.float64).reshape(len(params), 4)
        _C.optim_step(self._kind, params, grads, states[0], states[1], states[2], coefs,
                      **self._kernel_hparams(group))

    # Subclass hooks ----------------------------------------------------------------------
    def _init_state(self, p, state, group):
        raise NotImplementedError

    def _state_arrays(self, state, group):
        """The (state0, state1, state2) arrays of csrc/optim/optim.h for this kind (None: unused)."""
        raise NotImplementedError

    def _coefs(self, p, state, group, cache):
        """Advances this parameter's step and returns its 4 step-dependent scalars."""
        raise NotImplementedError

    def _kernel_hparams(self, group):
        raise NotImplementedError

    # ------------------------------------------------------------------ state_dict
    def state_dict(self):
        """{'state': {index: {...}}, 'param_groups': [{options..., 'params': [indices]}]} as torch.

        As in torch, state arrays are returned by reference, not copied.
        """
        index = {}
        groups = []
        start = 0
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            ids = list(range(start, start + len(group["params"])))
            index.update((id(p), i) for p, i in zip(group["params"], ids))
            packed["params"] = ids
            start += len(ids)
            groups.append(packed)
        state = {index[id(p)]: v for p, v in self.state.items() if id(p) in index}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Loads a state_dict of this layout (from resnetc or torch's converted to NumPy).

        Arrays are copied to float32 and their shapes checked against the parameters; the
        step counters may be numbers, 0-d arrays or 1-element arrays.
        """
        if not isinstance(state_dict, dict) or "state" not in state_dict or "param_groups" not in state_dict:
            raise ValueError("optimizer state_dict must be a dict with 'state' and 'param_groups'")
        groups = self.param_groups
        saved_groups = deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match the size of "
                             "optimizer's group")
        id_map = dict(zip(chain.from_iterable(g["params"] for g in saved_groups),
                          chain.from_iterable(g["params"] for g in groups)))
        state = defaultdict(dict)
        for key, value in state_dict["state"].items():
            if key in id_map:
                param = id_map[key]
                state[param] = {name: self._cast_state(param, key, name, v) for name, v in value.items()}
            else:
                state[key] = value
        new_groups = []
        for group, saved in zip(groups, saved_groups):
            saved["params"] = group["params"]
            if "param_names" in group and "param_names" not in saved:
                saved["param_names"] = group["param_names"]
            for name, default in self.defaults.items():
                saved.setdefault(name, group.get(name, default))
            if isinstance(saved.get("betas"), list):
                saved["betas"] = tuple(saved["betas"])
            new_groups.append(saved)
        self.state = state
        self.param_groups = new_groups

    @staticmethod
    def _cast_state(param, index, name, value):
        if value is None:
            return None
        array = np.asarray(value.array if isinstance(value, Tensor) else value)
        if name in ("step", "mu_product"):
            if array.size != 1:
                raise ValueError(f"loaded state dict has a '{name}' of shape {array.shape} for parameter {index}, "
                                 "expected a number")
            number = float(array.reshape(()))
            return float(np.float32(number)) if name == "mu_product" else number
        if array.shape != param.shape:
            raise ValueError(f"loaded state dict has a state '{name}' of shape {tuple(array.shape)} for parameter "
                             f"{index} of shape {tuple(param.shape)}: it belongs to a different parameter layout")
        return np.array(array, dtype=np.float32, order="C", copy=True)

    # ------------------------------------------------------------------ misc
    def __getstate__(self):
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state):
        self.__dict__.update(state)

    def __repr__(self):
        lines = [type(self).__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(group):
                if key not in ("params", "param_names"):
                    lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)
