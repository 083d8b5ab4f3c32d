"""resnetc.optim.lr_scheduler against torch.optim.lr_scheduler: the lr (and momentum) sequences
over 300 steps agree to 1e-10 relative, and a halfway save/load continues exactly."""
import copy
import math
import pickle

import numpy as np
import pytest
import torch

import resnetc
from resnetc import optim
from resnetc.nn.parameter import Parameter

STEPS = 300


def make_optimizers(kind="SGD", lrs=(0.1, 0.02)):
    """The same two-group optimizer in torch and resnetc."""
    tp = [torch.nn.Parameter(torch.zeros(3)) for _ in lrs]
    rp = [Parameter(np.zeros(3, np.float32)) for _ in lrs]
    extra = dict(momentum=0.9) if kind == "SGD" else {}
    topt = getattr(torch.optim, kind)([{"params": [p], "lr": lr} for p, lr in zip(tp, lrs)], **extra)
    ropt = getattr(optim, kind)([{"params": [p], "lr": lr} for p, lr in zip(rp, lrs)], **extra)
    return topt, ropt


def _warmup_then_cosine(lib, opt):
    s = lib.optim.lr_scheduler if lib is torch else optim.lr_scheduler
    return s.SequentialLR(opt, [s.LinearLR(opt, start_factor=0.01, total_iters=10),
                                s.CosineAnnealingLR(opt, T_max=100, eta_min=1e-4)], milestones=[10])


def _sequential3(lib, opt):
    s = lib.optim.lr_scheduler if lib is torch else optim.lr_scheduler
    return s.SequentialLR(opt, [s.ConstantLR(opt, factor=0.5, total_iters=5), s.ExponentialLR(opt, gamma=0.99),
                                s.StepLR(opt, step_size=30, gamma=0.5)], milestones=[20, 120])


def _chained(lib, opt):
    s = lib.optim.lr_scheduler if lib is torch else optim.lr_scheduler
    return s.ChainedScheduler([s.ConstantLR(opt, factor=0.1, total_iters=7), s.ExponentialLR(opt, gamma=0.98),
                               s.MultiStepLR(opt, milestones=[50, 150, 150], gamma=0.3)])


def _chained_cosine_warmup(lib, opt):
    s = lib.optim.lr_scheduler if lib is torch else optim.lr_scheduler
    return s.ChainedScheduler([s.LinearLR(opt, start_factor=0.1, total_iters=20),
                               s.CosineAnnealingLR(opt, T_max=70)], optimizer=opt)


class Scale:
    """A callable with state: its __dict__ travels in state_dict, as in torch."""

    def __init__(self, rate):
        self.rate = rate

    def __call__(self, epoch):
        return self.rate**epoch


SCHEDULERS = {
    "LambdaLR": lambda s, o: s.LambdaLR(o, lr_lambda=lambda e: 1.0 / (1 + 0.05 * e)),
    "LambdaLR-per-group": lambda s, o: s.LambdaLR(o, lr_lambda=[Scale(0.99), lambda e: 0.5 ** (e // 40)]),
    "MultiplicativeLR": lambda s, o: s.MultiplicativeLR(o, lr_lambda=lambda e: 0.995 if e % 3 else 1.01),
    "StepLR": lambda s, o: s.StepLR(o, step_size=37, gamma=0.7),
    "MultiStepLR": lambda s, o: s.MultiStepLR(o, milestones=[30, 80, 80, 200], gamma=0.3),
    "ConstantLR": lambda s, o: s.ConstantLR(o, factor=0.25, total_iters=40),
    "LinearLR": lambda s, o: s.LinearLR(o, start_factor=0.05, end_factor=0.9, total_iters=123),
    "ExponentialLR": lambda s, o: s.ExponentialLR(o, gamma=0.987),
    "PolynomialLR": lambda s, o: s.PolynomialLR(o, total_iters=250, power=2.5),
    "CosineAnnealingLR": lambda s, o: s.CosineAnnealingLR(o, T_max=70, eta_min=1e-3),
    "CosineAnnealingWarmRestarts": lambda s, o: s.CosineAnnealingWarmRestarts(o, T_0=15, T_mult=2, eta_min=1e-4),
    "CosineAnnealingWarmRestarts-T1": lambda s, o: s.CosineAnnealingWarmRestarts(o, T_0=33),
    "CyclicLR-triangular": lambda s, o: s.CyclicLR(o, base_lr=0.01, max_lr=[0.1, 0.2], step_size_up=23),
    "CyclicLR-triangular2": lambda s, o: s.CyclicLR(o, base_lr=[0.01, 0.001], max_lr=0.1, step_size_up=20,
                                                    step_size_down=35, mode="triangular2"),
    "CyclicLR-exp_range": lambda s, o: s.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=17, mode="exp_range",
                                                  gamma=0.995, base_momentum=0.7, max_momentum=0.95),
    "CyclicLR-scale_fn": lambda s, o: s.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=10,
                                                 scale_fn=lambda x: 1 / (1 + x), scale_mode="iterations"),
    "OneCycleLR-cos": lambda s, o: s.OneCycleLR(o, max_lr=[0.5, 0.1], total_steps=STEPS + 1),
    "OneCycleLR-linear-3phase": lambda s, o: s.OneCycleLR(o, max_lr=0.3, epochs=10, steps_per_epoch=31,
                                                          pct_start=0.25, anneal_strategy="linear",
                                                          three_phase=True, div_factor=10.0),
}
COMPOSITES = {"SequentialLR-warmup-cosine": _warmup_then_cosine, "SequentialLR-3": _sequential3,
              "ChainedScheduler": _chained, "ChainedScheduler-warmup-cosine": _chained_cosine_warmup}


def build(name, lib, opt):
    if name in COMPOSITES:
        return COMPOSITES[name](lib, opt)
    module = torch.optim.lr_scheduler if lib is torch else optim.lr_scheduler
    return SCHEDULERS[name](module, opt)


def momenta(opt):
    return [g["betas"][0] if "betas" in g else g.get("momentum") for g in opt.param_groups]


def assert_lrs_equal(got, expected):
    np.testing.assert_allclose(np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64),
                               rtol=1e-10, atol=0)


ALL = sorted(SCHEDULERS) + sorted(COMPOSITES)


@pytest.mark.parametrize("kind", ["SGD", "Adam"])
@pytest.mark.parametrize("name", ALL)
def test_sequence_matches_torch(name, kind):
    topt, ropt = make_optimizers(kind)
    tsched, rsched = build(name, torch, topt), build(name, resnetc, ropt)
    assert_lrs_equal(rsched.get_last_lr(), tsched.get_last_lr())
    for step in range(STEPS):
        topt.step()
        ropt.step()
        tsched.step()
        rsched.step()
        assert_lrs_equal(rsched.get_last_lr(), tsched.get_last_lr())
        assert_lrs_equal([g["lr"] for g in ropt.param_groups], [g["lr"] for g in topt.param_groups])
        assert_lrs_equal(momenta(ropt), momenta(topt))


@pytest.mark.parametrize("name", ALL)
def test_save_load_halfway_continues_exactly(name):
    _, straight_opt = make_optimizers()
    straight = build(name, resnetc, straight_opt)
    _, opt = make_optimizers()
    sched = build(name, resnetc, opt)
    expected, got = [], []
    for step in range(STEPS):
        straight.step()
        expected.append(straight.get_last_lr() + momenta(straight_opt))
    for step in range(STEPS // 2):
        sched.step()
        got.append(sched.get_last_lr() + momenta(opt))
    saved = pickle.loads(pickle.dumps((opt.state_dict(), sched.state_dict()))) if "Lambda" not in name and \
        "scale_fn" not in name else copy.deepcopy((opt.state_dict(), sched.state_dict()))
    _, opt2 = make_optimizers()
    sched2 = build(name, resnetc, opt2)
    opt2.load_state_dict(saved[0])
    sched2.load_state_dict(saved[1])
    for step in range(STEPS - STEPS // 2):
        sched2.step()
        got.append(sched2.get_last_lr() + momenta(opt2))
    assert got == expected


def plateau_metrics(seed, n=STEPS, threshold=0.01):
    """Improvements above and within the threshold, plateaus and setbacks."""
    rng = np.random.default_rng(seed)
    value, out = 10.0, []
    for _ in range(n):
        r = rng.random()
        if r < 0.2:
            value *= 0.8  # clear improvement
        elif r < 0.4:
            value *= 1 - threshold / 3  # better, but within a relative threshold
        elif r < 0.5:
            value -= threshold / 3  # better, but within an absolute threshold
        elif r < 0.8:
            pass  # plateau
        else:
            value *= 1.1  # setback
        out.append(value)
    return out


@pytest.mark.parametrize("mode", ["min", "max"])
@pytest.mark.parametrize("threshold_mode", ["rel", "abs"])
@pytest.mark.parametrize("options", [dict(factor=0.5, patience=3, threshold=0.01, cooldown=2, min_lr=1e-3),
                                     dict(factor=0.3, patience=0, threshold=0.01, cooldown=0, min_lr=[1e-3, 5e-3]),
                                     dict(factor=0.9, patience=5, threshold=0.0, cooldown=4, min_lr=0, eps=1e-3),
                                     dict()])
def test_reduce_lr_on_plateau_matches_torch(mode, threshold_mode, options):
    topt, ropt = make_optimizers()
    tsched = torch.optim.lr_scheduler.ReduceLROnPlateau(topt, mode=mode, threshold_mode=threshold_mode, **options)
    rsched = optim.lr_scheduler.ReduceLROnPlateau(ropt, mode=mode, threshold_mode=threshold_mode, **options)
    metrics = plateau_metrics(7, threshold=options.get("threshold", 1e-4))
    if mode == "max":
        metrics = [1.0 / m for m in metrics]
    reductions, cooled, within_threshold = 0, False, 0
    for i, metric in enumerate(metrics):
        cooled |= rsched.cooldown_counter > 0
        strictly_better = metric < rsched.best if mode == "min" else metric > rsched.best
        within_threshold += strictly_better and not rsched._is_better(metric, rsched.best)
        before = tsched.get_last_lr()
        tsched.step(metric)
        rsched.step(np.float64(metric) if i % 2 else metric)  # any float-like metric
        reductions += tsched.get_last_lr() != before
        assert_lrs_equal(rsched.get_last_lr(), tsched.get_last_lr())
        assert (rsched.best, rsched.num_bad_epochs, rsched.cooldown_counter) == (
            pytest.approx(tsched.best, rel=1e-7) if math.isfinite(tsched.best) else tsched.best,
            tsched.num_bad_epochs, tsched.cooldown_counter)
        if i == STEPS // 2:  # save/load halfway continues exactly
            saved = pickle.loads(pickle.dumps((ropt.state_dict(), rsched.state_dict())))
            _, ropt = make_optimizers()
            rsched = optim.lr_scheduler.ReduceLROnPlateau(ropt, mode="min")
            ropt.load_state_dict(saved[0])
            rsched.load_state_dict(saved[1])
    assert reductions > 0
    assert (within_threshold > 0) == (options.get("threshold", 1e-4) > 0)  # improvements too small to count
    assert cooled == (options.get("cooldown", 0) > 0)
    if "min_lr" in options and options["min_lr"]:
        floors = options["min_lr"] if isinstance(options["min_lr"], list) else [options["min_lr"]] * 2
        assert rsched.get_last_lr() == floors  # the lr came down to min_lr and stayed there


def test_scheduler_bad_arguments():
    _, opt = make_optimizers()
    s = optim.lr_scheduler
    with pytest.raises(ValueError, match=r"^Factor should be < 1.0.$"):
        s.ReduceLROnPlateau(opt, factor=1.0)
    with pytest.raises(ValueError, match=r"^mode maximum is unknown!$"):
        s.ReduceLROnPlateau(opt, mode="maximum")
    with pytest.raises(ValueError, match=r"^threshold mode relative is unknown!$"):
        s.ReduceLROnPlateau(opt, threshold_mode="relative")
    with pytest.raises(ValueError, match=r"^expected 2 min_lrs, got 3$"):
        s.ReduceLROnPlateau(opt, min_lr=[0, 0, 0])
    with pytest.raises(ValueError, match=r"^Expected 2 lr_lambdas, but got 1$"):
        s.LambdaLR(opt, [lambda e: 1.0])
    with pytest.raises(ValueError, match=r"^Constant multiplicative factor expected to be between 0 and 1.$"):
        s.ConstantLR(opt, factor=2)
    with pytest.raises(ValueError, match=r"^Expected positive integer T_0, but got 0$"):
        s.CosineAnnealingWarmRestarts(opt, T_0=0)
    with pytest.raises(ValueError, match=r"^You must define either total_steps OR"):
        s.OneCycleLR(opt, max_lr=0.1)
    with pytest.raises(ValueError, match="does not support `ReduceLROnPlateau`"):
        s.ChainedScheduler([s.ReduceLROnPlateau(opt)])
    with pytest.raises(TypeError, match=r"^list is not an Optimizer$"):
        s.StepLR([], step_size=3)
    sched = s.OneCycleLR(opt, max_lr=0.1, total_steps=2)
    sched.step()
    sched.step()
    with pytest.raises(ValueError, match=r"^Tried to step 3 times. The specified number of total steps is 2$"):
        sched.step()
