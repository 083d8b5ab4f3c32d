"""Atomic writes: a temp file ``.<name>.tmp-<host>-<pid>-<random>`` in the destination folder,
flush + fsync, ``os.replace`` onto the destination, fsync of the folder. A writer killed
mid-save leaves its temp file behind; the next write into that folder deletes temp files of
that destination whose writer process (same host) no longer exists (also available as
:func:`remove_stale_temp_files`). The destination itself is never partially written.
"""
import os
import re
import secrets
import socket


def _tmp_prefix(path):
    return f".{os.path.basename(path)}.tmp-"


def _host_tag():
    return re.sub(r"[^A-Za-z0-9]", "", socket.gethostname())[:32] or "host"


def _tmp_name(path):
    return os.path.join(os.path.dirname(path) or ".",
                        f"{_tmp_prefix(path)}{_host_tag()}-{os.getpid()}-{secrets.token_hex(4)}")


def remove_stale_temp_files(path):
    """Deletes temp files left next to ``path`` by writers (on this host) that were killed
    mid-save. Temp files of writers still running, or of other hosts, are left alone."""
    path = os.fspath(path)
    folder = os.path.dirname(path) or "."
    prefix = _tmp_prefix(path)
    host = _host_tag()
    removed = []
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return removed
    for name in names:
        if not name.startswith(prefix):
            continue
        m = re.fullmatch(r"([A-Za-z0-9]+)-(\d+)-[0-9a-f]+", name[len(prefix):])
        if not m or m.group(1) != host:
            continue
        pid = int(m.group(2))
        if pid == os.getpid() or _pid_alive(pid):
            continue
        try:
            os.unlink(os.path.join(folder, name))
            removed.append(name)
        except FileNotFoundError:
            pass
    return removed


def _pid_alive(pid):
    if os.name != "posix":
        return True  # (os.kill(pid, 0) would terminate the process on Windows)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie (killed, not yet reaped) cannot be writing any more
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except (OSError, IndexError):
        return True


def _fsync_dir(folder):
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return  # e.g. Windows: directories cannot be opened
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _atomic_write(path, write_fn):
    """Runs ``write_fn(file)`` into a temp file in path's folder, fsyncs it, renames it over
    ``path`` and fsyncs the folder."""
    folder = os.path.dirname(os.path.abspath(path))
    remove_stale_temp_files(path)
    tmp = _tmp_name(path)
    try:
        with open(tmp, "xb") as f:
            write_fn(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    _fsync_dir(folder)
