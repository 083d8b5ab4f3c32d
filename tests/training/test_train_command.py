"""`resnetc train / eval / predict` end to end on a tiny generated dataset."""
import json
import math
import os
import subprocess
import sys

import numpy as np
import pytest

from resnetc.__main__ import main
from resnetc.training.demo_data import make_demo_dataset

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TINY = ["--model", "resnet18", "--image-size", "32", "--batch-size", "16", "--workers", "1", "--print-freq", "2",
        "--crop-scale", "0.5", "1.0"]


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory):
    return make_demo_dataset(str(tmp_path_factory.mktemp("demo")), train_per_class=8, val_per_class=3, size=40)


@pytest.fixture(scope="module")
def trained_run(tiny_data, tmp_path_factory):
    out = str(tmp_path_factory.mktemp("run"))
    assert main(["train", tiny_data, "--output-dir", out, "--opt", "adamw", "--lr-scheduler", "cosine",
                 "--lr-warmup-epochs", "1", "--epochs", "2", *TINY]) == 0
    return out


def test_train_writes_everything(trained_run):
    files = set(os.listdir(trained_run))
    assert {"last.ckpt", "best.ckpt", "metrics.csv", "metrics.jsonl", "learning_curves.png", "tensorboard"} <= files
    rows = [json.loads(line) for line in open(os.path.join(trained_run, "metrics.jsonl"))]
    assert [r["epoch"] for r in rows] == [1, 2]
    assert all(math.isfinite(r["train_loss"]) and 0 <= r["val_acc1"] <= 1 for r in rows)


def test_tensorboard_reader_loads_the_scalars(trained_run):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    logdir = os.path.join(trained_run, "tensorboard")
    tags = set()
    for root, _, names in os.walk(logdir):
        if any(n.startswith("events.out.tfevents") for n in names):
            accumulator = EventAccumulator(root)
            accumulator.Reload()
            tags |= set(accumulator.Tags()["scalars"])
    assert "train/loss_step" in tags and "grad_norm/total" in tags and "grad_norm/layer1" in tags
    assert any(t.startswith("val/acc1") or t == "val/acc1" for t in tags)


def test_eval_and_predict_use_the_checkpoint(trained_run, tiny_data, capsys):
    main(["eval", tiny_data, "--weights", os.path.join(trained_run, "best.ckpt"), "--workers", "1"])
    out = capsys.readouterr().out
    assert "top-1" in out and "confusion matrix" in out and "circle" in out
    image = os.path.join(tiny_data, "val", "circle", "00000.jpg")
    main(["predict", image, "--weights", os.path.join(trained_run, "last.ckpt"), "-k", "2"])
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert line.startswith(image) and line.count(",") == 1


def test_resume_continues_to_the_same_weights(tiny_data, tmp_path):
    """A run stopped after epoch 1 and resumed ends bit-identical to an uninterrupted one (1 thread)."""
    from resnetc.training.cli import build_parser
    from resnetc.training.trainer import Trainer, apply_defaults

    def parse(out, *extra):
        return apply_defaults(build_parser().parse_args(
            ["train", tiny_data, *TINY, "--epochs", "2", "--opt", "sgd", "--dropout", "0.2", "--no-tensorboard",
             "--threads", "1", "--output-dir", str(tmp_path / out), *extra]))

    Trainer(parse("straight")).run()
    interrupted = Trainer(parse("interrupted"))
    interrupted.args.epochs = 1  # as if killed after the first epoch's checkpoint
    interrupted.run()
    Trainer(parse("interrupted", "--resume")).run()
    import resnetc

    a = resnetc.load(str(tmp_path / "straight" / "last.ckpt"))
    b = resnetc.load(str(tmp_path / "interrupted" / "last.ckpt"))
    assert a["meta"]["epoch"] == b["meta"]["epoch"] == 2
    for key, value in a["model"].items():
        np.testing.assert_array_equal(np.asarray(value), np.asarray(b["model"][key]), err_msg=key)


def test_nan_loss_stops_at_once_and_keeps_the_checkpoint(tiny_data, tmp_path):
    from resnetc.training.cli import build_parser
    from resnetc.training.trainer import Trainer, TrainingDiverged, apply_defaults

    args = apply_defaults(build_parser().parse_args(
        ["train", tiny_data, *TINY, "--epochs", "3", "--no-tensorboard", "--output-dir", str(tmp_path)]))
    trainer = Trainer(args)
    args.epochs = 1
    trainer.run()
    checkpoint = tmp_path / "last.ckpt"
    before = checkpoint.read_bytes()
    criterion = trainer.criterion
    trainer.criterion = lambda logits, labels: criterion(logits, labels) * float("nan")
    args.epochs = 3
    with pytest.raises(TrainingDiverged, match="the loss became nan at epoch 2"):
        trainer.run()
    assert checkpoint.read_bytes() == before


@pytest.mark.parametrize("argv,message", [
    (["train", "/nonexistent/folder"], "data folder not found"),
    (["train", "{data}", "--model", "resnet9000"], "unknown model 'resnet9000'"),
    (["train", "{data}", "--opt", "lion"], "invalid choice: 'lion'"),
    (["train", "{empty}"], "Couldn't find any class folder"),
])
def test_cli_errors_are_clear(argv, message, tiny_data, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    argv = [a.format(data=tiny_data, empty=empty) for a in argv]
    out = subprocess.run([sys.executable, "-m", "resnetc", *argv, "--output-dir", str(tmp_path / "o")],
                         capture_output=True, text=True, cwd=REPO)
    assert out.returncode != 0
    assert message in out.stderr


@pytest.mark.parametrize("threshold,value,message", [("GRAD_NORM_EXPLODING", 0.0, "exploding gradients"),
                                                     ("GRAD_NORM_VANISHING", 1e30, "vanishing gradients")])
def test_gradient_norm_warnings(threshold, value, message, tiny_data, tmp_path, monkeypatch):
    from resnetc.training import trainer as trainer_module
    from resnetc.training.cli import build_parser

    monkeypatch.setattr(trainer_module, threshold, value)
    args = trainer_module.apply_defaults(build_parser().parse_args(
        ["train", tiny_data, *TINY, "--epochs", "1", "--no-tensorboard", "--output-dir", str(tmp_path)]))
    with pytest.warns(UserWarning, match=message + r".*per layer: conv1 [0-9.e+-]+, bn1"):
        trainer_module.Trainer(args).run()
