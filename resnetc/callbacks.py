"""Training-loop helpers: :class:`EarlyStopping`.

A torchvision-style loop::

    stopper = EarlyStopping(monitor="val_loss", mode="min", patience=5,
                            restore_best_weights=True)
    for epoch in range(epochs):
        train_one_epoch(model, ...)
        val_loss = evaluate(model, ...)
        scheduler.step(val_loss)
        if stopper.step(val_loss, model):
            print(f"stopping: no improvement for {stopper.patience} epochs, "
                  f"best {stopper.monitor} {stopper.best:.4f} at epoch {stopper.best_epoch}")
            break
"""
import math

import numpy as np

__all__ = ["EarlyStopping"]


def _scalar(value):
    from resnetc.tensor import Tensor
    if isinstance(value, Tensor):
        value = value.array
    array = np.asarray(value)
    if array.size != 1:
        raise ValueError(f"EarlyStopping needs a scalar metric, got shape {array.shape}")
    return float(array.reshape(()))


def _copy_state(state_dict):
    """Deep copy of a state_dict: every array (or Tensor's array) copied, structure kept."""
    from resnetc.tensor import Tensor
    if isinstance(state_dict, dict):
        return state_dict.__class__((k, _copy_state(v)) for k, v in state_dict.items())
    if isinstance(state_dict, Tensor):
        return np.array(state_dict.array, copy=True)
    if isinstance(state_dict, np.ndarray):
        return state_dict.copy()
    if isinstance(state_dict, (list, tuple)):
        return type(state_dict)(_copy_state(v) for v in state_dict)
    return state_dict


class EarlyStopping:
    """Stops training when a monitored metric has stopped improving.

    Each :meth:`step` (once per epoch) compares ``value`` with the best so far: it improves
    when ``value < best - min_delta`` (mode 'min') or ``value > best + min_delta`` (mode
    'max'). After ``patience`` consecutive steps without improvement, ``step`` returns True
    (Keras' and Lightning's semantics -- ReduceLROnPlateau's ``patience`` counts one more: it
    acts when the count *exceeds* patience; patience=0 stops at the first step that does not
    improve). A NaN or
    infinite value returns True at once when ``check_finite`` (the loss diverged).

    With ``restore_best_weights`` and a ``model`` passed to ``step``, a deep copy of
    ``model.state_dict()`` is kept at each improvement and loaded back
    (``model.load_state_dict``) when ``step`` returns True; :meth:`restore` does it on demand.
    """

    def __init__(self, monitor="val_loss", mode="min", patience=5, min_delta=0.0,
                 restore_best_weights=False, check_finite=True, verbose=False):
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
        if int(patience) != patience or patience < 0:
            raise ValueError(f"Invalid patience: {patience} (an int >= 0)")
        if not math.isfinite(min_delta) or min_delta < 0:
            raise ValueError(f"Invalid min_delta: {min_delta} (a number >= 0)")
        self.monitor = monitor
        self.mode = mode
        self.patience = int(patience)
        self.min_delta = float(min_delta)
        self.restore_best_weights = bool(restore_best_weights)
        self.check_finite = bool(check_finite)
        self.verbose = bool(verbose)
        self.reset()

    def reset(self):
        self.best = math.inf if self.mode == "min" else -math.inf
        self.best_epoch = None
        self.num_bad_epochs = 0
        self.epoch = 0  # number of steps taken
        self.stopped_epoch = None
        self.best_weights = None
        self.reason = None

    def is_improvement(self, value):
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    @property
    def should_stop(self):
        return self.stopped_epoch is not None

    def step(self, value, model=None):
        """Records this epoch's metric; returns True when training should stop."""
        value = _scalar(value)
        epoch = self.epoch
        self.epoch += 1
        if not math.isfinite(value) and self.check_finite:
            self.reason = f"{self.monitor} is {value} at epoch {epoch}"
            return self._stop(epoch, model)
        if self.is_improvement(value):
            self.best, self.best_epoch, self.num_bad_epochs = value, epoch, 0
            if self.restore_best_weights and model is not None:
                self.best_weights = _copy_state(model.state_dict())
            return False
        self.num_bad_epochs += 1
        if self.num_bad_epochs >= self.patience:
            self.reason = (f"{self.monitor} did not improve for {self.num_bad_epochs} epochs "
                           f"(best {self.best:.6g} at epoch {self.best_epoch})")
            return self._stop(epoch, model)
        return False

    def _stop(self, epoch, model):
        self.stopped_epoch = epoch
        if self.verbose:
            print(f"EarlyStopping: {self.reason}")
        if self.restore_best_weights and model is not None:
            self.restore(model)
        return True

    def restore(self, model):
        """Loads the best weights seen into ``model``; False when none were kept."""
        if self.best_weights is None:
            return False
        model.load_state_dict(_copy_state(self.best_weights))
        return True

    def state_dict(self):
        state = {k: getattr(self, k) for k in (
            "monitor", "mode", "patience", "min_delta", "restore_best_weights", "check_finite",
            "best", "best_epoch", "num_bad_epochs", "epoch", "stopped_epoch", "reason")}
        state["best_weights"] = self.best_weights
        return state

    def load_state_dict(self, state):
        for key, value in state.items():
            if key == "best_weights":
                value = _copy_state(value) if value is not None else None
            elif not hasattr(self, key):
                raise KeyError(f"unexpected key in EarlyStopping state: {key!r}")
            setattr(self, key, value)

    def __repr__(self):
        return (f"EarlyStopping(monitor={self.monitor!r}, mode={self.mode!r}, "
                f"patience={self.patience}, min_delta={self.min_delta}, "
                f"restore_best_weights={self.restore_best_weights}, best={self.best:.6g}, "
                f"num_bad_epochs={self.num_bad_epochs})")
