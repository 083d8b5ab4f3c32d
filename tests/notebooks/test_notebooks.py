"""The notebooks run top to bottom (with small settings), so they cannot rot."""
import os

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "notebooks")


def run_notebook(name, tmp_path, monkeypatch, **env):
    monkeypatch.setenv("RESNETC_NOTEBOOK_QUICK", "1")
    monkeypatch.setenv("RESNETC_NOTEBOOK_RUNS", str(tmp_path))
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    notebook = nbformat.read(os.path.join(NOTEBOOKS, name), as_version=4)
    NotebookClient(notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    return notebook


def outputs_of(notebook):
    return [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.get("outputs", [])]


def test_quickstart_runs_and_shows_plots(tmp_path, monkeypatch):
    notebook = run_notebook("quickstart.ipynb", tmp_path, monkeypatch)
    outputs = outputs_of(notebook)
    assert not [o for o in outputs if o.output_type == "error"]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) >= 4  # augmented samples, learning curves, predictions, confusion matrix
    text = "".join(o.get("text", "") for o in outputs)
    assert "epoch 1: train loss" in text and "precision" in text
    assert os.path.isdir(tmp_path / "tensorboard")


def test_finetune_pretrained_loads_torchvision_weights(tmp_path, monkeypatch):
    import torch
    import torchvision

    weights = tmp_path / "resnet50-random.pth"
    torch.manual_seed(0)
    torch.save(torchvision.models.resnet50().state_dict(), weights)
    notebook = run_notebook("finetune_pretrained.ipynb", tmp_path, monkeypatch, RESNETC_WEIGHTS=str(weights))
    text = "".join(o.get("text", "") for o in outputs_of(notebook))
    assert "head epoch 1" in text and "layer4+head epoch 1" in text
    exported = tmp_path / "resnet50-finetuned.pth"
    model = torchvision.models.resnet50(num_classes=8)
    model.load_state_dict(torch.load(exported, weights_only=True))
