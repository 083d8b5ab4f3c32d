"""resnetc.metrics against scikit-learn on random predictions."""
import numpy as np
import pytest
import sklearn.metrics as skm

from resnetc import metrics
from resnetc.tensor import Tensor


def _random(rng, n=300, c=7, skip=(5,)):
    logits = rng.standard_normal((n, c)).astype(np.float32)
    target = rng.integers(0, c, n)
    for k in skip:  # a class that never occurs in target, and is never predicted
        target[target == k] = 0
        logits[:, k] = -10
    return logits, target


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_against_sklearn(seed):
    rng = np.random.default_rng(seed)
    logits, target = _random(rng)
    pred = logits.argmax(1)
    labels = list(range(7))
    assert metrics.accuracy(logits, target) == pytest.approx(skm.accuracy_score(target, pred))
    assert metrics.accuracy(Tensor(logits), Tensor(target)) == metrics.accuracy(pred, target)
    np.testing.assert_array_equal(metrics.confusion_matrix(logits, target, 7),
                                  skm.confusion_matrix(target, pred, labels=labels))
    for normalize in ("true", "pred", "all"):
        np.testing.assert_allclose(
            metrics.confusion_matrix(pred, target, 7, normalize=normalize),
            skm.confusion_matrix(target, pred, labels=labels, normalize=normalize), atol=1e-12)
    for average in (None, "macro", "micro", "weighted"):
        ours = metrics.precision_recall_fscore(logits, target, 7, average=average)
        ref = skm.precision_recall_fscore_support(target, pred, labels=labels, average=average,
                                                  zero_division=0)
        for a, b in zip(ours[:3], ref[:3]):
            np.testing.assert_allclose(a, b, atol=1e-12, err_msg=str(average))
        if average is None:
            np.testing.assert_array_equal(ours[3], ref[3])
    assert metrics.f1_score(pred, target, 7) == pytest.approx(
        skm.f1_score(target, pred, labels=labels, average="macro", zero_division=0))
    for k in (1, 2, 5):
        assert metrics.topk_accuracy(logits, target, topk=k) == pytest.approx(
            skm.top_k_accuracy_score(target, logits, k=k, labels=labels))
    names = [f"class{i}" for i in labels]
    ours = metrics.classification_report(logits, target, class_names=names)
    ref = skm.classification_report(target, pred, labels=labels, target_names=names,
                                    output_dict=True, zero_division=0)
    assert set(ours) == set(ref)
    for key, value in ref.items():
        if isinstance(value, dict):
            for field, v in value.items():
                assert ours[key][field] == pytest.approx(v, abs=1e-12), (key, field)
        else:
            assert ours[key] == pytest.approx(value)
    text = metrics.format_report(ours)
    assert "class3" in text and "macro avg" in text and "accuracy" in text


def test_streaming_accumulators_match_one_shot():
    rng = np.random.default_rng(3)
    logits, target = _random(rng, n=250)
    cm = metrics.ConfusionMatrix(7, class_names=list("abcdefg"))
    top = metrics.TopKAccuracy(topk=(1, 3))
    tracker = metrics.MetricTracker()
    for start in range(0, 250, 64):
        batch = slice(start, start + 64)
        cm.update(Tensor(logits[batch]), target[batch])
        top.update(logits[batch], Tensor(target[batch]))
        tracker.update(acc=metrics.accuracy(logits[batch], target[batch]),
                       n=len(target[batch]))
    np.testing.assert_array_equal(cm.compute(), metrics.confusion_matrix(logits, target, 7))
    assert cm.accuracy() == pytest.approx(metrics.accuracy(logits, target))
    assert tracker.average("acc") == pytest.approx(metrics.accuracy(logits, target))
    assert top.compute() == pytest.approx(metrics.topk_accuracy(logits, target, (1, 3)))
    assert cm.f1("weighted") == pytest.approx(
        metrics.f1_score(logits, target, 7, average="weighted"))
    assert cm.report()["g"]["support"] == int(np.sum(target == 6))
    assert "ConfusionMatrix(num_classes=7, count=250" in repr(cm)
    assert repr(top).startswith("TopKAccuracy(top1=")
    state = cm.state_dict()
    other = metrics.ConfusionMatrix(7)
    other.load_state_dict(state)
    np.testing.assert_array_equal(other.matrix, cm.matrix)
    cm.reset()
    assert cm.count == 0 and cm.accuracy() == 0.0
    with pytest.raises(KeyError, match="no values recorded for 'loss'"):
        tracker.average("loss")


def test_topk_ties_count_as_correct_like_sklearn():
    scores = np.array([[1.0, 1.0, 0.0], [0.0, 2.0, 2.0]])
    target = np.array([1, 2])
    assert metrics.topk_accuracy(scores, target, 1) == skm.top_k_accuracy_score(
        target, scores, k=1, labels=[0, 1, 2]) == 1.0


def test_bad_inputs():
    with pytest.raises(ValueError, match=r"different numbers of samples: 3 vs 2"):
        metrics.accuracy(np.zeros(3, int), np.zeros(2, int))
    with pytest.raises(ValueError, match=r"target labels must be in \[0, 3\), got \[0, 3\]"):
        metrics.topk_accuracy(np.zeros((2, 3)), np.array([0, 3]), 1)
    with pytest.raises(ValueError, match=r"topk values must be in \[1, 3\]"):
        metrics.topk_accuracy(np.zeros((2, 3)), np.array([0, 1]), (1, 5))
    with pytest.raises(ValueError, match=r"output labels must be in \[0, 2\), got \[0, 4\]"):
        metrics.confusion_matrix(np.array([0, 4]), np.array([0, 1]), num_classes=2)
    with pytest.raises(ValueError, match=r"average must be one of"):
        metrics.precision(np.array([0]), np.array([0]), average="samples")
    with pytest.raises(ValueError, match=r"scores \(N, C\), got shape \(2, 2, 2\)"):
        metrics.accuracy(np.zeros((2, 2, 2)), np.zeros(2))
    with pytest.raises(ValueError, match=r"class_names has 2 names for 3 classes"):
        metrics.ConfusionMatrix(3, class_names=["a", "b"])


def test_plot_confusion_matrix():
    from matplotlib.figure import Figure
    cm = metrics.confusion_matrix(np.array([0, 1, 2, 2]), np.array([0, 2, 2, 1]), 3)
    fig = metrics.plot_confusion_matrix(cm, class_names=["cat", "dog", "eel"], normalize="true")
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["cat", "dog", "eel"]
    assert len(ax.texts) == 9 and ax.texts[0].get_text() == "1.00"
    fig.savefig(__import__("io").BytesIO(), format="png")


def test_plot_without_matplotlib_says_what_to_install(monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r"needs matplotlib: pip install matplotlib"):
        metrics.plot_confusion_matrix(np.eye(2))


def test_plot_learning_curves(tmp_path):
    rows = [{"epoch": e, "train_loss": 1 / e, "val_loss": 1.2 / e, "train_acc": 1 - 1 / e,
             "val_acc": None if e == 2 else 0.9 - 1 / e, "lr": 0.1 * 0.5 ** e}
            for e in range(1, 6)]
    fig = metrics.plot_learning_curves(rows, path=tmp_path / "curves.png", title="run")
    assert (tmp_path / "curves.png").read_bytes()[:4] == b"\x89PNG"
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == ["loss", "accuracy", "learning rate"]
    assert [line.get_label() for line in fig.axes[0].lines] == ["train_loss", "val_loss"]
    np.testing.assert_allclose(fig.axes[0].lines[1].get_ydata(), [1.2 / e for e in range(1, 6)])
    assert np.isnan(fig.axes[1].lines[1].get_ydata()[1])
    assert fig.axes[2].get_yscale() == "log"
    fig2 = metrics.plot_learning_curves({"loss": [Tensor(np.float32(2.0)), 1.0]})
    assert [ax.get_title() for ax in fig2.axes] == ["loss"]
    with pytest.raises(ValueError, match=r"no loss, accuracy or lr columns: \['foo'\]"):
        metrics.plot_learning_curves({"foo": [1]})
