"""EarlyStopping: patience, min_delta, modes, NaN, best-weight restore, state round trip."""
import math

import numpy as np
import pytest

from resnetc.callbacks import EarlyStopping
from resnetc.serialization import load, save
from resnetc.tensor import Tensor


class TinyModel:
    """Duck-typed model: state_dict() of Tensors, load_state_dict() copies arrays in."""

    def __init__(self):
        self.weight = Tensor(np.zeros(3, np.float32), requires_grad=True)
        self.buffers = {"count": np.zeros((), np.int64)}

    def state_dict(self):
        return {"weight": self.weight, "count": self.buffers["count"]}

    def load_state_dict(self, state):
        self.weight.array[...] = np.asarray(state["weight"])
        self.buffers["count"][...] = state["count"]


def _run(stopper, values, model=None):
    """Steps until stop; returns the index of the stopping step or None."""
    for i, v in enumerate(values):
        if model is not None:
            model.weight.array[...] = i
            model.buffers["count"][...] = i
        if stopper.step(v, model):
            return i
    return None


def test_patience_counts_epochs_without_improvement():
    #          0    1    2    3    4    5    6
    values = [1.0, 0.8, 0.9, 0.85, 0.7, 0.75, 0.71, 0.72, 0.9]
    assert _run(EarlyStopping(patience=2), values) == 3
    assert _run(EarlyStopping(patience=3), values) == 7
    assert _run(EarlyStopping(patience=0), values) == 2
    assert _run(EarlyStopping(patience=10), values) is None
    s = EarlyStopping(patience=3)
    _run(s, values)
    assert (s.best, s.best_epoch, s.stopped_epoch, s.num_bad_epochs) == (0.7, 4, 7, 3)
    assert s.should_stop and "did not improve for 3 epochs" in s.reason


def test_min_delta_and_max_mode():
    values = [0.50, 0.505, 0.509, 0.52, 0.521, 0.5215]
    # improvements must exceed 0.01: 0.505, 0.509 do not; 0.52 > 0.51 does; 0.521 ... do not
    assert _run(EarlyStopping(monitor="val_acc", mode="max", patience=2, min_delta=0.01),
                values) == 2
    s = EarlyStopping(monitor="val_acc", mode="max", patience=3, min_delta=0.01)
    assert _run(s, values) is None and (s.best, s.best_epoch, s.num_bad_epochs) == (0.52, 3, 2)
    assert _run(EarlyStopping(mode="max", patience=2), values) is None
    assert _run(EarlyStopping(mode="max", patience=1, min_delta=0.01), values) == 1
    # min mode: tiny decreases do not count
    assert _run(EarlyStopping(patience=1, min_delta=0.1), [1.0, 0.95, 0.85]) == 1


def test_non_finite_values_stop_at_once():
    s = EarlyStopping(patience=5)
    assert _run(s, [1.0, 0.9, float("nan"), 0.1]) == 2
    assert "nan" in s.reason
    assert _run(EarlyStopping(patience=5, mode="max"), [0.1, math.inf]) == 1
    assert _run(EarlyStopping(patience=1, check_finite=False), [1.0, float("nan")]) == 1


def test_restore_best_weights():
    model = TinyModel()
    s = EarlyStopping(patience=2, restore_best_weights=True)
    assert _run(s, [3.0, 1.0, 2.0, 2.5], model) == 3
    np.testing.assert_array_equal(model.weight.array, [1, 1, 1])  # the weights of step 1
    assert model.buffers["count"] == 1
    # the kept copy does not alias the model's arrays
    model.weight.array[...] = 9
    assert s.restore(model) and model.weight.array[0] == 1
    assert not EarlyStopping().restore(model)
    # without restore_best_weights the model keeps its last weights
    model2 = TinyModel()
    _run(EarlyStopping(patience=2), [3.0, 1.0, 2.0, 2.5], model2)
    assert model2.weight.array[0] == 3


def test_tensor_and_array_values():
    s = EarlyStopping(patience=1)
    assert not s.step(Tensor(np.float32(2.0)))
    assert s.step(np.array([2.5]))
    with pytest.raises(ValueError, match=r"scalar metric, got shape \(2,\)"):
        s.step(np.zeros(2))


def test_state_dict_round_trip_through_checkpoint(tmp_path):
    model = TinyModel()
    s = EarlyStopping(patience=3, restore_best_weights=True)
    _run(s, [3.0, 1.0, 2.0], model)
    save({"early_stopping": s.state_dict()}, tmp_path / "ck")
    resumed = EarlyStopping(patience=3, restore_best_weights=True)
    resumed.load_state_dict(load(tmp_path / "ck")["early_stopping"])
    assert (resumed.best, resumed.best_epoch, resumed.num_bad_epochs, resumed.epoch) == (
        1.0, 1, 1, 3)
    # the resumed stopper stops exactly where the uninterrupted one does
    assert _run(resumed, [2.0, 2.0], model) == 1
    assert _run(s, [2.0, 2.0], model) == 1
    np.testing.assert_array_equal(model.weight.array, [1, 1, 1])
    with pytest.raises(KeyError, match="unexpected key in EarlyStopping state: 'bogus'"):
        resumed.load_state_dict({"bogus": 1})


def test_invalid_arguments():
    with pytest.raises(ValueError, match=r"mode must be 'min' or 'max', got 'up'"):
        EarlyStopping(mode="up")
    with pytest.raises(ValueError, match=r"Invalid patience: -1"):
        EarlyStopping(patience=-1)
    with pytest.raises(ValueError, match=r"Invalid min_delta: -0.1"):
        EarlyStopping(min_delta=-0.1)
    assert "patience=5" in repr(EarlyStopping())
