"""The layer classes; resnetc.nn re-exports them under torch.nn's names."""
