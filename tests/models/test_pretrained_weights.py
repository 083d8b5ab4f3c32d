"""torchvision's weight files load into resnetc models without torch, and give torch's logits."""
import subprocess
import sys

import numpy as np
import pytest
import torch
import torchvision

import resnetc
from resnetc import models


@pytest.fixture(scope="module")
def torchvision_file(tmp_path_factory):
    torch.manual_seed(0)
    reference = torchvision.models.resnet50().eval()
    path = tmp_path_factory.mktemp("weights") / "resnet50-0676ba61.pth"
    torch.save(reference.state_dict(), path)
    return reference, path


def test_weights_path_reproduces_torch_logits(torchvision_file):
    reference, path = torchvision_file
    x = np.random.default_rng(0).standard_normal((2, 3, 64, 64)).astype(np.float32)
    with torch.no_grad():
        expected = reference(torch.from_numpy(x)).numpy()
    model = models.resnet50(weights=str(path)).eval()
    with resnetc.no_grad():
        logits = model(resnetc.Tensor(x)).array
    assert np.abs(logits - expected).max() / np.abs(expected).max() < 1e-4


def test_loading_does_not_import_torch(torchvision_file):
    _, path = torchvision_file
    code = ("import sys, resnetc; from resnetc import models; m = models.resnet50(weights=sys.argv[1]); "
            "print('torch' in sys.modules, m.fc.weight.shape)")
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True,
                         cwd=resnetc.__path__[0] + "/..")
    assert out.stdout.split()[0] == "False", out.stderr


def test_default_weights_come_from_the_hub_cache(torchvision_file, tmp_path, monkeypatch):
    _, path = torchvision_file
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    with pytest.raises(FileNotFoundError, match=r"resnet50-11ad3fa6\.pth.*hub/checkpoints"):
        models.resnet50(weights="DEFAULT")
    cache = tmp_path / "hub" / "checkpoints"
    cache.mkdir(parents=True)
    (cache / "resnet50-0676ba61.pth").write_bytes(path.read_bytes())
    model = models.resnet50(pretrained=True)  # torchvision's legacy flag means IMAGENET1K_V1
    np.testing.assert_array_equal(model.conv1.weight.array, resnetc.load_torch_state_dict(path)["conv1.weight"])


def test_a_head_of_another_size_keeps_its_fresh_initialisation(torchvision_file):
    _, path = torchvision_file
    with pytest.warns(UserWarning, match="fc keeps its fresh initialisation"):
        model = models.resnet50(weights=str(path), num_classes=10)
    assert model.fc.weight.shape == (10, 2048)
    np.testing.assert_array_equal(model.layer4[2].conv3.weight.array,
                                  resnetc.load_torch_state_dict(path)["layer4.2.conv3.weight"])
