"""`resnetc train`, `eval` and `predict`: the training recipe and its monitoring."""
