"""Files on disk: PyTorch ``.pth`` state_dicts (read and write, without torch), safetensors,
and resnetc's own checkpoints. One module per concern:

- ``torch_reader``: :func:`load_torch_state_dict` (torch.save zip and legacy formats), with
  ``restricted_unpickler`` (the allow-list unpickler that refuses anything but plain data);
- ``torch_writer``: :func:`save_torch_state_dict` (files ``torch.load(weights_only=True)`` accepts);
- ``safetensors_io``: :func:`load_safetensors`;
- ``checkpoint``: :func:`save` / :func:`load`, resnetc's checkpoints (safetensors + JSON);
- ``atomic``: atomic writes and :func:`remove_stale_temp_files`;
- ``hub``: torchvision's pretrained files in the torch hub cache;
- ``arrays``, ``buffers``: dtype tables and zero-copy file buffers shared by the above.
"""
from resnetc.serialization.atomic import remove_stale_temp_files
from resnetc.serialization.checkpoint import load, save
from resnetc.serialization.hub import (TORCHVISION_WEIGHTS, torch_hub_checkpoint_dir,
                                       torchvision_weights_file)
from resnetc.serialization.safetensors_io import load_safetensors
from resnetc.serialization.torch_reader import load_torch_state_dict
from resnetc.serialization.torch_writer import save_torch_state_dict

__all__ = ["load_torch_state_dict", "save_torch_state_dict", "load_safetensors", "save", "load",
           "remove_stale_temp_files", "torchvision_weights_file", "torch_hub_checkpoint_dir",
           "TORCHVISION_WEIGHTS"]
