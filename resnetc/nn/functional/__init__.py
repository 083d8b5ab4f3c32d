"""torch.nn.functional's counterparts: stateless ops with autograd, on resnetc's C kernels."""
from resnetc.nn.functional._conv import conv2d, linear
