"""Grad mode (set_grad_enabled as a call, inference_mode), torch's dtype promotion against
scalars, factories' dtypes, 0-dim tensors as Python scalars, and the torch/torchvision module
layout (`import resnetc as torch`), each checked against torch."""
import subprocess
import sys

import numpy as np
import pytest
import torch

import resnetc
from resnetc import nn


def test_set_grad_enabled_takes_effect_when_called():
    resnetc.set_grad_enabled(False)
    try:
        assert not resnetc.is_grad_enabled()
        y = nn.Linear(2, 1)(resnetc.ones(1, 2))
        assert not y.requires_grad
    finally:
        resnetc.set_grad_enabled(True)
    assert resnetc.is_grad_enabled()
    with resnetc.set_grad_enabled(False):
        assert not resnetc.is_grad_enabled()
        with resnetc.set_grad_enabled(True):
            assert resnetc.is_grad_enabled()
        assert not resnetc.is_grad_enabled()
    assert resnetc.is_grad_enabled()


@pytest.mark.parametrize("lib", [resnetc, torch])
def test_decorators_and_inference_mode(lib):
    w = lib.ones(2, requires_grad=True)

    @lib.set_grad_enabled(False)
    def f():
        return (w * 2).requires_grad, lib.is_grad_enabled()

    @lib.no_grad()
    def g():
        return (w * 2).requires_grad

    @lib.inference_mode()
    def h():
        return (w * 2).requires_grad

    @lib.no_grad
    def bare():
        return (w * 2).requires_grad

    assert lib.is_grad_enabled()  # decorating does not change the mode
    assert f() == (False, False) and not g() and not h() and not bare()
    with lib.inference_mode():
        assert not (w * 2).requires_grad
    with lib.inference_mode(False):
        assert (w * 2).requires_grad
    assert lib.is_grad_enabled() and (w * 2).requires_grad


SCALARS = [2, 0.5, True, np.float64(0.5), np.float32(0.5), np.int32(3), np.int64(3)]  # (torch oddly takes np.bool_ as a float)
DTYPES = ["float32", "float64", "float16", "int64", "int32", "uint8", "bool"]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("op", ["+", "-", "*", "/", "**", "<", "==", "%", "//", "&"])
def test_binary_op_dtypes_against_scalars_and_tensors_match_torch(dtype, op):
    a = np.array([1, 2, 3]).astype(dtype)
    others = [(s, s) for s in SCALARS]
    for other_dtype in DTYPES:
        b = np.array([1, 2, 1]).astype(other_dtype)
        others += [(resnetc.tensor(b), torch.tensor(b)),  # 1-D tensor
                   (resnetc.tensor(b[0]), torch.tensor(b[0]))]  # 0-dim tensor
    for ours_b, theirs_b in others:
        for reflected in (False, True):
            expr = "y " + op + " x" if reflected else "x " + op + " y"
            try:
                ref = eval(expr, {"x": torch.tensor(a), "y": theirs_b})
            except (RuntimeError, TypeError):
                continue  # e.g. float & int: torch refuses; bool - bool
            out = eval(expr, {"x": resnetc.tensor(a), "y": ours_b})
            assert out.dtype == np.dtype(str(ref.dtype).replace("torch.", "")), (expr, dtype, type(ours_b), ours_b)
            np.testing.assert_allclose(out.array.astype(np.float64), ref.numpy().astype(np.float64), rtol=1e-3)


def test_true_division_of_integers_and_comparisons_in_the_tensor_dtype():
    assert (resnetc.tensor([1, 2]) / 4).dtype == resnetc.float32
    t = resnetc.tensor([0.1], dtype=resnetc.float32)
    assert bool(t == np.float64(0.1)) == bool(torch.tensor([0.1]) == np.float64(0.1)) == True  # noqa: E712
    assert (np.float64(0.5) * resnetc.ones(2)).dtype == resnetc.float32


def test_factory_dtypes_match_torch():
    cases = [("arange", (0, 1, 0.25)), ("arange", (10.0,)), ("arange", (5,)), ("arange", (np.float64(3),)),
             ("arange", (1, 7, 2)), ("linspace", (0, 1, 5)), ("full", ((2,), 1.0)), ("full", ((2,), 1)),
             ("full", ((2,), True)), ("eye", (3,)), ("eye", (2, 3)), ("zeros", (2, 3)), ("ones", ((2, 3),)),
             ("rand", (2,)), ("randn", (2,)), ("randint", (0, 3, (8,))), ("randint", (5, (2, 2))), ("randperm", (8,))]
    for name, args in cases:
        out, ref = getattr(resnetc, name)(*args), getattr(torch, name)(*args)
        assert out.dtype == np.dtype(str(ref.dtype).replace("torch.", "")), (name, args)
        assert out.shape == tuple(ref.shape), (name, args)
        if name not in ("rand", "randn", "randint", "randperm"):
            np.testing.assert_allclose(out.array, ref.numpy(), rtol=1e-6, err_msg=f"{name}{args}")
    assert sorted(resnetc.randperm(8).tolist()) == list(range(8))
    values = resnetc.randint(2, 5, (1000,)).array
    assert values.min() == 2 and values.max() == 4


def test_like_factories_and_device_keyword():
    x = resnetc.tensor([[1, 2]], dtype=resnetc.int32)
    for name in ("zeros_like", "ones_like", "empty_like"):
        out = getattr(resnetc, name)(x)
        assert out.dtype == resnetc.int32 and out.shape == (1, 2)
    assert resnetc.full_like(x, 7).tolist() == [[7, 7]]
    assert resnetc.rand_like(resnetc.ones(3)).dtype == resnetc.float32
    assert resnetc.randn_like(x, dtype=resnetc.float64).dtype == resnetc.float64
    with pytest.raises(RuntimeError, match="not implemented for 'Int'"):
        resnetc.rand_like(x)
    for factory in (lambda d: resnetc.zeros(3, 3, device=d), lambda d: resnetc.tensor([1.0], device=d),
                    lambda d: resnetc.arange(3, device=d), lambda d: resnetc.randn(2, device=d),
                    lambda d: resnetc.full((2,), 1.0, device=d), lambda d: resnetc.eye(2, device=d),
                    lambda d: resnetc.zeros_like(x, device=d), lambda d: x.new_zeros(2, device=d)):
        factory("cpu")
        factory(resnetc.device("cpu"))
        with pytest.raises(RuntimeError, match="CPU only"):
            factory("cuda")


def test_generator():
    g = resnetc.Generator().manual_seed(42)
    assert g.initial_seed() == 42
    a = resnetc.randn(4, generator=g)
    g.manual_seed(42)
    np.testing.assert_array_equal(resnetc.randn(4, generator=g).array, a.array)
    state = g.get_state()
    b = resnetc.randperm(10, generator=g)
    g.set_state(state)
    np.testing.assert_array_equal(resnetc.randperm(10, generator=g).array, b.array)
    assert isinstance(g.seed(), int)
    from resnetc.utils.data import DataLoader, TensorDataset, random_split
    data = TensorDataset(resnetc.arange(10))
    split = lambda: [list(s.indices) for s in random_split(data, [7, 3], generator=resnetc.Generator().manual_seed(1))]
    assert split() == split()
    order = lambda: [int(b[0][0]) for b in DataLoader(data, shuffle=True, generator=resnetc.Generator().manual_seed(3))]
    assert order() == order() and sorted(order()) == list(range(10))
    assert isinstance(resnetc.manual_seed(0), resnetc.Generator)


def test_zero_dim_tensors_as_python_scalars():
    loss, ref = resnetc.tensor(0.12345), torch.tensor(0.12345)
    assert f"{loss:.4f}" == f"{ref:.4f}" and f"{loss}" == f"{loss.item()}"
    assert f"{resnetc.tensor([1.0, 2.0])}" == str(resnetc.tensor([1.0, 2.0]))
    with pytest.raises(TypeError):
        f"{resnetc.tensor([1.0, 2.0]):.4f}"
    classes = ["a", "b", "c"]
    assert classes[resnetc.tensor([0, 1, 5]).argmax()] == classes[torch.tensor([0, 1, 5]).argmax()] == "c"
    assert list(range(resnetc.tensor(3))) == [0, 1, 2]
    assert classes[resnetc.tensor([1])] == classes[torch.tensor([1])]
    with pytest.raises(TypeError, match="only integer tensors of a single element"):
        classes[resnetc.tensor(1.0)]
    assert int(resnetc.tensor(2.7)) == int(torch.tensor(2.7)) and float(resnetc.tensor(3)) == 3.0
    assert bool(resnetc.tensor([1])) and not bool(resnetc.tensor(0.0))
    with pytest.raises(RuntimeError, match="Boolean value of Tensor with more than one value is ambiguous"):
        bool(resnetc.tensor([1, 2]))
    with pytest.raises(RuntimeError, match="a Tensor with 2 elements cannot be converted to Scalar"):
        resnetc.tensor([1, 2]).item()


def test_backends_cuda_and_determinism_flags():
    import resnetc.backends.cudnn as cudnn
    cudnn.benchmark = True
    resnetc.backends.cudnn.deterministic = True
    assert resnetc.backends.cudnn.benchmark and cudnn.deterministic and not cudnn.is_available()
    assert not resnetc.backends.mps.is_available() and not resnetc.backends.mps.is_built()
    resnetc.backends.cuda.matmul.allow_tf32 = True
    assert resnetc.cuda.device_count() == 0 and not resnetc.cuda.is_available()
    resnetc.manual_seed(5)
    a = resnetc.rand(3)
    resnetc.manual_seed(5)
    resnetc.cuda.manual_seed_all(1)  # no GPU: no effect on the CPU generator, as torch
    resnetc.cuda.manual_seed(1)
    resnetc.cuda.empty_cache()
    np.testing.assert_array_equal(resnetc.rand(3).array, a.array)
    resnetc.use_deterministic_algorithms(True)
    assert resnetc.are_deterministic_algorithms_enabled()
    resnetc.use_deterministic_algorithms(False)
    assert not resnetc.are_deterministic_algorithms_enabled()


def test_dtype_aliases_match_torch():
    for name in ("float", "long", "int", "double", "bool", "half", "float16", "float32", "float64", "int8", "int16",
                 "int32", "int64", "uint8", "short"):
        assert getattr(resnetc, name) == np.dtype(str(getattr(torch, name)).replace("torch.", "")), name
        assert isinstance(getattr(resnetc, name), resnetc.dtype)
    assert resnetc.zeros(2, dtype=resnetc.long).dtype == np.int64
    assert resnetc.get_default_dtype() == resnetc.float32


def test_import_resnetc_as_torch_and_torchvision_exposes_subpackages():
    code = ("import resnetc as torch; torch.optim.SGD; torch.nn.Linear; torch.nn.functional.relu; "
            "torch.utils.data.DataLoader; import resnetc as torchvision; torchvision.transforms.ToTensor; "
            "torchvision.models.resnet18; torchvision.datasets.ImageFolder; import sys; "
            "assert 'resnetc.nn' in sys.modules")
    lazy = "import resnetc, sys; assert 'resnetc.models' not in sys.modules and 'resnetc.nn' not in sys.modules"
    for program in (code, lazy):
        result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
    with pytest.raises(AttributeError, match="no attribute 'nonexistent'"):
        resnetc.nonexistent
