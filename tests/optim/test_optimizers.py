"""resnetc.optim against torch.optim: 200 steps on the same parameters and gradient sequences
give the same parameters (1e-5 relative) and the same state, on every ISA."""
import copy
import pickle

import numpy as np
import pytest
import torch

import resnetc
from resnetc import optim
from resnetc.nn.parameter import Parameter

# Odd sizes: the vector loops' tails; 16384 + 13: two C chunks in one tensor.
# torch as the reference runs single-threaded: its elementwise results do not depend on threads,
# and its pool would otherwise fight our OpenMP threads on a shared 2-core machine.
torch.set_num_threads(1)

SHAPES = [(5, 3), (7,), (2, 3, 4, 4), (16384 + 13,), (1,)]
STEPS = 200

CASES = {
    "SGD": [dict(lr=0.01), dict(lr=0.01, momentum=0.9), dict(lr=0.01, momentum=0.9, dampening=0.1),
            dict(lr=0.01, momentum=0.9, nesterov=True), dict(lr=0.01, weight_decay=1e-2),
            dict(lr=0.01, maximize=True), dict(lr=0.01, momentum=0.8, weight_decay=1e-3, nesterov=True, maximize=True)],
    "Adam": [dict(lr=1e-2), dict(lr=1e-2, weight_decay=1e-2), dict(lr=1e-2, amsgrad=True),
             dict(lr=1e-2, maximize=True), dict(lr=1e-2, betas=(0.8, 0.99), eps=1e-6),
             dict(lr=1e-2, amsgrad=True, weight_decay=1e-3, maximize=True),
             dict(lr=1e-2, weight_decay=0.1, decoupled_weight_decay=True), dict(lr=1e-2, betas=(0.6, 0.9))],
    "AdamW": [dict(lr=1e-2), dict(lr=1e-2, weight_decay=0.1), dict(lr=1e-2, amsgrad=True),
              dict(lr=1e-2, maximize=True, weight_decay=1e-4), dict(lr=1e-2, betas=(0.5, 0.9), eps=1e-5)],
    "RMSprop": [dict(lr=1e-3), dict(lr=1e-3, momentum=0.9), dict(lr=1e-3, centered=True),
                dict(lr=1e-3, centered=True, momentum=0.5), dict(lr=1e-3, weight_decay=1e-2),
                dict(lr=1e-3, maximize=True), dict(lr=1e-3, alpha=0.3, eps=1e-4)],
    "Adagrad": [dict(lr=1e-2), dict(lr=1e-2, lr_decay=1e-2), dict(lr=1e-2, weight_decay=1e-2),
                dict(lr=1e-2, initial_accumulator_value=0.5), dict(lr=1e-2, eps=1e-3), dict(lr=1e-2, maximize=True)],
    "NAdam": [dict(lr=1e-2), dict(lr=1e-2, weight_decay=1e-2), dict(lr=1e-2, weight_decay=1e-2, decoupled_weight_decay=True),
              dict(lr=1e-2, momentum_decay=1e-2), dict(lr=1e-2, maximize=True), dict(lr=1e-2, betas=(0.8, 0.99))],
    "RAdam": [dict(lr=1e-2), dict(lr=1e-2, weight_decay=1e-2), dict(lr=1e-2, weight_decay=1e-2, decoupled_weight_decay=True),
              dict(lr=1e-2, maximize=True), dict(lr=1e-2, betas=(0.9, 0.99), eps=1e-6)],
}
PARAMS = [(name, kwargs) for name, cases in CASES.items() for kwargs in cases]


def make_problem(seed, shapes=SHAPES, steps=STEPS):
    rng = np.random.default_rng(seed)
    init = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    grads = [[rng.standard_normal(s).astype(np.float32) for s in shapes] for _ in range(steps)]
    return init, grads


def run_torch(name, kwargs, init, grads, frozen=()):
    params = [torch.nn.Parameter(torch.from_numpy(a.copy())) for a in init]
    opt = getattr(torch.optim, name)(params, **kwargs)
    for step_grads in grads:
        for i, (p, g) in enumerate(zip(params, step_grads)):
            p.grad = None if i in frozen else torch.from_numpy(g.copy())
        opt.step()
    return params, opt


def run_resnetc(name, kwargs, init, grads, frozen=(), opt=None, params=None):
    if params is None:
        params = [Parameter(a.copy()) for a in init]
    if opt is None:
        opt = getattr(optim, name)(params, **kwargs)
    for step_grads in grads:
        for i, (p, g) in enumerate(zip(params, step_grads)):
            p.grad = None if i in frozen else resnetc.Tensor(g.copy())
        opt.step()
    return params, opt


def to_numpy(value):
    return value.detach().numpy() if isinstance(value, torch.Tensor) else value


def assert_close(actual, expected, what):
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-6, err_msg=what)


def assert_same_state(ours, theirs):
    sd_ours, sd_theirs = ours.state_dict(), theirs.state_dict()
    assert sorted(sd_ours["state"]) == sorted(sd_theirs["state"])
    for index, expected in sd_theirs["state"].items():
        got = sd_ours["state"][index]
        assert list(got) == list(expected), (index, list(got), list(expected))
        for key, value in expected.items():
            value = to_numpy(value)
            if key in ("step", "mu_product"):
                assert got[key] == pytest.approx(float(value), rel=1e-6), key
            else:
                assert_close(got[key], value, f"state[{index}][{key!r}]")
    for g_ours, g_theirs in zip(sd_ours["param_groups"], sd_theirs["param_groups"]):
        assert g_ours == g_theirs


@pytest.mark.parametrize("name,kwargs", PARAMS, ids=[f"{n}-{'-'.join(f'{k}={v}' for k, v in kw.items())}"
                                                     for n, kw in PARAMS])
def test_matches_torch(name, kwargs, isa):
    init, grads = make_problem(1)
    frozen = (4,)  # a parameter without gradient is skipped and gets no state
    theirs, topt = run_torch(name, kwargs, init, grads, frozen)
    ours, oopt = run_resnetc(name, kwargs, init, grads, frozen)
    for i, (a, b) in enumerate(zip(ours, theirs)):
        assert_close(a.array, b.detach().numpy(), f"param {i}")
    np.testing.assert_array_equal(ours[4].array, init[4])
    assert_same_state(oopt, topt)


@pytest.mark.parametrize("name,kwargs", [(n, c[-1]) for n, c in CASES.items()])
def test_isas_agree_bitwise(name, kwargs):
    init, grads = make_problem(2, steps=20)
    results = []
    previous = resnetc.get_isa()
    try:
        for isa in resnetc.supported_isas():
            resnetc.set_isa(isa)
            results.append(run_resnetc(name, kwargs, init, grads)[0])
    finally:
        resnetc.set_isa(previous)
    for other in results[1:]:
        for a, b in zip(results[0], other):
            np.testing.assert_array_equal(a.array, b.array)


@pytest.mark.parametrize("name,kwargs", [(n, c[-1]) for n, c in CASES.items()])
def test_save_load_halfway_continues_exactly(name, kwargs):
    init, grads = make_problem(3, steps=60)
    straight, _ = run_resnetc(name, kwargs, init, grads)
    first, opt = run_resnetc(name, kwargs, init, grads[:30])
    saved = pickle.loads(pickle.dumps(opt.state_dict()))
    params = [Parameter(p.array.copy()) for p in first]
    fresh = getattr(optim, name)(params, **kwargs)
    fresh.load_state_dict(saved)
    resumed, _ = run_resnetc(name, kwargs, None, grads[30:], opt=fresh, params=params)
    for a, b in zip(straight, resumed):
        np.testing.assert_array_equal(a.array, b.array)


@pytest.mark.parametrize("name,kwargs", [(n, c[-1]) for n, c in CASES.items()])
def test_loads_torch_state_dict(name, kwargs):
    """A torch optimizer's state_dict converted to NumPy continues in resnetc like in torch."""
    init, grads = make_problem(4, steps=40)
    half, topt = run_torch(name, kwargs, init, grads[:20])
    sd = topt.state_dict()
    converted = {"state": {k: {n: (v.numpy() if isinstance(v, torch.Tensor) else v) for n, v in s.items()}
                           for k, s in sd["state"].items()},
                 "param_groups": copy.deepcopy(sd["param_groups"])}
    params = [Parameter(p.detach().numpy().copy()) for p in half]
    ours = getattr(optim, name)(params, **kwargs)
    ours.load_state_dict(converted)
    for p, g in zip(half, grads[20:]):
        pass
    for step_grads in grads[20:]:
        for p, g in zip(half, step_grads):
            p.grad = torch.from_numpy(g.copy())
        topt.step()
    run_resnetc(name, kwargs, None, grads[20:], opt=ours, params=params)
    for a, b in zip(params, half):
        assert_close(a.array, b.detach().numpy(), name)


def test_param_groups_with_own_options():
    init, grads = make_problem(5, steps=50)
    tp = [torch.nn.Parameter(torch.from_numpy(a.copy())) for a in init]
    rp = [Parameter(a.copy()) for a in init]
    topt = torch.optim.AdamW([{"params": tp[:2]}, {"params": tp[2:], "lr": 1e-3, "weight_decay": 0.0}], lr=1e-2)
    ropt = optim.AdamW([{"params": rp[:2]}, {"params": rp[2:], "lr": 1e-3, "weight_decay": 0.0}], lr=1e-2)
    for step_grads in grads:
        for a, b, g in zip(tp, rp, step_grads):
            a.grad, b.grad = torch.from_numpy(g.copy()), resnetc.Tensor(g.copy())
        topt.step()
        ropt.step()
    for a, b in zip(rp, tp):
        assert_close(a.array, b.detach().numpy(), "grouped")
    assert_same_state(ropt, topt)
