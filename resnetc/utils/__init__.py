"""Utilities: data loading (resnetc.utils.data), TensorBoard logging (resnetc.utils.tensorboard)."""
