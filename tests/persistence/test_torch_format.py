"""Reading torch.save'd .pth files without torch, refusing malicious or malformed ones, and
writing .pth files that torch.load(weights_only=True) accepts."""
import collections
import os
import pickle
import subprocess
import sys
import textwrap
import zipfile

import numpy as np
import pytest
import torch
import torchvision

from resnetc.serialization import load_torch_state_dict, save_torch_state_dict
from resnetc.tensor import Tensor
from . import pth_craft as craft

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_torchvision_resnet50_loads_without_torch(tmp_path):
    torch.manual_seed(0)
    model = torchvision.models.resnet50()
    model.layer1[0].bn1.running_mean.uniform_()  # buffers with distinct values too
    path = tmp_path / "resnet50.pth"
    torch.save(model.state_dict(), path)
    out = tmp_path / "arrays.npz"
    script = textwrap.dedent(f"""
        import sys, numpy as np
        from resnetc.serialization import load_torch_state_dict
        sd = load_torch_state_dict({str(path)!r})
        assert "torch" not in sys.modules, "the loader imported torch"
        arrays = {{f"a{{i}}": v for i, v in enumerate(sd.values())}}
        np.savez({str(out)!r}, names=np.array(list(sd)), **arrays)
        print(type(sd).__name__, len(sd), sum(v.nbytes for v in sd.values()))
    """)
    env = dict(os.environ, PYTHONPATH=ROOT)
    res = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env,
                         timeout=120)
    assert res.returncode == 0, res.stderr
    assert res.stdout.split()[0] == "OrderedDict"
    expected = model.state_dict()
    with np.load(out) as z:
        names = list(z["names"])
        assert names == list(expected)
        for i, name in enumerate(names):
            ref = expected[name].numpy()
            got = z[f"a{i}"]
            assert got.dtype == ref.dtype and got.shape == ref.shape, name
            np.testing.assert_array_equal(got, ref, err_msg=name)


def test_torchvision_reference_checkpoint(tmp_path):
    """train.py of torchvision's references saves model, optimizer, scheduler, epoch, args."""
    import argparse
    model = torch.nn.Linear(3, 2)
    opt = torch.optim.AdamW(model.parameters(), lr=0.01)
    model(torch.randn(4, 3)).sum().backward()
    opt.step()
    sched = torch.optim.lr_scheduler.StepLR(opt, 3)
    args = argparse.Namespace(model="resnet50", lr=0.5, epochs=90, weights=None,
                              lr_steps=[16, 22], amp=False)
    checkpoint = {"model": model.state_dict(), "optimizer": opt.state_dict(),
                  "lr_scheduler": sched.state_dict(), "epoch": 4, "args": args}
    torch.save(checkpoint, tmp_path / "model_4.pth")
    got = load_torch_state_dict(tmp_path / "model_4.pth")
    assert got["epoch"] == 4 and isinstance(got["args"], argparse.Namespace)
    assert vars(got["args"]) == vars(args)
    np.testing.assert_array_equal(got["model"]["weight"], model.weight.detach().numpy())
    state = got["optimizer"]["state"][0]
    np.testing.assert_array_equal(state["exp_avg"], opt.state_dict()["state"][0]["exp_avg"])
    assert got["optimizer"]["param_groups"][0]["lr"] == 0.01
    assert got["lr_scheduler"]["step_size"] == 3


def test_state_dict_metadata_and_parameters(tmp_path):
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4))
    torch.save(model.state_dict(), tmp_path / "m.pth")
    sd = load_torch_state_dict(tmp_path / "m.pth")
    assert isinstance(sd, collections.OrderedDict)
    assert list(sd) == list(model.state_dict())
    assert sd["1.num_batches_tracked"].dtype == np.int64 and sd["1.num_batches_tracked"].shape == ()
    assert sd._metadata[""]["version"] == 1 and sd._metadata["1"]["version"] == 2
    # bare Parameters (torch.save({'p': nn.Parameter})) rebuild through _rebuild_parameter
    torch.save({"p": torch.nn.Parameter(torch.arange(3.0))}, tmp_path / "p.pth")
    np.testing.assert_array_equal(load_torch_state_dict(tmp_path / "p.pth")["p"], [0, 1, 2])


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16, torch.bfloat16,
                                   torch.int64, torch.int32, torch.int16, torch.int8,
                                   torch.uint8, torch.bool])
def test_dtypes(tmp_path, dtype):
    t = (torch.randn(3, 5) * 100).to(dtype)
    torch.save({"t": t, "scalar": t[1, 2].clone()}, tmp_path / "d.pth")
    sd = load_torch_state_dict(tmp_path / "d.pth")
    ref = t.float().numpy() if dtype == torch.bfloat16 else t.numpy()
    assert sd["t"].dtype == ref.dtype
    np.testing.assert_array_equal(sd["t"], ref)
    assert sd["scalar"].shape == () and isinstance(sd["scalar"], np.ndarray)
    np.testing.assert_array_equal(sd["scalar"], ref[1, 2])


def test_views_offsets_and_shared_storage(tmp_path):
    base = torch.arange(60, dtype=torch.float32).reshape(3, 4, 5)
    views = {"base": base, "slice": base[1:, :, 2:], "strided": base[:, ::2, ::3],
             "transposed": base.transpose(0, 2), "row": base[2, 1], "empty": base[:, :0],
             "expanded": torch.arange(3.0).reshape(3, 1).expand(3, 4)}
    torch.save(views, tmp_path / "v.pth")
    sd = load_torch_state_dict(tmp_path / "v.pth")
    for name, t in views.items():
        np.testing.assert_array_equal(sd[name], t.numpy(), err_msg=name)
        assert sd[name].flags.c_contiguous and sd[name].flags.writeable
    # contiguous tensors are views of the read buffer (no copy); others are copies
    assert np.shares_memory(sd["base"], sd["row"])  # both views of the storage's bytes
    assert not np.shares_memory(sd["base"], sd["slice"])
    sd["base"][0, 0, 0] = -1  # writeable, and only the loaded data changes
    assert views["base"][0, 0, 0] == 0


def test_big_endian_archive(tmp_path):
    t = {"f": torch.randn(4, 3), "h": torch.randn(5).half(), "b": torch.randn(2).bfloat16(),
         "i": torch.arange(6)}
    torch.save(t, tmp_path / "le.pth")

    def to_big(name, data):
        if name == "byteorder":
            return b"big"
        if name.startswith("data/"):
            key = name.split("/")[1]
            itemsize = {"0": 4, "1": 2, "2": 2, "3": 8}[key]
            return np.frombuffer(data, f"<u{itemsize}").astype(f">u{itemsize}").tobytes()
        return data

    craft.rewrite_pth(tmp_path / "le.pth", tmp_path / "be.pth", to_big)
    reference = torch.load(tmp_path / "be.pth", weights_only=True)  # torch swaps too
    sd = load_torch_state_dict(tmp_path / "be.pth")
    for name in t:
        np.testing.assert_array_equal(sd[name], t[name].float().numpy() if name == "b"
                                      else t[name].numpy())
        np.testing.assert_array_equal(sd[name], reference[name].float().numpy())
        assert sd[name].dtype.isnative


def test_safetensors_files(tmp_path):
    from safetensors.torch import save_file
    t = {"w": torch.randn(3, 4), "b": torch.randn(4).bfloat16(), "n": torch.tensor(7)}
    save_file(t, tmp_path / "w.safetensors")
    sd = load_torch_state_dict(tmp_path / "w.safetensors")
    for name in t:
        np.testing.assert_array_equal(sd[name], t[name].float().numpy() if name == "b"
                                      else t[name].numpy())


# ---- refused files ---------------------------------------------------------------------------


class _RunsCommand:
    def __init__(self, command):
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command,))


class _Evals:
    def __reduce__(self):
        return (eval, ("__import__('os').getpid()",))


def _pth_with_pickle(tmp_path, pkl, storages=None):
    path = tmp_path / "bad.pth"
    craft.write_pth(path, pkl, storages or {})
    return path


@pytest.mark.parametrize("protocol", [0, 2, 4])
def test_os_system_global_is_refused_and_does_not_run(tmp_path, protocol):
    marker = tmp_path / "pwned"
    pkl = pickle.dumps({"w": _RunsCommand(f"touch {marker}")}, protocol=protocol)
    path = _pth_with_pickle(tmp_path, pkl)
    with pytest.raises(ValueError, match=r"bad.pth is not a plain state_dict .*"
                                         r"(posix.system|os.system|opcode INST)"):
        load_torch_state_dict(path)
    assert not marker.exists()
    # the same file does run the command with a plain unpickler: the test is meaningful
    with zipfile.ZipFile(path) as z:
        pickle.loads(z.read("archive/data.pkl"))
    assert marker.exists()


def test_eval_and_pickled_model_are_refused(tmp_path):
    with pytest.raises(ValueError, match=r"not a plain state_dict .*(__builtin__|builtins).eval"):
        load_torch_state_dict(_pth_with_pickle(tmp_path, pickle.dumps(_Evals(), protocol=2)))
    model = torch.nn.Linear(2, 2)
    torch.save(model, tmp_path / "model.pth")
    with pytest.raises(ValueError, match=r"model.pth is not a plain state_dict .*"
                                         r"torch.nn.modules.linear.Linear.*model.state_dict"):
        load_torch_state_dict(tmp_path / "model.pth")


@pytest.mark.parametrize("body, message", [
    # REDUCE on an allowed global that is not a callable
    (craft.global_("torch", "FloatStorage") + b")R", r"calls torch.FloatStorage"),
    # BUILD (setstate) on something that is not an OrderedDict
    (b"]}b", r"sets the state of a list"),
    # NEWOBJ on an allowed class other than argparse.Namespace, or with arguments
    (craft.global_("collections", "OrderedDict") + b")\x81", r"creates an object of class "
                                                             r"collections.OrderedDict"),
    (craft.global_("argparse", "Namespace") + b"K\x01\x85\x81", r"creates an object of class "
                                                               r"argparse.Namespace"),
    # OBJ / INST opcodes (protocol 0/1 class instantiation)
    (b"(" + craft.global_("collections", "OrderedDict") + b"o", r"opcode OBJ"),
    # a persistent id that is not a storage
    (b"X\x03\x00\x00\x00abcQ", r"persistent id"),
    # a storage key that could address another entry
    (craft.tensor("FloatStorage", "../0", 1, 0, (1,), (1,)), r"bad storage key"),
    # a list that contains itself (memo), and absurd nesting
    (b"]q\x00h\x00a", r"nest too deeply or contain themselves"),
    (b"]" * 100_000 + b"a" * 99_999, r"nest too deeply or contain themselves"),
    # _rebuild_tensor_v2 given a string as storage
    (craft.global_("torch._utils", "_rebuild_tensor_v2") + b"(X\x01\x00\x00\x00sJ\x00\x00\x00"
     b"\x00)))\x89tR", r"expects a storage"),
])
def test_malformed_pickles_are_refused(tmp_path, body, message):
    pkl = b"\x80\x02" + body + b"."
    with pytest.raises(ValueError, match=r"bad.pth is not a plain state_dict \(refused: .*"
                                         + message):
        load_torch_state_dict(_pth_with_pickle(tmp_path, pkl))


def test_storage_shorter_than_declared(tmp_path):
    pkl = craft.state_dict_pickle([("w", craft.tensor("FloatStorage", "0", 10, 0, (10,), (1,)))])
    path = _pth_with_pickle(tmp_path, pkl, {"0": np.zeros(9, np.float32).tobytes()})
    with pytest.raises(ValueError, match=r"bad.pth: entry 'archive/data/0' holds 36 bytes but "
                                         r"the pickle declares 40 bytes"):
        load_torch_state_dict(path)


@pytest.mark.parametrize("offset, size, stride, message", [
    (8, (3,), (1,), r"offset 8, size \(3,\), stride \(1,\)\) reaches element 10 of storage "
                    r"data/0, which holds 10 elements"),
    (0, (4, 3), (3, 1), r"reaches element 11"),
    (0, (2, 2), (1, 9), r"reaches element 10"),
    (-1, (1,), (1,), r"storage offset must be an int >= 0"),
    (0, (2,), (-1,), r"negative tensor size or stride"),
    (0, (2, 2), (1,), r"different lengths"),
])
def test_tensor_outside_its_storage(tmp_path, offset, size, stride, message):
    pkl = craft.state_dict_pickle(
        [("w", craft.tensor("FloatStorage", "0", 10, offset, size, stride))])
    path = _pth_with_pickle(tmp_path, pkl, {"0": np.zeros(10, np.float32).tobytes()})
    with pytest.raises(ValueError, match=r"not a plain state_dict \(refused: .*" + message):
        load_torch_state_dict(path)


def test_missing_entry(tmp_path):
    pkl = craft.state_dict_pickle([("w", craft.tensor("FloatStorage", "7", 2, 0, (2,), (1,)))])
    with pytest.raises(ValueError, match=r"bad.pth: the archive has no entry 'archive/data/7'"):
        load_torch_state_dict(_pth_with_pickle(tmp_path, pkl))
    path = tmp_path / "nopkl.pth"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("archive/version", "3\n")
    with pytest.raises(ValueError, match=r"nopkl.pth: the zip archive has no <name>/data.pkl"):
        load_torch_state_dict(path)


def test_truncated_archives(tmp_path):
    torch.save({"w": torch.randn(1000)}, tmp_path / "ok.pth")
    data = (tmp_path / "ok.pth").read_bytes()
    for cut in (10, len(data) // 2, len(data) - 30, len(data) - 1):
        path = tmp_path / f"cut{cut}.pth"
        path.write_bytes(data[:cut])
        with pytest.raises(ValueError, match=rf"cut{cut}.pth: .*(truncated|corrupt|too short)"):
            load_torch_state_dict(path)
    (tmp_path / "empty.pth").write_bytes(b"")
    with pytest.raises(ValueError, match=r"empty.pth: file too short"):
        load_torch_state_dict(tmp_path / "empty.pth")
    # the central directory intact but a storage cut short: offsets point past the end
    info = zipfile.ZipFile(tmp_path / "ok.pth").getinfo("ok/data/0")
    damaged = data[:info.header_offset + 100] + data[info.header_offset + 4100:]
    (tmp_path / "hole.pth").write_bytes(damaged)
    with pytest.raises(ValueError, match=r"hole.pth: "):
        load_torch_state_dict(tmp_path / "hole.pth")


def test_zip_bomb_is_refused(tmp_path):
    numel = 25_000_000  # 100 MB of float32 zeros deflate to ~100 KB
    pkl = craft.state_dict_pickle(
        [("w", craft.tensor("FloatStorage", "0", numel, 0, (numel,), (1,)))])
    path = tmp_path / "bomb.pth"
    craft.write_pth(path, pkl, {"0": bytes(4 * numel)}, compress={"data/0"})
    assert path.stat().st_size < 1_000_000
    with pytest.raises(ValueError, match=r"bomb.pth: entry 'archive/data/0' would expand \d+ "
                                         r"compressed bytes to 100000000 .*zip bomb"):
        load_torch_state_dict(path)
    # a compressed data.pkl that expands hugely is refused before decompression, too
    path2 = tmp_path / "bomb2.pth"
    craft.write_pth(path2, b"\x80\x02N" + b"0" * 50_000_000 + b".", {}, compress={"data.pkl"})
    with pytest.raises(ValueError, match=r"bomb2.pth: entry 'archive/data.pkl' .*zip bomb"):
        load_torch_state_dict(path2)


def test_moderately_compressed_archive_loads(tmp_path):
    t = np.random.default_rng(0).standard_normal(1000).astype(np.float32)
    pkl = craft.state_dict_pickle([("w", craft.tensor("FloatStorage", "0", 1000, 0, (1000,),
                                                      (1,)))])
    craft.write_pth(tmp_path / "z.pth", pkl, {"0": t.tobytes()}, compress={"data/0", "data.pkl"})
    np.testing.assert_array_equal(load_torch_state_dict(tmp_path / "z.pth")["w"], t)


def test_legacy_format(tmp_path):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4))
    state = dict(model.state_dict(), half=torch.randn(3).half(), bf=torch.randn(2).bfloat16(),
                 view=torch.arange(12.0).reshape(3, 4)[1:, ::2])
    path = tmp_path / "legacy.pth"
    torch.save(state, path, _use_new_zipfile_serialization=False)
    assert not zipfile.is_zipfile(path)
    sd = load_torch_state_dict(path)
    assert list(sd) == list(state)
    for name, t in state.items():
        np.testing.assert_array_equal(sd[name], t.float().numpy() if name == "bf" else t.numpy())
    data = path.read_bytes()
    (tmp_path / "cut.pth").write_bytes(data[:-7])
    # (the last storage is whichever torch wrote last: cut in its data or in its size header)
    with pytest.raises(ValueError, match=r"cut.pth: storage \d+ .*(runs|starts) past the end of "
                                         r"the file.*: truncated"):
        load_torch_state_dict(tmp_path / "cut.pth")
    (tmp_path / "cut2.pth").write_bytes(data[:200])
    with pytest.raises(ValueError, match=r"cut2.pth: .*not a readable pickle .*truncated"):
        load_torch_state_dict(tmp_path / "cut2.pth")
    marker = tmp_path / "pwned"
    evil = b"".join(pickle.dumps(v, protocol=2) for v in (
        0x1950A86A20F9469CFC6C, 1001, {"little_endian": True},
        {"w": _RunsCommand(f"touch {marker}")}, []))
    (tmp_path / "evil.pth").write_bytes(evil)
    with pytest.raises(ValueError, match=r"evil.pth is not a plain state_dict .*system"):
        load_torch_state_dict(tmp_path / "evil.pth")
    assert not marker.exists()


def test_other_formats_are_refused_clearly(tmp_path):
    (tmp_path / "junk.bin").write_bytes(os.urandom(4096))
    with pytest.raises(ValueError, match=r"junk.bin: not a torch.save zip archive nor a "
                                         r"safetensors file"):
        load_torch_state_dict(tmp_path / "junk.bin")
    with pytest.raises(FileNotFoundError):
        load_torch_state_dict(tmp_path / "nope.pth")


def test_unknown_byteorder_and_storage_type(tmp_path):
    pkl = craft.state_dict_pickle([("w", craft.tensor("FloatStorage", "0", 1, 0, (1,), (1,)))])
    craft.write_pth(tmp_path / "bo.pth", pkl, {"0": bytes(4)}, byteorder=b"middle")
    with pytest.raises(ValueError, match=r"bo.pth: unknown byteorder 'middle'"):
        load_torch_state_dict(tmp_path / "bo.pth")
    pkl = craft.state_dict_pickle([("w", craft.tensor("QInt8Storage", "0", 1, 0, (1,), (1,)))])
    with pytest.raises(ValueError, match=r"global torch.QInt8Storage, which is not allowed"):
        load_torch_state_dict(_pth_with_pickle(tmp_path, pkl, {"0": bytes(1)}))


# ---- export ----------------------------------------------------------------------------------


def test_export_loads_in_torch_weights_only(tmp_path):
    rng = np.random.default_rng(0)
    state = collections.OrderedDict([
        ("conv.weight", rng.standard_normal((4, 3, 3, 3)).astype(np.float32)),
        ("bn.num_batches_tracked", np.array(5, dtype=np.int64)),
        ("half", rng.standard_normal(5).astype(np.float16)),
        ("double", rng.standard_normal((2, 2))),
        ("mask", np.array([True, False, True])),
        ("view", np.arange(20, dtype=np.float32).reshape(4, 5)[:, 1::2]),
        ("swapped", np.arange(4, dtype=">i4")),
        ("empty", np.zeros((0, 3), np.float32)),
        ("tensor", Tensor(np.ones((2, 3), np.float32), requires_grad=True)),
    ])
    save_torch_state_dict(state, tmp_path / "out.pth")
    loaded = torch.load(tmp_path / "out.pth", weights_only=True)
    assert isinstance(loaded, collections.OrderedDict) and list(loaded) == list(state)
    for name, array in state.items():
        array = np.asarray(array.array if isinstance(array, Tensor) else array)
        assert loaded[name].numpy().dtype == array.dtype.newbyteorder("="), name
        np.testing.assert_array_equal(loaded[name].numpy(), array, err_msg=name)
    again = load_torch_state_dict(tmp_path / "out.pth")
    for name, array in state.items():
        np.testing.assert_array_equal(again[name], np.asarray(array))
    assert os.listdir(tmp_path) == ["out.pth"]
    with pytest.raises(TypeError, match=r"cannot save an object of type object"):
        save_torch_state_dict({"x": object()}, tmp_path / "bad.pth")
    assert sorted(os.listdir(tmp_path)) == ["out.pth"]


def test_export_round_trip_into_torchvision_model(tmp_path):
    torch.manual_seed(0)
    source = torchvision.models.resnet18(num_classes=10)
    torch.save(source.state_dict(), tmp_path / "src.pth")
    arrays = load_torch_state_dict(tmp_path / "src.pth")
    save_torch_state_dict(arrays, tmp_path / "export.pth")
    target = torchvision.models.resnet18(num_classes=10)
    target.load_state_dict(torch.load(tmp_path / "export.pth", weights_only=True))
    source.eval(), target.eval()
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(target(x), source(x), rtol=0, atol=0)


# ---- torchvision's pretrained files ----------------------------------------------------------


def test_weight_file_names_match_torchvision():
    from resnetc.serialization import TORCHVISION_WEIGHTS
    for arch, table in TORCHVISION_WEIGHTS.items():
        enum = torchvision.models.get_model_weights(arch)
        assert {w.name: w.url.rsplit("/", 1)[1] for w in enum} == table, arch


def test_hub_cache_lookup(tmp_path, monkeypatch):
    from resnetc.serialization import torch_hub_checkpoint_dir, torchvision_weights_file
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "th"))
    folder = tmp_path / "th" / "hub" / "checkpoints"
    assert torch_hub_checkpoint_dir() == str(folder)
    with pytest.raises(FileNotFoundError, match=r"resnet50 weights IMAGENET1K_V2 not found: put "
                                                r"resnet50-11ad3fa6.pth in .*th/hub/checkpoints "
                                                r"\(download https://download.pytorch.org/models/"
                                                r"resnet50-11ad3fa6.pth"):
        torchvision_weights_file("resnet50")
    folder.mkdir(parents=True)
    (folder / "resnet18-f37072fd.pth").write_bytes(b"")
    assert torchvision_weights_file("resnet18", "DEFAULT") == str(folder / "resnet18-f37072fd.pth")
    assert torchvision_weights_file("resnet18", "ResNet18_Weights.IMAGENET1K_V1").endswith(
        "resnet18-f37072fd.pth")
    with pytest.raises(ValueError, match=r"resnet18 has no weights 'IMAGENET1K_V2'; choose one "
                                         r"of DEFAULT, IMAGENET1K_V1"):
        torchvision_weights_file("resnet18", "IMAGENET1K_V2")
    with pytest.raises(ValueError, match=r"no torchvision weights for 'vgg16'"):
        torchvision_weights_file("vgg16")
    monkeypatch.delenv("TORCH_HOME")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert torch_hub_checkpoint_dir() == str(tmp_path / "xdg" / "torch" / "hub" / "checkpoints")


@pytest.mark.parametrize("legacy", [False, True])
def test_random_corruption_raises_value_error_only(tmp_path, legacy):
    """Flipped bytes anywhere in a file: it loads (damage in padding or data) or raises a
    ValueError naming the file -- never another exception, never a crash."""
    torch.save({"w": torch.randn(4, 3), "n": torch.tensor(2), "h": torch.randn(3).half()},
               tmp_path / "ok.pth", _use_new_zipfile_serialization=not legacy)
    data = (tmp_path / "ok.pth").read_bytes()
    rng = np.random.default_rng(1)
    path = tmp_path / "fuzz.pth"
    outcomes = {"loaded": 0, "refused": 0}
    for _ in range(150):
        damaged = bytearray(data)
        for pos in rng.integers(0, len(data), rng.integers(1, 4)):
            damaged[pos] = rng.integers(0, 256)
        if rng.random() < 0.2:
            damaged = damaged[:rng.integers(0, len(data))]
        path.write_bytes(bytes(damaged))
        try:
            load_torch_state_dict(path)
            outcomes["loaded"] += 1
        except ValueError as e:
            assert "fuzz.pth" in str(e)
            outcomes["refused"] += 1
    assert outcomes["refused"] > 25 and outcomes["loaded"] > 5, outcomes
