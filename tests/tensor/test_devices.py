"""torch code's device handling on resnetc (CPU only): resnetc.device, resnetc.cuda,
Tensor.to / Module.to with devices and dtypes, and the comparison methods, against torch."""
import numpy as np
import pytest
import torch

import resnetc
from resnetc import models, nn, optim


def test_device_is_the_cpu_and_says_so_otherwise():
    for spec in ("cpu", "cpu:0", resnetc.device("cpu")):
        ours, theirs = resnetc.device(spec), torch.device(str(spec))
        assert (repr(ours), str(ours), ours.type, ours.index) == (repr(theirs), str(theirs), theirs.type, theirs.index)
    assert resnetc.device("cpu") == resnetc.device("cpu") != resnetc.device("cpu:0")
    assert not resnetc.cuda.is_available() and resnetc.cuda.device_count() == 0
    for spec in ("cuda", "cuda:1", "mps", "hpu"):
        with pytest.raises(RuntimeError, match=f"CPU only: device '{spec}' is not available"):
            resnetc.device(spec)


def test_tensor_to_follows_torch():
    x = resnetc.Tensor(np.arange(6, dtype=np.float32).reshape(2, 3), requires_grad=True)
    assert x.to("cpu") is x and x.to(resnetc.device("cpu")) is x and x.to(x) is x
    assert x.to(device="cpu", non_blocking=True) is x
    doubled = x.to("cpu", resnetc.float64)
    assert doubled.dtype == np.float64 and x.to(dtype=np.float16).dtype == np.float16
    assert x.to(np.zeros(1, np.int64)).dtype == np.int64 and x.to(np.int64).dtype == np.int64
    copied = x.to(copy=True)
    assert copied is not x and not np.shares_memory(copied.array, x.array)
    assert x.to(np.float32, False, True) is not x and x.to(np.float32, True) is x  # torch's positional (non_blocking, copy)
    assert x.device == resnetc.device("cpu") and x.to(x.device) is x  # labels.to(outputs.device)
    with pytest.raises(RuntimeError, match="CPU only: device 'hpu'"):
        x.to("hpu")
    (doubled.sum() + copied.sum()).backward()
    np.testing.assert_array_equal(x.grad.array, np.full((2, 3), 2, np.float32))  # both copies differentiate
    with pytest.raises(RuntimeError, match="CPU only"):
        x.to("cuda")
    with pytest.raises(RuntimeError, match="CPU only"):
        x.cuda()
    with pytest.raises(TypeError, match="unexpected keyword"):
        x.to(devcie="cpu")


def test_module_to_returns_the_module_on_the_cpu_in_float32():
    model = models.resnet18(num_classes=3)
    assert model.to("cpu") is model and model.to(resnetc.device("cpu"), resnetc.float32) is model
    assert model.cpu() is model and model.float() is model
    with pytest.raises(TypeError, match="compute in float32"):
        model.to(resnetc.float64)
    with pytest.raises(RuntimeError, match="CPU only"):
        model.cuda()


@pytest.mark.parametrize("name", ["eq", "ne", "lt", "le", "gt", "ge"])
def test_comparison_methods(name):
    a, b = np.array([1.0, 2.0, 3.0], np.float32), np.array([2.0, 2.0, 1.0], np.float32)
    ours = getattr(resnetc.Tensor(a), name)(resnetc.Tensor(b))
    np.testing.assert_array_equal(ours.array, getattr(torch.tensor(a), name)(torch.tensor(b)).numpy())


def test_transfer_learning_tutorial_loop_runs_as_written():
    """The training step of PyTorch's transfer-learning tutorial, with resnetc's names."""
    device = resnetc.device("cuda:0" if resnetc.cuda.is_available() else "cpu")
    model = models.resnet18(num_classes=2).to(device)
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.SGD(model.parameters(), lr=0.001, momentum=0.9)
    rng = np.random.default_rng(0)
    inputs = resnetc.Tensor(rng.standard_normal((4, 3, 32, 32)).astype(np.float32)).to(device)
    labels = resnetc.Tensor(np.array([0, 1, 1, 0])).to(device)
    optimizer.zero_grad()
    with resnetc.set_grad_enabled(True):
        outputs = model(inputs)
        _, preds = resnetc.max(outputs, 1)
        loss = criterion(outputs, labels)
        loss.backward()
        optimizer.step()
    running_loss = loss.item() * inputs.size(0)
    running_corrects = resnetc.sum(preds == labels.data)
    accuracy = running_corrects.double() / 4
    np.testing.assert_array_equal(preds.array, np.argmax(outputs.array, 1))
    assert float(accuracy) == np.mean(np.argmax(outputs.array, 1) == labels.array)
    assert running_loss == pytest.approx(4 * loss.item()) and np.isfinite(running_loss)
