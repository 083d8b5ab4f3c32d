"""Local stand-in: main has not committed resnetc/nn/functional yet (untracked, never committed)."""
