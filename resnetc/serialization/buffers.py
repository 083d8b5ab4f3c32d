"""A file read into one writable buffer, and a seekable file object over such a buffer: readers
hand out NumPy views of that buffer instead of copying each array. Readers take a path or, as
torch.load does, a binary file object (io.BytesIO, an open file)."""
import io
import os


class _BufferFile(io.RawIOBase):
    """A read-only seekable file over a buffer, so zipfile does not need a second copy."""

    def __init__(self, buffer):
        self._view = memoryview(buffer)
        self._pos = 0

    def readable(self):
        return True

    def seekable(self):
        return True

    def seek(self, pos, whence=0):
        base = (0, self._pos, len(self._view))[whence]
        self._pos = max(0, base + pos)
        return self._pos

    def tell(self):
        return self._pos

    def readinto(self, b):
        chunk = self._view[self._pos:self._pos + len(b)]
        b[:len(chunk)] = chunk
        self._pos += len(chunk)
        return len(chunk)


def _read_file(path):
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        buffer = bytearray(size)
        view = memoryview(buffer)
        got = 0
        while got < size:
            n = f.readinto(view[got:])
            if not n:
                break
            got += n
    return buffer[:got] if got < size else buffer


def _read_source(source):
    """(name for messages, writable buffer) of a path or a binary file object."""
    if hasattr(source, "read"):
        data = source.read()
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"expected a binary file object, but read() returned "
                            f"{type(data).__name__} (open the file with 'rb')")
        return str(getattr(source, "name", "<file object>")), bytearray(data)
    path = os.fspath(source)
    return path, _read_file(path)
