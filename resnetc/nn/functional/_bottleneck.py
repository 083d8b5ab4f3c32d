"""bottleneck: torchvision's Bottleneck block (conv-bn-relu, conv-bn-relu, conv-bn, + residual,
relu) as one autograd op on csrc/nn/bottleneck.c.

One op instead of ten: each BN + ReLU (+ residual add) is a single memory pass, and backward
recomputes the two inner activations from the saved convolution outputs instead of keeping
them, so a training step holds about a third less activation memory. The numbers are those of
the separate layers (the same kernels in the same order).
"""
import numpy as np

from resnetc import _C
from resnetc.nn.functional._checks import grad_array
from resnetc.tensor import as_array, is_grad_enabled, record


class BlockLayer:
    """One convolution (no bias) followed by an affine BatchNorm, as the block op takes them.

    running_mean/running_var are updated in place by a batch-statistics forward (None: not
    tracked); momentum is the update's factor for this step."""

    __slots__ = ("weight", "bn_weight", "bn_bias", "running_mean", "running_var", "eps", "momentum",
                 "stride", "padding", "dilation", "groups")

    def __init__(self, weight, bn_weight, bn_bias, running_mean, running_var, eps, momentum,
                 stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1):
        self.weight, self.bn_weight, self.bn_bias = weight, bn_weight, bn_bias
        self.running_mean, self.running_var = running_mean, running_var
        self.eps, self.momentum = float(eps), float(momentum)
        self.stride, self.padding, self.dilation, self.groups = tuple(stride), tuple(padding), tuple(dilation), int(groups)

    def as_args(self):
        def array(x):
            return None if x is None else as_array(x)

        return (array(self.weight), array(self.bn_weight), array(self.bn_bias), array(self.running_mean),
                array(self.running_var), self.eps, self.momentum, self.stride, self.padding, self.dilation,
                self.groups)


def _values_per_channel(size, conv):
    """Output positions of the 3x3 convolution: the fewest values any of the block's BNs sees."""
    kernel = as_array(conv.weight).shape[2:]
    positions = 1
    for n, k, s, p, d in zip(size, kernel, conv.stride, conv.padding, conv.dilation):
        positions *= max(0, (n + 2 * p - d * (k - 1) - 1) // s + 1)
    return positions


def bottleneck(input, layers, batch_stats):
    """relu(bn3(conv3(relu(bn2(conv2(relu(bn1(conv1(x)))))))) + residual), residual = x, or
    bn_d(conv_d(x)) when a fourth (downsample) layer is given.

    input is a float32 (N, C, H, W) array or Tensor; layers are 3 or 4 BlockLayer. batch_stats
    normalises with the batch's statistics (training) instead of the running ones."""
    x = np.ascontiguousarray(as_array(input))
    if x.dtype != np.float32:
        raise TypeError(f"bottleneck: expected input of dtype float32, got {x.dtype}")
    if x.ndim != 4:
        raise ValueError(f"bottleneck: expected a 4-D (N, C, H, W) input, got shape {tuple(x.shape)}")
    if batch_stats and x.shape[0] * _values_per_channel(x.shape[2:], layers[1]) <= 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size {tuple(x.shape)}")
    args = tuple(layer.as_args() for layer in layers)
    inputs = (input,) + tuple(t for layer in layers for t in (layer.weight, layer.bn_weight, layer.bn_bias))
    needs = [getattr(t, "requires_grad", False) for t in inputs]
    save = any(needs) and is_grad_enabled()
    out, saved = _C.bottleneck_forward(x, args, bool(batch_stats), save)
    need_x, need_params = needs[0], any(needs[1:])

    def backward(g):
        dx, dweights, dgammas, dbetas = _C.bottleneck_backward(grad_array(g), out, x, args, saved, bool(batch_stats),
                                                               need_x, need_params)
        grads = [dx]
        for i in range(len(layers)):
            grads += [None, None, None] if dweights is None else [dweights[i], dgammas[i], dbetas[i]]
        return grads

    return record(out, inputs, backward)
