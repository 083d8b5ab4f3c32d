"""torch.nn.functional's counterparts: stateless ops with autograd, on resnetc's C kernels
(the small layers in vectorised NumPy)."""
from resnetc.nn.functional._activation import (dropout, dropout2d, elu, gelu, hardswish, leaky_relu, mish, prelu, relu,
                                               relu6, sigmoid, silu, tanh)
from resnetc.nn.functional._conv import conv2d, linear
from resnetc.nn.functional._distance import cosine_similarity, normalize
from resnetc.nn.functional._interpolate import interpolate
from resnetc.nn.functional._loss import cross_entropy, log_softmax, nll_loss, softmax
from resnetc.nn.functional._norm import batch_norm, group_norm, layer_norm
from resnetc.nn.functional._one_hot import one_hot
from resnetc.nn.functional._pad import pad
from resnetc.nn.functional._pointwise_loss import (binary_cross_entropy, binary_cross_entropy_with_logits, huber_loss,
                                                   kl_div, l1_loss, mse_loss, smooth_l1_loss)
from resnetc.nn.functional._pool import adaptive_avg_pool2d, adaptive_max_pool2d, avg_pool2d, max_pool2d


def flatten(input, start_dim=0, end_dim=-1):
    return input.flatten(start_dim, end_dim)
