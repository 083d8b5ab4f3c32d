"""resnetc.utils.tensorboard.SummaryWriter: event files read back by TensorBoard's own reader."""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from resnetc.tensor import Tensor
from resnetc.utils.tensorboard import SummaryWriter

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _accumulator(folder):
    acc = EventAccumulator(str(folder), size_guidance={"scalars": 0, "histograms": 0,
                                                       "images": 0, "tensors": 0})
    acc.Reload()
    return acc


def test_scalars_histograms_images_text(tmp_path):
    rng = np.random.default_rng(0)
    with SummaryWriter(log_dir=str(tmp_path)) as w:
        assert w.log_dir == str(tmp_path) and w.get_logdir() == str(tmp_path)
        for step in range(5):
            w.add_scalar("loss/train", Tensor(np.float32(1.0 / (step + 1))), step)
            w.add_scalar("lr", 0.1 * 0.5 ** step, global_step=step, new_style=True)
            w.add_scalar("acc", np.array([0.5 + step / 10]), step)
        w.add_scalars("loss", {"train": 0.5, "val": Tensor(np.float32(0.7))}, 3)
        w.add_histogram("weights/conv1", Tensor(rng.standard_normal(1000).astype(np.float32)), 1)
        w.add_histogram("grads", rng.standard_normal((10, 10)), 2, bins="auto")
        w.add_image("chw", Tensor(rng.random((3, 16, 24), dtype=np.float32)), 0)
        w.add_image("hwc", (rng.random((16, 24, 3)) * 255).astype(np.uint8), 0,
                    dataformats="HWC")
        w.add_image("gray", rng.random((16, 24)), 0, dataformats="HW")
        w.add_images("batch", Tensor(rng.random((4, 3, 8, 8), dtype=np.float32)), 0)
        w.add_images("list", [rng.random((8, 8, 3)) for _ in range(2)], 0, dataformats="NHWC")
        w.add_text("notes", "hello **resnetc**", 0)
        w.flush()

    acc = _accumulator(tmp_path)
    tags = acc.Tags()
    assert {"loss/train", "lr", "acc"} <= set(tags["scalars"])
    loss = acc.Scalars("loss/train")
    assert [e.step for e in loss] == list(range(5))
    np.testing.assert_allclose([e.value for e in loss], [1 / (s + 1) for s in range(5)],
                               rtol=1e-6)
    np.testing.assert_allclose([e.value for e in acc.Scalars("lr")],
                               [0.1 * 0.5 ** s for s in range(5)], rtol=1e-6)
    assert acc.Scalars("acc")[2].value == pytest.approx(0.7)
    h = acc.Histograms("weights/conv1")[0]
    assert h.step == 1 and h.histogram_value.num == 1000
    assert acc.Histograms("grads")[0].histogram_value.num == 100
    images = {t: acc.Images(t)[0] for t in tags["images"]}
    assert (images["chw"].width, images["chw"].height) == (24, 16)
    assert (images["hwc"].width, images["hwc"].height) == (24, 16)
    assert (images["gray"].width, images["gray"].height) == (24, 16)
    assert (images["batch"].width, images["batch"].height) == (32, 8)  # one row of 4 (as torch)
    assert "list" in images
    assert images["chw"].encoded_image_string[:4] == b"\x89PNG"
    text = acc.Tensors("notes/text_summary")[0]
    assert b"hello **resnetc**" in text.tensor_proto.string_val[0]

    # add_scalars writes one run per tag, under log_dir/<main_tag>/<tag> (torch: <main>_<tag>)
    val = _accumulator(tmp_path / "loss" / "val")
    assert val.Scalars("loss")[0].value == pytest.approx(0.7) and val.Scalars("loss")[0].step == 3


def test_hparams_and_figure(tmp_path):
    from matplotlib.figure import Figure
    fig = Figure(figsize=(2, 2))
    fig.add_subplot().plot([0, 1], [1, 0])
    with SummaryWriter(str(tmp_path)) as w:
        w.add_figure("curve", fig, 7)
        w.add_hparams({"lr": 0.1, "opt": "adamw", "bs": Tensor(np.int64(32)), "nesterov": True},
                      {"hparam/accuracy": Tensor(np.float32(0.9))}, run_name="trial1")
    acc = _accumulator(tmp_path)
    assert acc.Images("curve")[0].step == 7
    run = _accumulator(tmp_path / "trial1")
    assert run.Scalars("hparam/accuracy")[0].value == pytest.approx(0.9)
    plugin = run.PluginTagToContent("hparams")
    assert "_hparams_/experiment" in plugin and "_hparams_/session_start_info" in plugin
    from tensorboard.plugins.hparams import plugin_data_pb2
    info = plugin_data_pb2.HParamsPluginData.FromString(plugin["_hparams_/session_start_info"])
    hp = info.session_start_info.hparams
    assert hp["lr"].number_value == pytest.approx(0.1)
    assert hp["opt"].string_value == "adamw" and hp["bs"].number_value == 32
    assert hp["nesterov"].bool_value is True


def test_default_log_dir_and_errors(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    w = SummaryWriter(comment="_exp")
    w.close()
    assert os.path.dirname(w.log_dir) == "runs" and w.log_dir.endswith("_exp")
    assert os.listdir(w.log_dir)[0].startswith("events.out.tfevents.")
    with SummaryWriter(str(tmp_path / "e")) as w2:
        with pytest.raises(ValueError, match=r"scalar value must have one element, got shape "
                                             r"\(2,\)"):
            w2.add_scalar("x", np.zeros(2), 0)
        with pytest.raises(ValueError, match="add_graph needs input_to_model"):
            w2.add_graph(None)
        with pytest.raises(TypeError, match="should be dictionary"):
            w2.add_hparams([("lr", 1)], {})


def _run(code):
    env = dict(os.environ, PYTHONPATH=ROOT)
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, env=env, timeout=60)


def test_does_not_import_torch():
    res = _run("""
        import sys, numpy as np
        from resnetc.utils.tensorboard import SummaryWriter
        import tempfile
        with SummaryWriter(tempfile.mkdtemp()) as w:
            w.add_scalar("a", 1.0, 0)
            w.add_image("i", np.zeros((3, 4, 4)), 0)
        assert "torch" not in sys.modules, "torch was imported"
        import importlib.util
        assert importlib.util.find_spec("torch") is not None  # still importable afterwards
        print("ok")
    """)
    assert res.returncode == 0 and res.stdout.strip() == "ok", res.stderr


def test_missing_tensorboardx_says_what_to_install():
    res = _run("""
        import sys
        sys.modules["tensorboardX"] = None
        try:
            import resnetc.utils.tensorboard
        except ImportError as e:
            print(e)
    """)
    assert res.returncode == 0, res.stderr
    assert "pip install tensorboardX" in res.stdout and "tensorboardX" in res.stdout


@pytest.mark.parametrize("arch", ["resnet18", "resnet50"])
def test_add_graph_draws_what_torchs_writer_draws(tmp_path, arch):
    """The same scopes as torch's traced graph (modules, and the blocks' residual adds and the
    flatten in the containers that run them), read back by TensorBoard as a GraphDef."""
    import warnings

    import torch
    import torchvision
    from torch.utils.tensorboard._pytorch_graph import graph

    from resnetc import models

    ours_model = getattr(models, arch)()
    with SummaryWriter(str(tmp_path)) as w:
        w.add_graph(ours_model, Tensor(np.zeros((2, 3, 32, 32), np.float32)))
    graph_def = _accumulator(tmp_path).Graph()
    nodes = {n.name: n for n in graph_def.node}
    assert nodes["input/input.0"].op == "IO Node" and list(nodes["output/output.1"].input) == ["ResNet/Linear[fc]"]
    assert [d.size for d in nodes["ResNet/Linear[fc]"].attr["_output_shapes"].list.shape[0].dim] == [2, 1000]
    ours = {name.rsplit("/", 1)[0] if "[" not in name.rsplit("/", 1)[-1] else name.split("_")[0]
            for name in nodes if not name.startswith(("input/", "output/"))}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs_graph, _ = graph(getattr(torchvision.models, arch)(), torch.zeros(2, 3, 32, 32))
    theirs = {n.name.rsplit("/", 1)[0] for n in theirs_graph.node if n.op.startswith("aten::")}
    assert ours == theirs
    adds = [n for n in graph_def.node if n.op == "add"]
    assert len(adds) == sum(len(layer) for layer in (ours_model.layer1, ours_model.layer2, ours_model.layer3,
                                                      ours_model.layer4))
    assert all(len(n.input) == 2 for n in adds)  # the block's branch and its shortcut
    assert ours_model.training  # restored after the eval-mode pass
