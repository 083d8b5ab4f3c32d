"""What importing resnetc sets for the whole process (resnetc/_runtime.py), checked in fresh
interpreters since both settings are process-wide."""
import os
import platform
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# RSS (MiB) with a 200 MB array alive, then after it is freed.
RSS_AFTER_FREE = r"""
import os, numpy as np, resnetc
def rss():
    return int(open("/proc/self/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
a = np.ones(50 << 20, np.float32)
held = rss()
del a
print(held, rss())
"""

# Minor page faults of each of five training steps of a small ResNet-50: after the first two,
# every activation, gradient and C workspace reuses memory the process already holds.
STEP_FAULTS = r"""
import resource, numpy as np, resnetc
from resnetc import models, nn, optim
rng = np.random.default_rng(0)
x = resnetc.Tensor(rng.standard_normal((8, 3, 64, 64), dtype=np.float32))
y = resnetc.Tensor(rng.integers(0, 10, 8))
model = models.resnet50(num_classes=10)
opt = optim.AdamW(model.parameters(), lr=1e-3)
loss_fn = nn.CrossEntropyLoss()
for _ in range(5):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    opt.zero_grad(set_to_none=True)
    loss_fn(model(x), y).backward()
    opt.step()
    print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def run(code, **env):
    full = {k: v for k, v in os.environ.items()
            if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "RESNETC_KEEP_FREED_MEMORY")}
    full.update(env)
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=full, capture_output=True, text=True,
                         check=True)
    return out.stdout.split()


def test_openmp_threads_spin_briefly_unless_the_user_chose_a_wait_policy():
    code = "import os, resnetc; print(os.environ.get('OMP_WAIT_POLICY', '-'), os.environ.get('GOMP_SPINCOUNT', '-'))"
    assert run(code) == ["-", "20000"]
    assert run(code, OMP_WAIT_POLICY="PASSIVE") == ["PASSIVE", "-"]
    assert run(code, GOMP_SPINCOUNT="5") == ["-", "5"]


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc" or not os.path.exists("/proc/self/statm"),
                    reason="glibc's mallopt and Linux's /proc")
def test_freed_activations_stay_with_the_process_unless_disabled():
    held, after = map(float, run(RSS_AFTER_FREE))
    assert held - after < 20, (held, after)  # kept for the next step
    held, after = map(float, run(RSS_AFTER_FREE, RESNETC_KEEP_FREED_MEMORY="0"))
    assert held - after > 150, (held, after)  # glibc's default: a big block goes back at once


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's mallopt")
def test_training_steps_after_warm_up_fault_in_no_new_memory():
    steady = [int(v) for v in run(STEP_FAULTS)[2:]]
    assert max(steady) < 200, steady  # measured 0-1 pages a step
    # The check can fail: with glibc's defaults each step faults its activations back in.
    steady = [int(v) for v in run(STEP_FAULTS, RESNETC_KEEP_FREED_MEMORY="0")[2:]]
    assert min(steady) > 2000, steady  # measured about 11000
