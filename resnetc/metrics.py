"""Classification metrics for evaluation loops: accuracy, top-k accuracy, confusion matrix,
precision / recall / F1 (per class and macro / micro / weighted averages), a
``classification_report`` like scikit-learn's ``output_dict=True``, and streaming
accumulators (:class:`ConfusionMatrix`, :class:`TopKAccuracy`, :class:`MetricTracker`).

Inputs are NumPy arrays or resnetc Tensors. ``output`` may be class labels ``(N,)`` or scores
``(N, C)`` (logits or probabilities: the predicted class is the argmax; ties go to the lowest
index, like ``torch.argmax``). Targets are class labels ``(N,)``. Rows of a confusion matrix are
true classes, columns predicted classes (scikit-learn's convention). Precision of a class that
is never predicted (or recall of a class that never occurs) is ``zero_division`` (default 0),
as in scikit-learn.

A torchvision-style evaluation loop::

    cm = resnetc.metrics.ConfusionMatrix(num_classes)
    top5 = resnetc.metrics.TopKAccuracy(topk=(1, 5))
    losses = resnetc.metrics.MetricTracker()
    model.eval()
    with resnetc.no_grad():
        for images, targets in val_loader:
            output = model(images)
            losses.update(loss=criterion(output, targets).item(), n=len(targets))
            cm.update(output, targets)
            top5.update(output, targets)
    print(losses.average("loss"), top5.compute(), cm.report(class_names=dataset.classes))
    fig = cm.plot(class_names=dataset.classes)
"""
import numpy as np

__all__ = ["accuracy", "topk_accuracy", "confusion_matrix", "precision_recall_fscore",
           "precision", "recall", "f1_score", "classification_report", "format_report",
           "plot_confusion_matrix", "plot_learning_curves", "ConfusionMatrix", "TopKAccuracy",
           "MetricTracker"]

_AVERAGES = (None, "macro", "micro", "weighted")


def _array(x, name):
    from resnetc.tensor import Tensor
    if isinstance(x, Tensor):
        x = x.array
    return np.asarray(x)


def _labels(output, name="output"):
    """Class labels from labels (N,) or scores (N, C)."""
    a = _array(output, name)
    if a.ndim == 2:
        return np.argmax(a, axis=1)
    if a.ndim == 1:
        if a.size and a.dtype.kind == "f" and not np.all(a == np.round(a)):
            raise ValueError(f"{name} is 1-D with non-integer values; pass class labels (N,) "
                             f"or scores (N, C)")
        return a.astype(np.int64, copy=False)
    if a.ndim == 0:
        return a.reshape(1).astype(np.int64)
    raise ValueError(f"{name} must be class labels (N,) or scores (N, C), got shape {a.shape}")


def _pair(output, target):
    pred = _labels(output, "output")
    true = _labels(target, "target")
    if true.ndim != 1 or _array(target, "target").ndim == 2:
        raise ValueError(f"target must be class labels (N,), got shape "
                         f"{_array(target, 'target').shape}")
    if pred.shape != true.shape:
        raise ValueError(f"output and target have different numbers of samples: "
                         f"{pred.shape[0]} vs {true.shape[0]}")
    return pred, true


def accuracy(output, target):
    """Fraction of samples whose predicted class equals the target (0.0 when empty)."""
    pred, true = _pair(output, target)
    return float(np.mean(pred == true)) if true.size else 0.0


def _topk_correct(output, target, topk):
    scores = _array(output, "output")
    true = _labels(target, "target")
    if scores.ndim != 2:
        raise ValueError(f"top-k accuracy needs scores (N, C), got shape {scores.shape}")
    if scores.shape[0] != true.shape[0]:
        raise ValueError(f"output and target have different numbers of samples: "
                         f"{scores.shape[0]} vs {true.shape[0]}")
    if true.size and (true.min() < 0 or true.max() >= scores.shape[1]):
        raise ValueError(f"target labels must be in [0, {scores.shape[1]}), got "
                         f"[{true.min()}, {true.max()}]")
    maxk = max(topk)
    if any(k < 1 for k in topk) or maxk > scores.shape[1]:
        raise ValueError(f"topk values must be in [1, {scores.shape[1]}] (the number of "
                         f"classes), got {topk}")
    # rank of the target = number of classes scoring strictly higher (ties count in its favour)
    target_score = scores[np.arange(len(true)), true][:, None]
    rank = np.sum(scores > target_score, axis=1)
    return [int(np.sum(rank < k)) for k in topk]


def topk_accuracy(output, target, topk=(1, 5)):
    """Fraction of samples whose target is among the k highest scores, for each k.

    ``topk`` is an int (returns a float) or a tuple (returns a tuple). A target tied with the
    k-th score counts as correct (scikit-learn's ``top_k_accuracy_score`` does the same)."""
    single = isinstance(topk, (int, np.integer))
    ks = (int(topk),) if single else tuple(int(k) for k in topk)
    n = _labels(target, "target").size
    correct = _topk_correct(output, target, ks)
    fractions = tuple(c / n if n else 0.0 for c in correct)
    return fractions[0] if single else fractions


def confusion_matrix(output, target, num_classes=None, normalize=None):
    """``cm[i, j]`` = number of samples of true class i predicted as j.

    ``num_classes`` defaults to 1 + the largest label seen. ``normalize``: None (counts),
    'true' (rows sum to 1), 'pred' (columns sum to 1) or 'all'."""
    pred, true = _pair(output, target)
    if num_classes is None:
        num_classes = int(max(pred.max(initial=-1), true.max(initial=-1))) + 1
    for name, labels in (("output", pred), ("target", true)):
        if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
            raise ValueError(f"{name} labels must be in [0, {num_classes}), got "
                             f"[{labels.min()}, {labels.max()}]")
    cm = np.bincount(true * num_classes + pred, minlength=num_classes * num_classes)
    cm = cm.reshape(num_classes, num_classes).astype(np.int64)
    return _normalize(cm, normalize)


def _normalize(cm, normalize):
    if normalize is None:
        return cm
    if normalize not in ("true", "pred", "all"):
        raise ValueError(f"normalize must be None, 'true', 'pred' or 'all', got {normalize!r}")
    cm = cm.astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        if normalize == "true":
            out = cm / cm.sum(axis=1, keepdims=True)
        elif normalize == "pred":
            out = cm / cm.sum(axis=0, keepdims=True)
        else:
            out = cm / cm.sum()
    return np.nan_to_num(out)


def _divide(num, den, zero_division):
    num, den = np.asarray(num, np.float64), np.asarray(den, np.float64)
    out = np.full(np.broadcast(num, den).shape, float(zero_division))
    np.divide(num, den, out=out, where=den != 0)
    return out


def _scores_from_cm(cm, average, zero_division):
    if average not in _AVERAGES:
        raise ValueError(f"average must be one of {_AVERAGES}, got {average!r}")
    tp = np.diag(cm).astype(np.float64)
    predicted = cm.sum(axis=0).astype(np.float64)
    support = cm.sum(axis=1).astype(np.int64)
    if average == "micro":
        tp_sum, pred_sum, true_sum = tp.sum(), predicted.sum(), support.sum()
        p = float(_divide(tp_sum, pred_sum, zero_division))
        r = float(_divide(tp_sum, true_sum, zero_division))
        f = float(_divide(2 * p * r, p + r, zero_division))
        return float(p), float(r), float(f), int(true_sum)
    p = _divide(tp, predicted, zero_division)
    r = _divide(tp, support, zero_division)
    # F1 = 2 tp / (2 tp + fp + fn): the same as 2pr/(p+r) when both are defined
    f = _divide(2 * tp, predicted + support, zero_division)
    if average is None:
        return p, r, f, support
    if average == "macro":
        return float(p.mean()), float(r.mean()), float(f.mean()), int(support.sum())
    total = support.sum()
    if total == 0:
        z = float(zero_division)
        return z, z, z, 0
    w = support / total
    return float(p @ w), float(r @ w), float(f @ w), int(total)


def precision_recall_fscore(output, target, num_classes=None, average=None, zero_division=0):
    """(precision, recall, f1, support): arrays over classes when ``average`` is None,
    floats for 'macro' (unweighted mean over classes), 'micro' (from the global counts) and
    'weighted' (mean weighted by support). Classes are 0..num_classes-1."""
    cm = confusion_matrix(output, target, num_classes)
    return _scores_from_cm(cm, average, zero_division)


def precision(output, target, num_classes=None, average="macro", zero_division=0):
    return precision_recall_fscore(output, target, num_classes, average, zero_division)[0]


def recall(output, target, num_classes=None, average="macro", zero_division=0):
    return precision_recall_fscore(output, target, num_classes, average, zero_division)[1]


def f1_score(output, target, num_classes=None, average="macro", zero_division=0):
    return precision_recall_fscore(output, target, num_classes, average, zero_division)[2]


def _report_from_cm(cm, class_names=None, zero_division=0):
    n = cm.shape[0]
    names = [str(i) for i in range(n)] if class_names is None else [str(c) for c in class_names]
    if len(names) != n:
        raise ValueError(f"class_names has {len(names)} names for {n} classes")
    p, r, f, s = _scores_from_cm(cm, None, zero_division)
    report = {name: {"precision": float(p[i]), "recall": float(r[i]), "f1-score": float(f[i]),
                     "support": int(s[i])} for i, name in enumerate(names)}
    total = int(cm.sum())
    report["accuracy"] = float(np.trace(cm) / total) if total else 0.0
    for avg in ("macro", "weighted"):
        ap, ar, af, asup = _scores_from_cm(cm, avg, zero_division)
        report[f"{avg} avg"] = {"precision": ap, "recall": ar, "f1-score": af, "support": asup}
    return report


def classification_report(output, target, num_classes=None, class_names=None, zero_division=0):
    """A dict like ``sklearn.metrics.classification_report(..., output_dict=True)``:
    per class {precision, recall, f1-score, support}, 'accuracy', 'macro avg', 'weighted avg'.
    Classes are keyed by ``class_names`` (default: '0', '1', ...)."""
    if num_classes is None and class_names is not None:
        num_classes = len(class_names)
    cm = confusion_matrix(output, target, num_classes)
    return _report_from_cm(cm, class_names, zero_division)


def format_report(report, digits=3):
    """A classification report dict as a text table."""
    rows = [(k, v) for k, v in report.items() if k != "accuracy"]
    width = max([len(k) for k, _ in rows] + [12])
    lines = [f"{'':>{width}} {'precision':>9} {'recall':>9} {'f1-score':>9} {'support':>9}"]
    for key, v in rows:
        if key == "macro avg":
            lines.append("")
            lines.append(f"{'accuracy':>{width}} {'':>9} {'':>9} "
                         f"{report['accuracy']:>9.{digits}f} {v['support']:>9}")
        lines.append(f"{key:>{width}} {v['precision']:>9.{digits}f} {v['recall']:>9.{digits}f} "
                     f"{v['f1-score']:>9.{digits}f} {v['support']:>9}")
    return "\n".join(lines)


def plot_confusion_matrix(cm, class_names=None, normalize=None, ax=None, cmap="Blues",
                          title="Confusion matrix", values=None):
    """Draws a confusion matrix (counts or normalized) with matplotlib; returns the Figure.

    ``values``: write each cell's number (default: when there are at most 30 classes)."""
    try:
        import matplotlib  # noqa: F401
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError("plot_confusion_matrix needs matplotlib: pip install matplotlib") \
            from None
    cm = _array(cm, "cm")
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1]:
        raise ValueError(f"cm must be a square matrix, got shape {cm.shape}")
    n = cm.shape[0]
    shown = _normalize(cm, normalize) if normalize else cm
    names = [str(i) for i in range(n)] if class_names is None else [str(c) for c in class_names]
    if len(names) != n:
        raise ValueError(f"class_names has {len(names)} names for {n} classes")
    if ax is None:
        size = min(4 + 0.45 * n, 20)
        fig = Figure(figsize=(size + 1, size))
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    im = ax.imshow(shown, interpolation="nearest", cmap=cmap)
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    ax.set(xticks=range(n), yticks=range(n), xticklabels=names, yticklabels=names,
           xlabel="Predicted", ylabel="True", title=title)
    ax.tick_params(axis="x", labelrotation=45 if n > 5 else 0)
    if values is None:
        values = n <= 30
    if values:
        threshold = (shown.max() + shown.min()) / 2 if shown.size else 0
        fmt = ".2f" if normalize else "d"
        for i in range(n):
            for j in range(n):
                v = shown[i, j]
                ax.text(j, i, format(v if normalize else int(v), fmt), ha="center", va="center",
                        fontsize=8, color="white" if v > threshold else "black")
    fig.tight_layout()
    return fig


def _history_columns(history):
    """{name: list of values} from a dict of lists or a list of per-epoch dicts."""
    if isinstance(history, dict):
        return {k: list(v) for k, v in history.items()}
    rows = list(history)
    names = []
    for row in rows:
        names += [k for k in row if k not in names]
    return {k: [row.get(k, np.nan) for row in rows] for k in names}


def plot_learning_curves(history, path=None, title=None):
    """Learning curves: loss, accuracy and learning rate against the epoch; returns the Figure
    (and writes it to ``path``, e.g. a PNG, when given).

    ``history``: a dict of lists (``{'train_loss': [...], 'val_loss': [...], ...}``) or a list of
    per-epoch dicts (the rows of a metrics log). Columns are grouped by name: '*loss*' on the
    first panel, '*acc*' on the second, 'lr' (log scale) on the third; 'epoch' is the x axis
    when present. Panels without data are left out; missing values (None/NaN) are gaps."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError("plot_learning_curves needs matplotlib: pip install matplotlib") \
            from None
    columns = _history_columns(history)
    if not columns:
        raise ValueError("history is empty")

    def values(name):
        return np.array([np.nan if v is None else float(_array(v, name)) for v in columns[name]])

    n = max(len(v) for v in columns.values())
    x = values("epoch") if "epoch" in columns else np.arange(1, n + 1)
    groups = [("loss", [k for k in columns if "loss" in k.lower()], "linear"),
              ("accuracy", [k for k in columns if "acc" in k.lower()], "linear"),
              ("learning rate", [k for k in columns if k.lower() in ("lr", "learning_rate")],
               "log")]
    groups = [g for g in groups if g[1]]
    if not groups:
        raise ValueError(f"history has no loss, accuracy or lr columns: {sorted(columns)}")
    fig = Figure(figsize=(4.5 * len(groups), 3.6))
    for i, (label, names, scale) in enumerate(groups):
        ax = fig.add_subplot(1, len(groups), i + 1)
        for name in names:
            y = values(name)
            ax.plot(x[:len(y)], y, marker="o" if len(y) <= 30 else None, markersize=3,
                    label=name)
        if scale == "log" and np.nanmin([np.nanmin(values(k)) for k in names]) > 0:
            ax.set_yscale("log")
        ax.set(xlabel="epoch", ylabel=label, title=label)
        ax.grid(alpha=0.3)
        if len(names) > 1:
            ax.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=100)
    return fig


class ConfusionMatrix:
    """Accumulates a confusion matrix over batches; derives every metric above from it.

    >>> cm = ConfusionMatrix(num_classes=10)
    >>> cm.update(logits, targets)       # scores (N, C) or labels (N,)
    >>> cm.accuracy(), cm.f1(average="macro"), cm.report(class_names)
    """

    def __init__(self, num_classes, class_names=None):
        if int(num_classes) < 1:
            raise ValueError(f"num_classes must be >= 1, got {num_classes}")
        self.num_classes = int(num_classes)
        self.class_names = list(class_names) if class_names is not None else None
        if self.class_names is not None and len(self.class_names) != self.num_classes:
            raise ValueError(f"class_names has {len(self.class_names)} names for "
                             f"{self.num_classes} classes")
        self.matrix = np.zeros((self.num_classes, self.num_classes), np.int64)

    def update(self, output, target):
        self.matrix += confusion_matrix(output, target, self.num_classes)
        return self

    def reset(self):
        self.matrix[:] = 0

    def compute(self, normalize=None):
        return _normalize(self.matrix.copy(), normalize)

    @property
    def count(self):
        return int(self.matrix.sum())

    def accuracy(self):
        total = self.matrix.sum()
        return float(np.trace(self.matrix) / total) if total else 0.0

    def precision(self, average="macro", zero_division=0):
        return _scores_from_cm(self.matrix, average, zero_division)[0]

    def recall(self, average="macro", zero_division=0):
        return _scores_from_cm(self.matrix, average, zero_division)[1]

    def f1(self, average="macro", zero_division=0):
        return _scores_from_cm(self.matrix, average, zero_division)[2]

    def report(self, class_names=None, zero_division=0):
        return _report_from_cm(self.matrix, class_names or self.class_names, zero_division)

    def plot(self, class_names=None, normalize=None, **kwargs):
        return plot_confusion_matrix(self.matrix, class_names or self.class_names, normalize,
                                     **kwargs)

    def state_dict(self):
        return {"num_classes": self.num_classes, "matrix": self.matrix.copy()}

    def load_state_dict(self, state):
        matrix = np.asarray(state["matrix"], np.int64)
        if matrix.shape != self.matrix.shape:
            raise ValueError(f"matrix shape {matrix.shape} does not match {self.matrix.shape}")
        self.matrix[:] = matrix

    def __repr__(self):
        return (f"ConfusionMatrix(num_classes={self.num_classes}, count={self.count}, "
                f"accuracy={self.accuracy():.4f})")


class TopKAccuracy:
    """Accumulates top-k accuracy over batches: ``update(scores, targets)``, ``compute()``."""

    def __init__(self, topk=(1, 5)):
        self.single = isinstance(topk, (int, np.integer))
        self.topk = (int(topk),) if self.single else tuple(int(k) for k in topk)
        self.reset()

    def reset(self):
        self.correct = [0] * len(self.topk)
        self.count = 0

    def update(self, output, target):
        correct = _topk_correct(output, target, self.topk)
        self.correct = [a + b for a, b in zip(self.correct, correct)]
        self.count += _labels(target, "target").size
        return self

    def compute(self):
        values = tuple(c / self.count if self.count else 0.0 for c in self.correct)
        return values[0] if self.single else values

    def __repr__(self):
        values = self.compute()
        values = (values,) if self.single else values
        shown = ", ".join(f"top{k}={v:.4f}" for k, v in zip(self.topk, values))
        return f"TopKAccuracy({shown}, count={self.count})"


class MetricTracker:
    """Running (sample-weighted) averages of named scalars, e.g. loss and accuracy per epoch.

    >>> tracker = MetricTracker()
    >>> tracker.update(loss=0.7, acc=0.5, n=32)   # values may be floats, arrays or Tensors
    >>> tracker.average("loss"), tracker.averages()
    """

    def __init__(self):
        self.reset()

    def reset(self):
        self.totals = {}
        self.counts = {}
        self.last = {}

    def update(self, n=1, **values):
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        for name, value in values.items():
            v = float(_array(value, name))
            self.totals[name] = self.totals.get(name, 0.0) + v * n
            self.counts[name] = self.counts.get(name, 0) + n
            self.last[name] = v
        return self

    def average(self, name):
        if name not in self.totals:
            raise KeyError(f"no values recorded for {name!r}; known: {sorted(self.totals)}")
        return self.totals[name] / self.counts[name] if self.counts[name] else float("nan")

    def averages(self):
        return {name: self.average(name) for name in self.totals}

    def __repr__(self):
        return "MetricTracker(" + ", ".join(f"{k}={v:.4f}" for k, v in self.averages().items()) \
            + ")"
