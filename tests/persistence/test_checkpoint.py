"""resnetc.save / resnetc.load: round trips, refusals, and atomicity under SIGKILL."""
import json
import os
import random
import signal
import struct
import subprocess
import sys
import time

import numpy as np
import pytest

from resnetc.serialization import atomic, load, remove_stale_temp_files, save
from resnetc.tensor import Tensor


def _temp_files(folder):
    return sorted(n for n in os.listdir(folder) if ".tmp-" in n)


def test_round_trip_types(tmp_path):
    rng = np.random.default_rng(0)
    gen = np.random.default_rng(123)
    gen.random(3)
    mt = np.random.Generator(np.random.MT19937(5))
    philox = np.random.Generator(np.random.Philox(7))
    py_random = random.Random(3)
    obj = {
        "model": {"conv1.weight": rng.standard_normal((4, 3, 3, 3)).astype(np.float32),
                  "bn1.num_batches_tracked": np.array(3, dtype=np.int64),
                  "fc.bias": Tensor(np.arange(3, dtype=np.float32), requires_grad=True)},
        "optimizer": {"state": {0: {"step": 4, "exp_avg": np.ones((2, 2), np.float32)},
                                1: {"momentum_buffer": None}},
                      "param_groups": [{"lr": 0.1, "betas": (0.9, 0.999), "params": [0, 1],
                                        "nesterov": False}]},
        "scheduler": {"best": float("inf"), "last": float("nan"), "mode": "min"},
        "epoch": 7, "best_acc": np.float32(0.875), "tag": "run-1", "nothing": None,
        "blob": b"\x00\x01", "rng": gen.bit_generator.state, "mt": mt.bit_generator.state,
        "philox": philox.bit_generator.state, "py_random": py_random.getstate(),
        "weird keys": {"__tensor__": 1, "a.b": np.zeros(2), (1, 2): "tuple key"},
        "masks": [np.array([True, False]), np.arange(3, dtype=np.uint8)],
        "odd arrays": {"empty": np.zeros((0, 3), np.float32),
                       "big_endian": np.arange(3, dtype=">f8"),
                       "strided": np.arange(12.0).reshape(3, 4)[:, ::2]},
    }
    save(obj, tmp_path / "ck.safetensors")
    assert _temp_files(tmp_path) == []
    got = load(tmp_path / "ck.safetensors")

    np.testing.assert_array_equal(got["model"]["conv1.weight"], obj["model"]["conv1.weight"])
    assert got["model"]["bn1.num_batches_tracked"].dtype == np.int64
    fc = got["model"]["fc.bias"]
    assert isinstance(fc, Tensor) and fc.requires_grad
    np.testing.assert_array_equal(fc.array, [0, 1, 2])
    assert list(got["optimizer"]["state"]) == [0, 1]
    assert got["optimizer"]["state"][0]["step"] == 4
    assert got["optimizer"]["param_groups"][0]["betas"] == (0.9, 0.999)
    assert got["scheduler"]["best"] == float("inf") and np.isnan(got["scheduler"]["last"])
    assert got["epoch"] == 7 and got["tag"] == "run-1" and got["nothing"] is None
    assert got["best_acc"] == np.float32(0.875) and type(got["best_acc"]) is np.float32
    assert got["blob"] == b"\x00\x01"
    assert got["weird keys"]["__tensor__"] == 1 and got["weird keys"][(1, 2)] == "tuple key"
    np.testing.assert_array_equal(got["weird keys"]["a.b"], [0, 0])
    assert got["masks"][0].dtype == np.bool_ and got["masks"][1].dtype == np.uint8
    for name, array in obj["odd arrays"].items():
        np.testing.assert_array_equal(got["odd arrays"][name], array)
        assert got["odd arrays"][name].dtype.isnative

    # RNG states restore the generators exactly
    for key, ref in (("rng", gen), ("mt", mt), ("philox", philox)):
        restored = np.random.Generator(getattr(np.random, got[key]["bit_generator"])())
        restored.bit_generator.state = got[key]
        np.testing.assert_array_equal(restored.random(5), ref.random(5), err_msg=key)
    restored_py = random.Random()
    restored_py.setstate(got["py_random"])
    assert restored_py.random() == py_random.random()


def test_file_is_plain_safetensors_with_dotted_names(tmp_path):
    from safetensors.numpy import load_file
    from safetensors import safe_open
    save({"model": {"layer1.0.conv1.weight": np.ones(2, np.float32)}, "epoch": 1},
         tmp_path / "ck")
    assert list(load_file(tmp_path / "ck")) == ["model.layer1.0.conv1.weight"]
    with safe_open(tmp_path / "ck", framework="np") as f:
        meta = f.metadata()
    assert meta["format"] == "resnetc.checkpoint"
    assert json.loads(meta["resnetc.checkpoint"])["epoch"] == 1


def test_unsupported_objects_are_refused_before_writing(tmp_path):
    save({"epoch": 1}, tmp_path / "ck")
    before = (tmp_path / "ck").read_bytes()
    with pytest.raises(TypeError, match=r"checkpoint\['opt'\]\['fn'\]: cannot save an object of "
                                        r"type function"):
        save({"opt": {"fn": lambda: 0}}, tmp_path / "ck")
    with pytest.raises(TypeError, match=r"cannot save an array of dtype complex128"):
        save({"z": np.zeros(2, complex)}, tmp_path / "ck")
    assert (tmp_path / "ck").read_bytes() == before and _temp_files(tmp_path) == []


def test_failed_write_keeps_previous_and_removes_temp(tmp_path, monkeypatch):
    save({"epoch": 1}, tmp_path / "ck")
    import safetensors.numpy

    def failing_save(tensors, metadata=None):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(safetensors.numpy, "save", failing_save)
    with pytest.raises(OSError, match="No space left"):
        save({"epoch": 2}, tmp_path / "ck")
    assert load(tmp_path / "ck")["epoch"] == 1 and _temp_files(tmp_path) == []


def test_corrupt_files_are_refused(tmp_path):
    save({"w": np.arange(1000, dtype=np.float32), "epoch": 3}, tmp_path / "ck")
    data = (tmp_path / "ck").read_bytes()
    (tmp_path / "cut").write_bytes(data[:len(data) - 10])
    with pytest.raises(ValueError, match=r"cut: safetensors entry 'w' .*does not fit .*truncated"):
        load(tmp_path / "cut")
    (tmp_path / "short").write_bytes(data[:5])
    with pytest.raises(ValueError, match=r"short: too short"):
        load(tmp_path / "short")
    (tmp_path / "header").write_bytes(struct.pack("<Q", 10 ** 9) + data[8:])
    with pytest.raises(ValueError, match=r"header: safetensors header of 1000000000 bytes does "
                                         r"not fit"):
        load(tmp_path / "header")
    n = struct.unpack("<Q", data[:8])[0]
    broken = data[:8] + data[8:8 + n].replace(b'\\"epoch\\":3', b'\\"epoch\\":[') + data[8 + n:]
    assert broken != data
    (tmp_path / "json").write_bytes(broken)
    with pytest.raises(ValueError, match=r"json: corrupt"):
        load(tmp_path / "json")
    from safetensors.numpy import save_file
    save_file({"w": np.ones(2, np.float32)}, tmp_path / "plain")
    assert list(load(tmp_path / "plain")) == ["w"]  # a plain safetensors file: its weights
    with pytest.raises(FileNotFoundError, match=r"no checkpoint at .*missing"):
        load(tmp_path / "missing")


def test_stale_temp_files_of_dead_writers_are_removed(tmp_path):
    path = tmp_path / "ck"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    host_tmp = atomic._tmp_name(str(path))
    prefix = host_tmp.rsplit("-", 2)[0]
    stale = f"{prefix}-{dead.pid}-0123abcd"
    live = f"{prefix}-{os.getppid()}-0123abcd"  # a running process: maybe mid-save
    other = str(tmp_path / ".other.tmp-x-1-00")
    for name in (stale, live, other):
        open(name, "wb").close()
    save({"epoch": 1}, path)
    left = _temp_files(tmp_path)
    assert os.path.basename(stale) not in left
    assert os.path.basename(live) in left and os.path.basename(other) in left
    os.unlink(live)
    assert remove_stale_temp_files(path) == []


def _writer(path, first_step):
    """Child process: saves checkpoints in a loop until killed."""
    step = first_step
    while True:
        step += 1
        save({"step": step, "w": np.full(500_000, step, np.float32),
              "nested": {"b": np.full(1000, step, np.int64), "note": f"step {step}"}}, path)


def kill_during_saves(folder):
    """Kills a saving process at random moments, many times: the checkpoint always loads,
    is whole (all arrays from one save), never goes back in time; temp files of killed
    writers are removed by the next save. Returns (kills, kills that left a temp file)."""
    path = os.path.join(folder, "last.safetensors")
    start = time.perf_counter()
    save({"step": 0, "w": np.zeros(500_000, np.float32),
          "nested": {"b": np.zeros(1000, np.int64), "note": "step 0"}}, path)
    save_time = time.perf_counter() - start  # kill within ~4 saves: before, during, between
    rng = random.Random(0)
    last_step, kills, kills_with_temp = 0, 0, 0
    deadline, hard_stop = time.monotonic() + 12, time.monotonic() + 60
    while kills < 80 and (time.monotonic() < deadline or kills < 30) and time.monotonic() < hard_stop:
        pid = os.fork()
        if pid == 0:  # child
            try:
                _writer(path, last_step)
            finally:
                os._exit(1)
        time.sleep(rng.uniform(0.0, 4 * save_time))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        kills += 1
        kills_with_temp += bool(_temp_files(folder))
        ck = load(path)
        step = ck["step"]
        assert step >= last_step
        assert ck["nested"]["note"] == f"step {step}"
        assert np.all(ck["w"] == step) and np.all(ck["nested"]["b"] == step)
        last_step = step
        assert len(_temp_files(folder)) <= 1  # each save removes the previous killed one's
    assert last_step > 0, f"no save completed in {kills} kills"
    save(load(path), path)
    assert _temp_files(folder) == [] and sorted(os.listdir(folder)) == ["last.safetensors"]
    return kills, kills_with_temp


def test_sigkill_during_saves_never_loses_the_checkpoint(tmp_path):
    # In a fresh interpreter: forked from the test process, whose other threads (OpenMP's,
    # other tests' leftovers) may hold a lock at the moment of the fork, a child could hang on
    # it. (Run in the test process, it failed once in the full suite on 2026-12-03, never
    # alone; the cause was not pinned down.)
    here = os.path.dirname(os.path.abspath(__file__))
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import test_checkpoint as t; "
            "print(*t.kill_during_saves(sys.argv[2]))")
    out = subprocess.run([sys.executable, "-c", code, here, str(tmp_path)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    kills, kills_with_temp = map(int, out.stdout.split())
    assert kills >= 30, out.stdout
    # the kills did land in the middle of writes (the test can fail), and saves did complete
    assert kills_with_temp >= 3, f"{kills_with_temp} of {kills} kills interrupted a write"


def test_random_corruption_raises_value_error_only(tmp_path):
    save({"w": np.arange(50, dtype=np.float32), "opt": {"lr": 0.1, "state": {0: (1, 2)}}},
         tmp_path / "ok")
    data = (tmp_path / "ok").read_bytes()
    rng = np.random.default_rng(2)
    refused = 0
    for _ in range(150):
        damaged = bytearray(data)
        for pos in rng.integers(0, len(data), rng.integers(1, 4)):
            damaged[pos] = rng.integers(0, 256)
        if rng.random() < 0.2:
            damaged = damaged[:rng.integers(0, len(data))]
        (tmp_path / "fuzz").write_bytes(bytes(damaged))
        try:
            load(tmp_path / "fuzz")
        except ValueError as e:
            assert "fuzz" in str(e)
            refused += 1
    assert refused > 25


def test_zero_dimensional_arrays_keep_their_shape(tmp_path):
    import resnetc as rc
    from resnetc import models

    path = tmp_path / "scalars.ckpt"
    rc.save({"count": np.array(3, np.int64), "value": rc.Tensor(np.array(2.0, np.float32))}, path)
    loaded = rc.load(path)
    assert loaded["count"].shape == () and loaded["value"].shape == ()
    state = models.resnet18().state_dict()
    rc.save_torch_state_dict(state, tmp_path / "r18.pth")
    assert rc.load_torch_state_dict(tmp_path / "r18.pth")["bn1.num_batches_tracked"].shape == ()
