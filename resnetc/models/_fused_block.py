"""When a Bottleneck runs as the fused block op (resnetc.nn.functional._bottleneck).

The fused op applies to the standard block: bias-free zero-padded convolutions, affine
BatchNorm2d layers, a plain or (1x1 conv, BatchNorm2d) downsample, float32 input, and no hooks
on the inner layers (a hook must see its layer run, so hooked blocks run layer by layer).
RESNETC_FUSED_BLOCK=0 turns it off (every block then runs layer by layer).
"""
import os

import numpy as np

from resnetc import nn
from resnetc.nn.functional._bottleneck import BlockLayer, bottleneck
from resnetc.tensor import as_array

ENABLED = os.environ.get("RESNETC_FUSED_BLOCK", "1") != "0"


def _plain_conv(conv):
    return (type(conv) is nn.Conv2d and conv.bias is None and conv.padding_mode == "zeros"
            and not isinstance(conv.padding, str))


def _plain_bn(bn):
    return type(bn) is nn.BatchNorm2d and bn.affine and bn.bias is not None


def _unhooked(module):
    return all(not (m._forward_hooks or m._forward_pre_hooks or m._backward_hooks or m._backward_pre_hooks)
               for m in module.modules())


def _pairs(block):
    """The block's (conv, bn) pairs in the fused op's order, or None if it is not standard."""
    pairs = [(block.conv1, block.bn1), (block.conv2, block.bn2), (block.conv3, block.bn3)]
    if block.downsample is not None:
        down = list(block.downsample.children()) if type(block.downsample) is nn.Sequential else []
        if len(down) != 2:
            return None
        pairs.append(tuple(down))
    if not all(_plain_conv(conv) and _plain_bn(bn) for conv, bn in pairs):
        return None
    if type(block.relu) is not nn.ReLU or not _unhooked(block):
        return None
    return pairs


def _layer(conv, bn):
    """BlockLayer for one (conv, bn) pair, doing BatchNorm2d.forward's bookkeeping first."""
    momentum = 0.0 if bn.momentum is None else bn.momentum
    if bn.training and bn.track_running_stats:
        bn.num_batches_tracked.array += 1
        if bn.momentum is None:
            momentum = 1.0 / float(bn.num_batches_tracked.array)
    tracked = not bn.training or bn.track_running_stats
    return BlockLayer(conv.weight, bn.weight, bn.bias, bn.running_mean if tracked else None,
                      bn.running_var if tracked else None, bn.eps, momentum, conv.stride, conv.padding,
                      conv.dilation, conv.groups)


def fused_forward(block, x):
    """The block's output through the fused op, or None when it must run layer by layer."""
    if not ENABLED:
        return None
    array = as_array(x)
    if array.dtype != np.float32 or array.ndim != 4:
        return None
    pairs = _pairs(block)
    if pairs is None:
        return None
    batch_stats = {bn.training or bn.running_mean is None for _, bn in pairs}
    if len(batch_stats) != 1:
        return None
    return bottleneck(x, [_layer(conv, bn) for conv, bn in pairs], batch_stats.pop())
