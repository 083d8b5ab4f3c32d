"""torch.backends for code that configures it: ``cudnn`` and ``mps`` report no GPU and keep the
flags scripts set (``cudnn.benchmark = True``, ``cudnn.deterministic = True``), which change
nothing on the CPU."""
from resnetc.backends import cuda, cudnn, mps  # noqa: F401
