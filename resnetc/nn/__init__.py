"""Layers, losses and the Module base, under torch.nn's names."""
from resnetc.nn import functional, init
from resnetc.nn.module import Module
from resnetc.nn.modules.activation import (ELU, GELU, Hardswish, LeakyReLU, LogSoftmax, Mish, PReLU, ReLU, ReLU6, Sigmoid,
                                           SiLU, Softmax, Tanh)
from resnetc.nn.modules.batchnorm import BatchNorm1d, BatchNorm2d
from resnetc.nn.modules.container import ModuleDict, ModuleList, ParameterList, Sequential
from resnetc.nn.modules.conv import Conv2d
from resnetc.nn.modules.dropout import Dropout, Dropout2d
from resnetc.nn.modules.linear import Flatten, Identity, Linear, Unflatten
from resnetc.nn.modules.loss import (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, KLDivLoss, L1Loss, MSELoss,
                                     NLLLoss, SmoothL1Loss)
from resnetc.nn.modules.normalization import GroupNorm, LayerNorm
from resnetc.nn.modules.pooling import AdaptiveAvgPool2d, AdaptiveMaxPool2d, AvgPool2d, MaxPool2d
from resnetc.nn.modules.upsampling import Upsample
from resnetc.nn.parameter import Parameter
from resnetc.nn import utils  # torch.nn.utils: clip_grad_norm_, clip_grad_value_, parameters_to_vector
