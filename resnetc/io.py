"""Reading and writing images.

An ImageFolder's default loader returns an EncodedImage (the file's bytes, not yet decoded), so
that a transform chain of known ops can decode, crop and resize in one fused C call.
"""
import os


class EncodedImage:
    """An image file's encoded bytes and the path they came from (for error messages)."""

    __slots__ = ("data", "path")

    def __init__(self, data, path=None):
        self.data = bytes(data)
        self.path = path

    @classmethod
    def from_file(cls, path):
        with open(path, "rb") as f:
            return cls(f.read(), os.fspath(path))

    def __repr__(self):
        return f"EncodedImage(path={self.path!r}, {len(self.data)} bytes)"
