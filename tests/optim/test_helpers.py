"""Gradient clipping, weight-decay parameter groups, AveragedModel/EMA and SWALR against torch;
bad optimizer arguments raise torch's ValueErrors."""
import math

import numpy as np
import pytest
import torch
import torchvision

import resnetc
import resnetc.models
from resnetc import _C, nn, optim
from resnetc.nn.parameter import Parameter
from resnetc.nn.utils import clip_grad_norm_, clip_grad_value_
from resnetc.optim import swa_utils
from resnetc.optim.param_groups import param_groups_no_weight_decay, set_weight_decay
from resnetc.training.trainer import gradient_norms

torch.set_num_threads(1)


def pair_params(rng, shapes=((4, 3), (7,), (2, 3, 5)), scale=1.0):
    tp, rp = [], []
    for s in shapes:
        value = rng.standard_normal(s).astype(np.float32)
        grad = (rng.standard_normal(s) * scale).astype(np.float32)
        t = torch.nn.Parameter(torch.from_numpy(value.copy()))
        t.grad = torch.from_numpy(grad.copy())
        r = Parameter(value.copy())
        r.grad = resnetc.Tensor(grad.copy())
        tp.append(t)
        rp.append(r)
    return tp, rp


@pytest.mark.parametrize("max_norm", [0.5, 1e3])
@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf])
def test_clip_grad_norm_matches_torch(max_norm, norm_type):
    tp, rp = pair_params(np.random.default_rng(0))
    rp[1].grad = None  # parameters without gradient are skipped
    tp[1].grad = None
    expected = torch.nn.utils.clip_grad_norm_(tp, max_norm, norm_type=norm_type)
    got = clip_grad_norm_(rp, max_norm, norm_type=norm_type)
    assert isinstance(got, resnetc.Tensor) and got.array.dtype == np.float32 and got.shape == ()
    np.testing.assert_allclose(float(got.array), float(expected), rtol=1e-6)
    for a, b in zip(rp, tp):
        if b.grad is not None:
            np.testing.assert_allclose(a.grad.array, b.grad.numpy(), rtol=1e-6, atol=1e-7)


# Sizes around the 8-lane loop's tail and the 2-thread split (65536 elements).
@pytest.mark.parametrize("n", [0, 1, 7, 8, 9, 65535, 65536, 65539, 300001])
def test_sum_of_squares_matches_exact_sum(n):
    x = np.random.default_rng(n).standard_normal(n).astype(np.float32)
    exact = math.fsum(float(v) * float(v) for v in x.astype(np.float64))
    got = _C.sum_of_squares(x)
    assert isinstance(got, float)
    assert abs(got - exact) <= 1e-12 * max(exact, 1.0)


def test_sum_of_squares_propagates_nonfinite_and_rejects_bad_arrays():
    x = np.ones(100_000, np.float32)
    x[70_000] = np.inf
    assert _C.sum_of_squares(x) == math.inf
    x[10] = np.nan
    assert math.isnan(_C.sum_of_squares(x))
    with pytest.raises(TypeError, match="sum_of_squares: x must have dtype numpy.float32"):
        _C.sum_of_squares(np.ones(3))
    with pytest.raises(ValueError, match="sum_of_squares: x must be C-contiguous"):
        _C.sum_of_squares(np.ones((4, 4), np.float32)[:, ::2])


def test_get_total_norm_matches_torch_on_large_and_strided_gradients():
    rng = np.random.default_rng(3)
    grads = [rng.standard_normal((300, 700)).astype(np.float32),          # above the threading threshold
             rng.standard_normal((64, 90)).astype(np.float32)[:, ::3],     # not contiguous
             rng.standard_normal(5).astype(np.float64)]                    # float64 keeps NumPy's path
    expected = torch.nn.utils.get_total_norm([torch.from_numpy(np.ascontiguousarray(g)) for g in grads])
    exact = math.sqrt(sum(float(np.sum(g.astype(np.float64) ** 2)) for g in grads))
    got = float(nn.utils.get_total_norm(grads).array)
    # torch sums 210000 squares in float32 (1.5e-6 off here); ours sums in float64.
    np.testing.assert_allclose(got, float(expected), rtol=5e-6)
    np.testing.assert_allclose(got, exact, rtol=1e-7)


class TwoLayersAndAnUnusedOne(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Linear(6, 4)
        self.head = nn.Linear(4, 3)
        self.unused = nn.Linear(2, 2)

    def forward(self, x):
        return self.head(self.features(x))


def test_trainer_gradient_norms_per_top_level_child():
    model = TwoLayersAndAnUnusedOne()
    rng = np.random.default_rng(4)
    loss = model(resnetc.Tensor(rng.standard_normal((5, 6)).astype(np.float32))).sum()
    loss.backward()
    norms = gradient_norms(model)

    def norm(*arrays):
        return math.sqrt(sum(float(np.sum(a.astype(np.float64) ** 2)) for a in arrays))

    features = [p.grad.array for p in model.features.parameters()]
    head = [p.grad.array for p in model.head.parameters()]
    assert set(norms) == {"features", "head", "total"}  # parameters without gradients are skipped
    assert norms["features"] == pytest.approx(norm(*features), rel=1e-6)
    assert norms["head"] == pytest.approx(norm(*head), rel=1e-6)
    assert norms["total"] == pytest.approx(norm(*features, *head), rel=1e-6)


def test_clip_grad_norm_nonfinite():
    tp, rp = pair_params(np.random.default_rng(1))
    rp[0].grad.array[0, 0] = np.inf
    with pytest.raises(RuntimeError, match=r"^The total norm of order 2.0 for gradients from `parameters` is "
                                           r"non-finite, so it cannot be clipped"):
        clip_grad_norm_(rp, 1.0, error_if_nonfinite=True)
    assert math.isinf(float(clip_grad_norm_(rp, 1.0).array))  # without the flag: scaled anyway, like torch
    assert float(clip_grad_norm_([Parameter(np.ones(2, np.float32))], 1.0).array) == 0.0  # no grads: 0


def test_torch_names():
    assert nn.utils.clip_grad_norm_ is clip_grad_norm_  # reachable as resnetc.nn.utils, like torch.nn.utils
    assert optim.swa_utils.AveragedModel is swa_utils.AveragedModel
    assert optim.lr_scheduler.ReduceLROnPlateau.__name__ == "ReduceLROnPlateau"


def test_clip_grad_value_matches_torch():
    tp, rp = pair_params(np.random.default_rng(2), scale=3.0)
    torch.nn.utils.clip_grad_value_(tp, 0.7)
    clip_grad_value_(rp, 0.7)
    for a, b in zip(rp, tp):
        np.testing.assert_array_equal(a.grad.array, b.grad.numpy())
    clip_grad_value_(rp[0], 0.1)  # a single Tensor is accepted
    assert np.abs(rp[0].grad.array).max() <= np.float32(0.1)


def _expected_groups(tmodel, weight_decay):
    """torchvision's recipe, computed on the torchvision model: BN parameters and biases get 0."""
    decay, no_decay = [], []
    for mname, module in tmodel.named_modules():
        for pname, _ in module.named_parameters(recurse=False):
            full = f"{mname}.{pname}" if mname else pname
            is_norm = isinstance(module, torch.nn.modules.batchnorm._BatchNorm)
            (no_decay if pname == "bias" or is_norm else decay).append(full)
    return decay, no_decay


def test_param_groups_without_weight_decay_on_resnet18():
    model = resnetc.models.resnet18()
    names = {id(p): n for n, p in model.named_parameters()}
    groups = param_groups_no_weight_decay(model, 1e-4)
    decay, no_decay = _expected_groups(torchvision.models.resnet18(), 1e-4)
    by_decay = {}
    for group in groups:
        by_decay.setdefault(group["weight_decay"], []).extend(names[id(p)] for p in group["params"])
    assert sorted(by_decay[1e-4]) == sorted(decay)
    assert sorted(by_decay[0.0]) == sorted(no_decay)
    opt = optim.SGD(groups, lr=0.1, momentum=0.9, weight_decay=1e-4)
    assert [g["weight_decay"] for g in opt.param_groups] == [1e-4, 0.0, 0.0]


def test_set_weight_decay_custom_keys_and_frozen():
    model = resnetc.models.resnet18()
    model.conv1.weight.requires_grad = False
    groups = set_weight_decay(model, 5e-5, norm_weight_decay=None, custom_keys_weight_decay=[("fc.weight", 0.1)])
    assert [g["weight_decay"] for g in groups] == [5e-5, 0.1]
    assert groups[1]["params"] == [model.fc.weight]
    assert all(p is not model.conv1.weight for p in groups[0]["params"])
    assert len(groups[0]["params"]) == len(list(model.parameters())) - 2


class TinyNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 3)
        self.bn = nn.BatchNorm1d(3)


def _tiny_pair(rng):
    tmodel = torch.nn.Sequential()
    tmodel.fc = torch.nn.Linear(4, 3)
    tmodel.bn = torch.nn.BatchNorm1d(3)
    rmodel = TinyNet()
    rmodel.load_state_dict({k: v.numpy().copy() for k, v in tmodel.state_dict().items()})
    return tmodel, rmodel


def _perturb(tmodel, rmodel, rng):
    for (name, t), r in zip(tmodel.state_dict().items(), rmodel.state_dict().values()):
        if t.dtype.is_floating_point:
            delta = rng.standard_normal(t.shape).astype(np.float32)
            t.add_(torch.from_numpy(delta))
            r.array[...] = t.numpy()
        else:
            t.add_(1)
            r.array[...] = t.numpy()


@pytest.mark.parametrize("use_buffers", [False, True])
@pytest.mark.parametrize("kind", ["ema", "swa"])
def test_averaged_model_matches_torch(kind, use_buffers):
    rng = np.random.default_rng(3)
    tmodel, rmodel = _tiny_pair(rng)
    tfn = torch.optim.swa_utils.get_ema_multi_avg_fn(0.9) if kind == "ema" else None
    rfn = swa_utils.get_ema_multi_avg_fn(0.9) if kind == "ema" else None
    tavg = torch.optim.swa_utils.AveragedModel(tmodel, multi_avg_fn=tfn, use_buffers=use_buffers)
    ravg = swa_utils.AveragedModel(rmodel, multi_avg_fn=rfn, use_buffers=use_buffers)
    for _ in range(25):
        _perturb(tmodel, rmodel, rng)
        tavg.update_parameters(tmodel)
        ravg.update_parameters(rmodel)
    tsd, rsd = tavg.state_dict(), ravg.state_dict()
    assert list(rsd) == list(tsd)
    for key in tsd:
        np.testing.assert_allclose(rsd[key].array, tsd[key].numpy(), rtol=1e-5, atol=1e-6, err_msg=key)
    assert ravg.module is not rmodel and ravg.module.fc.weight is not rmodel.fc.weight


def test_averaged_model_avg_fn():
    rng = np.random.default_rng(4)
    tmodel, rmodel = _tiny_pair(rng)
    tavg = torch.optim.swa_utils.AveragedModel(tmodel, avg_fn=torch.optim.swa_utils.get_ema_avg_fn(0.8))
    ravg = swa_utils.AveragedModel(rmodel, avg_fn=swa_utils.get_ema_avg_fn(0.8))
    for _ in range(10):
        _perturb(tmodel, rmodel, rng)
        tavg.update_parameters(tmodel)
        ravg.update_parameters(rmodel)
    for (key, t), r in zip(tavg.state_dict().items(), ravg.state_dict().values()):
        np.testing.assert_allclose(r.array, t.numpy(), rtol=1e-5, atol=1e-6, err_msg=key)


@pytest.mark.parametrize("anneal_strategy", ["cos", "linear"])
@pytest.mark.parametrize("anneal_epochs", [0, 7])
def test_swalr_matches_torch(anneal_strategy, anneal_epochs):
    topt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(2))], lr=0.3)
    ropt = optim.SGD([Parameter(np.zeros(2, np.float32))], lr=0.3)
    tsched = torch.optim.swa_utils.SWALR(topt, swa_lr=0.05, anneal_epochs=anneal_epochs,
                                         anneal_strategy=anneal_strategy)
    rsched = swa_utils.SWALR(ropt, swa_lr=0.05, anneal_epochs=anneal_epochs, anneal_strategy=anneal_strategy)
    for _ in range(20):
        np.testing.assert_allclose(rsched.get_last_lr(), tsched.get_last_lr(), rtol=1e-10)
        topt.step()
        ropt.step()
        tsched.step()
        rsched.step()


BAD = [
    (optim.SGD, dict(lr=-1), "Invalid learning rate: -1"),
    (optim.SGD, dict(lr=0.1, momentum=-0.5), "Invalid momentum value: -0.5"),
    (optim.SGD, dict(lr=0.1, weight_decay=-1e-4), "Invalid weight_decay value: -0.0001"),
    (optim.SGD, dict(lr=0.1, nesterov=True), "Nesterov momentum requires a momentum and zero dampening"),
    (optim.Adam, dict(lr=-0.001), "Invalid learning rate: -0.001"),
    (optim.Adam, dict(betas=(1.0, 0.999)), "Invalid beta parameter at index 0: 1.0"),
    (optim.AdamW, dict(betas=(0.9, -0.1)), "Invalid beta parameter at index 1: -0.1"),
    (optim.AdamW, dict(eps=-1e-8), "Invalid epsilon value: -1e-08"),
    (optim.RMSprop, dict(alpha=-0.1), "Invalid alpha value: -0.1"),
    (optim.Adagrad, dict(lr_decay=-1), "Invalid lr_decay value: -1"),
    (optim.Adagrad, dict(initial_accumulator_value=-1), "Invalid initial_accumulator_value value: -1"),
    (optim.NAdam, dict(momentum_decay=-1), "Invalid momentum_decay value: -1"),
    (optim.RAdam, dict(betas=(0.9, 1.5)), "Invalid beta parameter at index 1: 1.5"),
]


@pytest.mark.parametrize("cls,kwargs,message", BAD, ids=[f"{c.__name__}-{m}" for c, _, m in BAD])
def test_bad_arguments_raise_like_torch(cls, kwargs, message):
    with pytest.raises(ValueError) as ours:
        cls([Parameter(np.zeros(2, np.float32))], **kwargs)
    with pytest.raises(ValueError) as theirs:
        getattr(torch.optim, cls.__name__)([torch.nn.Parameter(torch.zeros(2))], **kwargs)
    assert str(ours.value) == str(theirs.value) == message


def test_bad_parameter_lists():
    p = Parameter(np.zeros(2, np.float32))
    with pytest.raises(ValueError, match=r"^optimizer got an empty parameter list$"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="should be an iterable of Tensors or dicts"):
        optim.SGD(p, lr=0.1)
    with pytest.raises(ValueError, match=r"^some parameters appear in more than one parameter group$"):
        optim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1)
    with pytest.raises(ValueError, match="required optimization parameter lr"):
        optim.Optimizer([p], {"lr": optim.optimizer.required})
    with pytest.raises(TypeError, match="optimizer can only optimize Tensors"):
        optim.SGD([np.zeros(2)], lr=0.1)


def test_load_state_dict_from_a_different_layout():
    rng = np.random.default_rng(5)
    params = [Parameter(rng.standard_normal(s).astype(np.float32)) for s in [(3, 2), (4,)]]
    opt = optim.Adam(params, lr=0.1)
    for p in params:
        p.grad = resnetc.Tensor(np.ones_like(p.array))
    opt.step()
    sd = opt.state_dict()
    with pytest.raises(ValueError, match=r"^loaded state dict has a different number of parameter groups$"):
        optim.Adam([{"params": [params[0]]}, {"params": [params[1]]}]).load_state_dict(sd)
    with pytest.raises(ValueError, match="doesn't match the size of optimizer's group"):
        optim.Adam(params[:1]).load_state_dict(sd)
    swapped = [Parameter(np.zeros(4, np.float32)), Parameter(np.zeros((3, 2), np.float32))]
    with pytest.raises(ValueError, match=r"state 'exp_avg' of shape \(3, 2\) for parameter 0 of shape \(4,\): "
                                         "it belongs to a different parameter layout"):
        optim.Adam(swapped).load_state_dict(sd)


def test_zero_grad_step_closure_and_repr():
    p = Parameter(np.ones(3, np.float32))
    opt = optim.SGD([p], lr=0.5)
    p.grad = resnetc.Tensor(np.ones(3, np.float32))
    assert opt.step(lambda: 42.0) == 42.0
    np.testing.assert_array_equal(p.array, np.full(3, 0.5, np.float32))
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(p.grad.array, np.zeros(3, np.float32))
    opt.zero_grad()
    assert p.grad is None
    opt.step()  # no gradient: nothing happens
    np.testing.assert_array_equal(p.array, np.full(3, 0.5, np.float32))
    assert "SGD (" in repr(opt) and "lr: 0.5" in repr(opt)
    named = optim.AdamW([("w", p)], lr=1e-3)
    assert named.param_groups[0]["param_names"] == ["w"]


def test_update_bn_matches_torch():
    rng = np.random.default_rng(6)
    tmodel = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.BatchNorm1d(3))
    rmodel = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3))
    rmodel.load_state_dict({k: v.numpy().copy() for k, v in tmodel.state_dict().items()})
    batches = [rng.standard_normal((5, 4)).astype(np.float32) * (i + 1) for i in range(4)]
    tmodel.eval()
    rmodel.eval()
    torch.optim.swa_utils.update_bn([(torch.from_numpy(b), 0) for b in batches], tmodel)
    swa_utils.update_bn([(resnetc.Tensor(b), 0) for b in batches], rmodel)
    assert not rmodel.training and rmodel[1].momentum == tmodel[1].momentum == 0.1
    for key in ("1.running_mean", "1.running_var"):
        np.testing.assert_allclose(rmodel.state_dict()[key].array, tmodel.state_dict()[key].numpy(), rtol=1e-5,
                                   atol=1e-6, err_msg=key)


def test_step_hooks():
    p = Parameter(np.ones(2, np.float32))
    p.grad = resnetc.Tensor(np.ones(2, np.float32))
    opt = optim.SGD([p], lr=0.1)
    calls = []
    pre = opt.register_step_pre_hook(lambda o, a, k: calls.append(("pre", float(p.array[0]))))
    opt.register_step_post_hook(lambda o, a, k: calls.append(("post", float(p.array[0]))))
    opt.step()
    pre.remove()
    opt.step()
    assert calls == [("pre", 1.0), ("post", pytest.approx(0.9)), ("post", pytest.approx(0.8))]
