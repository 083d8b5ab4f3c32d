"""Module: the base of every layer and model, with torch.nn.Module's API.

Assigning a Parameter, Module or registered buffer as an attribute registers it, so
``model.fc = nn.Linear(2048, 10)`` replaces the head and its parameters show up in
``model.parameters()`` and ``state_dict()`` under torch's dotted names.
"""
from collections import OrderedDict

import numpy as np

from resnetc import _dtypes
from resnetc._device import device as _device
from resnetc._device import parse_to
from resnetc.nn._backward_hooks import call_with_backward_hooks
from resnetc.nn.parameter import Parameter
from resnetc.utils.hooks import add_hook
from resnetc.tensor import Tensor, as_array


class _IncompatibleKeys:
    def __init__(self, missing_keys, unexpected_keys):
        self.missing_keys = missing_keys
        self.unexpected_keys = unexpected_keys

    def __iter__(self):
        return iter((self.missing_keys, self.unexpected_keys))

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return f"_IncompatibleKeys(missing_keys={self.missing_keys}, unexpected_keys={self.unexpected_keys})"


class UnsupportedDtypeError(TypeError, NotImplementedError):
    """A module asked to compute in another dtype than float32 (model.double(), .half(),
    .to(torch.float64)): the C kernels are float32 only. Both a TypeError (what .to(dtype)
    always raised) and a NotImplementedError, so either except clause catches it."""



class Module:
    """Base class for layers and models: override ``forward``."""

    training = True

    def __init__(self):
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent_buffers", set())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_forward_hooks", OrderedDict())
        object.__setattr__(self, "_forward_pre_hooks", OrderedDict())
        object.__setattr__(self, "_backward_hooks", OrderedDict())
        object.__setattr__(self, "_backward_pre_hooks", OrderedDict())
        object.__setattr__(self, "training", True)

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"Module [{type(self).__name__}] is missing the required \"forward\" function")

    def __call__(self, *args, **kwargs):
        for hook in list(self._forward_pre_hooks.values()):
            result = hook(self, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
        if self._backward_hooks or self._backward_pre_hooks:
            output = call_with_backward_hooks(self, args, lambda *a: self.forward(*a, **kwargs))
        else:
            output = self.forward(*args, **kwargs)
        for hook in list(self._forward_hooks.values()):
            result = hook(self, args, output)
            if result is not None:
                output = result
        return output

    # ------------------------------------------------------------------ registration
    def __setattr__(self, name, value):
        d = self.__dict__
        if "_parameters" not in d:
            raise AttributeError("cannot assign attributes before Module.__init__() call")
        params, buffers, modules = d["_parameters"], d["_buffers"], d["_modules"]
        if isinstance(value, (Parameter, Module)):
            # Reassigning a name keeps its place in the table, as torch: model.conv1 = ... stays
            # first in children(), state_dict() and print(model). Only the other tables drop it.
            own = params if isinstance(value, Parameter) else modules
            for table in (d, params, buffers, modules):
                if table is not own:
                    table.pop(name, None)
            d["_non_persistent_buffers"].discard(name)
            own[name] = value
        elif name in params or name in modules:
            if value is not None:
                kind = "parameter" if name in params else "child module"
                raise TypeError(f"cannot assign '{type(value).__name__}' as {kind} '{name}' "
                                f"(nn.Parameter, nn.Module or None expected)")
            (params if name in params else modules)[name] = None
        elif name in buffers:
            buffers[name] = value if value is None or isinstance(value, Tensor) else Tensor(np.asarray(value))
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name):
        d = self.__dict__
        for table in ("_parameters", "_buffers", "_modules"):
            if table in d and name in d[table]:
                return d[table][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        for table in (self._parameters, self._buffers, self._modules):
            if name in table:
                del table[name]
                return
        object.__delattr__(self, name)

    def register_parameter(self, name, param):
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{type(param).__name__}' as parameter '{name}' (nn.Parameter or None expected)")
        self._parameters[name] = param

    def register_buffer(self, name, tensor, persistent=True):
        if tensor is not None and not isinstance(tensor, Tensor):
            tensor = Tensor(np.asarray(tensor))
        self.__dict__.pop(name, None)
        self._buffers[name] = tensor
        if not persistent:
            self._non_persistent_buffers.add(name)

    def add_module(self, name, module):
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        self._modules[name] = module

    register_module = add_module

    def register_forward_hook(self, hook):
        return add_hook(self._forward_hooks, hook)

    def register_forward_pre_hook(self, hook):
        return add_hook(self._forward_pre_hooks, hook)

    def register_full_backward_hook(self, hook):
        """hook(module, grad_input, grad_output) -> new grad_input or None, called during
        backward with the gradients of this module's input and output (see _backward_hooks)."""
        return add_hook(self._backward_hooks, hook)

    register_backward_hook = register_full_backward_hook  # torch's older name; same grads here

    def register_full_backward_pre_hook(self, hook):
        """hook(module, grad_output) -> new grad_output or None, called when the gradient of the
        module's output is known, before it flows into the module."""
        return add_hook(self._backward_pre_hooks, hook)

    # ------------------------------------------------------------------ traversal
    def named_modules(self, memo=None, prefix=""):
        memo = set() if memo is None else memo
        if id(self) in memo:
            return
        memo.add(id(self))
        yield prefix, self
        for name, module in self._modules.items():
            if module is not None:
                yield from module.named_modules(memo, f"{prefix}.{name}" if prefix else name)

    def modules(self):
        for _, module in self.named_modules():
            yield module

    def named_children(self):
        for name, module in self._modules.items():
            if module is not None:
                yield name, module

    def children(self):
        for _, module in self.named_children():
            yield module

    def _named_members(self, table, prefix, recurse):
        seen = set()
        modules = self.named_modules(prefix=prefix) if recurse else [(prefix, self)]
        for module_prefix, module in modules:
            for name, value in getattr(module, table).items():
                if value is None or id(value) in seen:
                    continue
                seen.add(id(value))
                yield (f"{module_prefix}.{name}" if module_prefix else name), value

    def named_parameters(self, prefix="", recurse=True):
        return self._named_members("_parameters", prefix, recurse)

    def parameters(self, recurse=True):
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix="", recurse=True):
        return self._named_members("_buffers", prefix, recurse)

    def buffers(self, recurse=True):
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    def get_submodule(self, target):
        """The submodule at dotted path `target` ("" is the module itself), with torch's errors."""
        module = self
        for part in target.split(".") if target else []:
            if not hasattr(module, part):
                raise AttributeError(f"{type(module).__name__} has no attribute `{part}`")
            module = getattr(module, part)
            if not isinstance(module, Module):
                raise AttributeError(f"`{part}` is not an nn.Module")
        return module

    def _owner_of(self, target):
        """(submodule, attribute name) of a dotted path, with torch's error for a missing name."""
        module_path, _, name = target.rpartition(".")
        module = self.get_submodule(module_path)
        if not hasattr(module, name):
            raise AttributeError(f"{type(module).__name__} has no attribute `{name}`")
        return module, name

    def get_parameter(self, target):
        """The Parameter at dotted path `target`, e.g. ``model.get_parameter("layer1.0.conv1.weight")``."""
        module, name = self._owner_of(target)
        param = getattr(module, name)
        if not isinstance(param, Parameter):
            raise AttributeError(f"`{name}` is not an nn.Parameter")
        return param

    def get_buffer(self, target):
        """The buffer at dotted path `target`, e.g. ``model.get_buffer("bn1.running_mean")``."""
        module, name = self._owner_of(target)
        if name not in module._buffers:
            raise AttributeError(f"`{name}` is not a buffer")
        return module._buffers[name]

    def apply(self, fn):
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    # ------------------------------------------------------------------ modes and gradients
    def to(self, *args, **kwargs):
        """torch's model.to(device) / .to(dtype): resnetc's layers compute in float32 on the CPU,
        so the device must be the CPU and the dtype float32; returns the module itself."""
        dtype, _ = parse_to(args, kwargs, np.dtype(np.float32))
        if dtype is not None:
            raise UnsupportedDtypeError(f"resnetc's layers compute in float32; cannot convert a module to {dtype}")
        return self

    def cpu(self):
        return self

    def cuda(self, device=None):
        _device("cuda")  # raises: resnetc computes on the CPU only

    def float(self):
        return self

    def double(self):
        raise UnsupportedDtypeError("resnetc's layers compute in float32 only: model.double() (float64) is not "
                                    "supported; keep the model in float32")

    def half(self):
        raise UnsupportedDtypeError("resnetc's layers compute in float32 only: model.half() (float16) is not "
                                    "supported; keep the model in float32")

    def bfloat16(self):
        raise UnsupportedDtypeError("resnetc's layers compute in float32 only: model.bfloat16() is not "
                                    "supported; keep the model in float32")

    def type(self, dst_type):
        """torch's model.type(dtype): float32 (or "torch.FloatTensor") returns the module; any
        other dtype raises, as .to(dtype) does."""
        dtype = _dtypes.dtype_of_type_name(dst_type) if isinstance(dst_type, str) else None
        if dst_type == "torch.BFloat16Tensor":  # torch's name of a type NumPy has not
            raise UnsupportedDtypeError(f"resnetc's layers compute in float32; cannot convert a module to {dst_type}")
        if dtype is None:
            try:
                dtype = np.dtype(dst_type)
            except TypeError:
                raise TypeError(f"type(): {dst_type!r} is not a dtype") from None
        if dtype != np.float32:
            raise UnsupportedDtypeError(f"resnetc's layers compute in float32; cannot convert a module to {dtype}")
        return self

    def train(self, mode=True):
        for module in self.modules():
            object.__setattr__(module, "training", bool(mode))
        return self

    def eval(self):
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        for param in self.parameters():
            if param.grad is None:
                continue
            if set_to_none:
                param.grad = None
            else:
                param.grad.array[...] = 0

    # ------------------------------------------------------------------ state
    def state_dict(self, destination=None, prefix="", keep_vars=False):
        """Parameters and persistent buffers by dotted name, as Tensors sharing memory."""
        destination = OrderedDict() if destination is None else destination
        for name, param in self._parameters.items():
            if param is not None:
                destination[prefix + name] = param if keep_vars else param.detach()
        for name, buffer in self._buffers.items():
            if buffer is not None and name not in self._non_persistent_buffers:
                destination[prefix + name] = buffer if keep_vars else buffer.detach()
        for name, module in self._modules.items():
            if module is not None:
                module.state_dict(destination, prefix + name + ".", keep_vars)
        return destination

    def load_state_dict(self, state_dict, strict=True):
        """Copies arrays (Tensors, ndarrays or anything np.asarray takes) into this module.

        Shapes must match exactly; with strict=True the key sets must match too.
        """
        own = self.state_dict(keep_vars=True)
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        errors = []
        if strict:
            if unexpected:
                errors.append("Unexpected key(s) in state_dict: " + ", ".join(f'"{k}"' for k in unexpected) + ".")
            if missing:
                errors.append("Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing) + ".")
        loads = []
        for key, target in own.items():
            if key not in state_dict:
                continue
            value = np.asarray(as_array(state_dict[key]))
            if value.shape != target.shape:
                errors.append(f"size mismatch for {key}: copying a param with shape {tuple(value.shape)} from "
                              f"checkpoint, the shape in current model is {tuple(target.shape)}.")
                continue
            if not np.can_cast(value.dtype, target.dtype, casting="same_kind"):
                errors.append(f"dtype mismatch for {key}: checkpoint has {value.dtype}, model has {target.dtype}.")
                continue
            if value.dtype.kind == "f" and not np.isfinite(value).all():
                errors.append(f"non-finite values in {key}: {int(value.size - np.isfinite(value).sum())} of "
                              f"{value.size} are NaN or infinite (a diverged or corrupt checkpoint).")
                continue
            loads.append((target, value))
        if errors:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:\n\t" + "\n\t".join(errors))
        for target, value in loads:
            np.copyto(target.array, value, casting="same_kind")
        return _IncompatibleKeys(missing, unexpected)

    # ------------------------------------------------------------------ display
    def extra_repr(self):
        return ""

    def __repr__(self):
        lines = [line for line in self.extra_repr().split("\n") if line]
        for name, module in self._modules.items():
            child = repr(module).replace("\n", "\n  ")
            lines.append(f"({name}): {child}")
        if not self._modules:
            return f"{type(self).__name__}({self.extra_repr()})"
        return f"{type(self).__name__}(\n  " + "\n  ".join(lines) + "\n)"

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(self._parameters) | set(self._buffers) | set(self._modules))
