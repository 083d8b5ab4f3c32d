"""resnetc.amp against torch.amp on the CPU: GradScaler's scale trajectory, skipped steps and
parameters (1e-6), its errors and state_dict; autocast and the CUDA spellings disable
themselves as torch's do without a GPU."""
import warnings

import numpy as np
import pytest
import torch

import resnetc
from resnetc import amp, nn, optim


def _pair(seed=0):
    theirs = torch.nn.Linear(4, 3)
    ours = nn.Linear(4, 3)
    ours.load_state_dict({k: v.detach().numpy().copy() for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(seed).normal(size=(5, 4)).astype(np.float32)
    return ours, theirs, x


@pytest.mark.parametrize("init_scale, growth_interval", [(2.0 ** 16, 2), (2.0 ** 127, 3), (1.0, 1)])
def test_grad_scaler_matches_torch(init_scale, growth_interval):
    ours, theirs, x = _pair()
    ours_opt, theirs_opt = optim.SGD(ours.parameters(), lr=0.1), torch.optim.SGD(theirs.parameters(), lr=0.1)
    ours_scaler = amp.GradScaler("cpu", init_scale=init_scale, growth_interval=growth_interval)
    theirs_scaler = torch.amp.GradScaler("cpu", init_scale=init_scale, growth_interval=growth_interval)
    for step in range(8):
        factor = float("inf") if step == 4 else 1.0  # an overflowing step in the middle
        for model, opt, scaler, lib in ((ours, ours_opt, ours_scaler, resnetc), (theirs, theirs_opt, theirs_scaler, torch)):
            opt.zero_grad()
            loss = (model(lib.tensor(x)) ** 2).mean() * factor
            scaler.scale(loss).backward()
            if step % 2:
                scaler.unscale_(opt)  # as before clipping
            scaler.step(opt)
            scaler.update()
        assert ours_scaler.get_scale() == theirs_scaler.get_scale(), step
        for a, b in zip(ours.parameters(), theirs.parameters()):
            np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-6, atol=1e-6)
    assert ours_scaler.state_dict() == theirs_scaler.state_dict()


def test_grad_scaler_errors_and_state_dict():
    ours, _, x = _pair()
    opt = optim.SGD(ours.parameters(), lr=0.1)
    scaler = amp.GradScaler("cpu")
    scaler.scale((ours(resnetc.tensor(x)) ** 2).mean()).backward()
    scaler.unscale_(opt)
    with pytest.raises(RuntimeError, match="unscale_\\(\\) has already been called"):
        scaler.unscale_(opt)
    scaler.step(opt)
    with pytest.raises(RuntimeError, match="unscale_\\(\\) is being called after step"):
        scaler.unscale_(opt)
    with pytest.raises(RuntimeError, match="Closure use is not currently supported"):
        amp.GradScaler("cpu").step(opt, closure=lambda: 0)
    scaler.update()
    copy = amp.GradScaler("cpu", init_scale=3.0)
    copy.load_state_dict(scaler.state_dict())
    assert copy.state_dict() == scaler.state_dict()
    with pytest.raises(ValueError, match="outputs must be a Tensor"):
        scaler.scale("loss")


def test_cuda_spellings_disable_themselves_like_torch_without_a_gpu():
    from resnetc.cuda.amp import GradScaler, autocast
    with pytest.warns(UserWarning, match="CUDA is not available.  Disabling"):
        scaler = GradScaler()
    assert not scaler.is_enabled() and scaler.get_scale() == 1.0 and scaler.state_dict() == {}
    ours, _, x = _pair()
    opt = optim.SGD(ours.parameters(), lr=0.1)
    loss = (ours(resnetc.tensor(x)) ** 2).mean()
    assert scaler.scale(loss) is loss
    loss.backward()
    before = ours.weight.detach().numpy().copy()
    scaler.step(opt)
    scaler.update()
    assert not np.array_equal(before, ours.weight.detach().numpy())  # a plain step
    with pytest.warns(UserWarning, match="device_type of 'cuda'"):
        with autocast():
            pass
    assert amp.GradScaler("cuda", enabled=False).is_enabled() is False


def test_autocast_on_the_cpu_computes_in_float32():
    ours, _, x = _pair()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with resnetc.autocast("cpu", dtype=resnetc.bfloat16 if hasattr(resnetc, "bfloat16") else None):
            out = ours(resnetc.tensor(x))

        @resnetc.autocast("cpu")
        def forward(inp):
            return ours(inp)
        again = forward(resnetc.tensor(x))
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out.detach().numpy(), again.detach().numpy())
    with pytest.raises(ValueError, match="device_type"):
        resnetc.autocast(0)
