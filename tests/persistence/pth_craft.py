"""Builds .pth archives by hand (pickle opcodes + zip) to feed the loader malformed files."""
import struct
import zipfile


def _str(s):
    b = s.encode()
    return b"X" + struct.pack("<I", len(b)) + b


def _int(n):
    return b"J" + struct.pack("<i", n)


def _ints(values):
    return b"(" + b"".join(_int(v) for v in values) + b"t"


def global_(module, name):
    return b"c" + f"{module}\n{name}\n".encode()


def tensor(storage_type, key, numel, offset, size, stride):
    """Opcodes of one _rebuild_tensor_v2(...) call, as torch.save writes it."""
    return (global_("torch._utils", "_rebuild_tensor_v2") + b"(" +
            b"(" + _str("storage") + global_("torch", storage_type) + _str(key) + _str("cpu") +
            _int(numel) + b"tQ" + _int(offset) + _ints(size) + _ints(stride) + b"\x89" +
            global_("collections", "OrderedDict") + b")R" + b"tR")


def state_dict_pickle(items):
    """items: list of (name, opcodes of the value)."""
    body = b"".join(_str(k) + v for k, v in items)
    return b"\x80\x02" + global_("collections", "OrderedDict") + b")R(" + body + b"u."


def write_pth(path, pkl, storages, byteorder=b"little", compress=None, extra=()):
    """storages: dict key -> bytes. compress: names to deflate."""
    compress = compress or ()
    with zipfile.ZipFile(path, "w") as zf:
        def rec(name, data):
            zf.writestr(f"archive/{name}", data,
                        zipfile.ZIP_DEFLATED if name in compress else zipfile.ZIP_STORED)
        rec("data.pkl", pkl)
        if byteorder is not None:
            rec("byteorder", byteorder)
        for k, v in storages.items():
            rec(f"data/{k}", v)
        rec("version", b"3\n")
        for name, data in extra:
            rec(name, data)


def rewrite_pth(src, dst, fn):
    """Copies a zip archive, passing each (short name, bytes) through fn -> bytes or None."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            short = info.filename.split("/", 1)[1]
            data = fn(short, zin.read(info))
            if data is not None:
                zout.writestr(info.filename, data, zipfile.ZIP_STORED)
