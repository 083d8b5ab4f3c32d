"""resnetc.save / resnetc.load called as torch.save / torch.load are: file objects, torch's
files, map_location and weights_only, argparse Namespaces in checkpoints."""
import argparse
import io

import numpy as np
import pytest
import torch

import resnetc
from resnetc.serialization import load, save


def test_save_and_load_through_file_objects(tmp_path):
    buffer = io.BytesIO()
    save({"w": np.arange(6, dtype=np.float32).reshape(2, 3), "epoch": 4}, buffer)
    buffer.seek(0)
    got = load(buffer)
    assert got["epoch"] == 4 and np.array_equal(got["w"], np.arange(6).reshape(2, 3))
    with open(tmp_path / "ck", "wb") as f:
        save({"step": 7}, f)
    with open(tmp_path / "ck", "rb") as f:
        assert load(f) == {"step": 7}


def test_files_written_by_torch_save_load(tmp_path):
    model = torch.nn.Linear(3, 2)
    args = argparse.Namespace(lr=0.1, model="resnet18")
    torch.save({"model": model.state_dict(), "epoch": 3, "args": args}, tmp_path / "ck.pth")
    got = load(tmp_path / "ck.pth", map_location="cpu", weights_only=False)
    assert got["epoch"] == 3 and got["args"] == args
    np.testing.assert_array_equal(got["model"]["weight"], model.weight.detach().numpy())
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    buffer.seek(0)
    got = load(buffer, weights_only=True)
    assert list(got) == ["weight", "bias"]
    np.testing.assert_array_equal(got["bias"], model.bias.detach().numpy())


def test_a_torch_file_holding_a_model_is_refused_with_weights_only_false(tmp_path):
    torch.save(torch.nn.Linear(2, 2), tmp_path / "model.pth")
    with pytest.raises(ValueError, match=r"model.pth is not a plain state_dict"):
        load(tmp_path / "model.pth", weights_only=False)


@pytest.mark.parametrize("where", ["cpu", "cpu:0", resnetc.device("cpu"), {"cuda:0": "cpu"},
                                   lambda storage, location: storage])
def test_map_location_to_the_cpu_is_accepted(tmp_path, where):
    save({"w": np.ones(2, np.float32)}, tmp_path / "ck")
    assert np.array_equal(load(tmp_path / "ck", map_location=where)["w"], np.ones(2))


def test_map_location_to_a_gpu_is_refused(tmp_path):
    save({"w": np.ones(2, np.float32)}, tmp_path / "ck")
    with pytest.raises(RuntimeError, match=r"CPU only: device 'cuda:0'"):
        load(tmp_path / "ck", map_location="cuda:0")


def test_namespaces_round_trip_in_resnetc_checkpoints(tmp_path):
    args = argparse.Namespace(lr=0.5, name="run", milestones=[3, 6], mean=(0.5, 0.4))
    save({"args": args, "w": np.zeros(1, np.float32)}, tmp_path / "ck")
    got = load(tmp_path / "ck")["args"]
    assert isinstance(got, argparse.Namespace) and got == args


def test_text_mode_file_objects_are_refused_clearly(tmp_path):
    save({"step": 1}, tmp_path / "ck")
    (tmp_path / "t.txt").write_text("hello")
    with open(tmp_path / "t.txt") as f, pytest.raises(TypeError, match="open the file with 'rb'"):
        load(f)


def test_other_files_are_named_as_not_checkpoints(tmp_path):
    (tmp_path / "notes.txt").write_text("hello, this is not a checkpoint")
    with pytest.raises(ValueError, match=r"notes.txt: not a checkpoint: neither resnetc's"):
        load(tmp_path / "notes.txt")
