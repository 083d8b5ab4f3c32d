import subprocess
import sys

import pytest

import resnetc


def test_supported_isas_start_with_generic():
    isas = resnetc.supported_isas()
    assert isas[0] == "generic"
    assert resnetc.get_isa() in isas


def test_set_isa_rejects_unknown_and_unsupported():
    with pytest.raises(ValueError, match="unknown ISA"):
        resnetc.set_isa("sse9")
    if "avx512" not in resnetc.supported_isas():
        with pytest.raises(ValueError, match="does not support"):
            resnetc.set_isa("avx512")


def test_environment_variable_lowers_isa():
    out = subprocess.run([sys.executable, "-c", "import resnetc; print(resnetc.get_isa())"],
                         env={"RESNETC_ISA": "generic", "PATH": ""}, capture_output=True, text=True,
                         cwd=resnetc.__path__[0] + "/..")
    assert out.stdout.strip() == "generic", out.stderr


def test_import_does_not_import_torch():
    code = "import sys, resnetc, resnetc.nn, resnetc.models; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=resnetc.__path__[0] + "/..")
    assert out.stdout.strip() == "False", out.stderr


def test_set_num_threads():
    before = resnetc.get_num_threads()
    resnetc.set_num_threads(1)
    assert resnetc.get_num_threads() == 1
    resnetc.set_num_threads(before)
    with pytest.raises(ValueError):
        resnetc.set_num_threads(0)
