"""Layers, losses and the Module base, under torch.nn's names."""
from resnetc.nn import functional, init
from resnetc.nn.module import Module
from resnetc.nn.modules.activation import LeakyReLU, LogSoftmax, ReLU, Sigmoid, SiLU, Softmax, Tanh
from resnetc.nn.modules.batchnorm import BatchNorm1d, BatchNorm2d
from resnetc.nn.modules.container import ModuleDict, ModuleList, Sequential
from resnetc.nn.modules.conv import Conv2d
from resnetc.nn.modules.dropout import Dropout
from resnetc.nn.modules.linear import Flatten, Identity, Linear
from resnetc.nn.modules.loss import (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, L1Loss, MSELoss, NLLLoss,
                                     SmoothL1Loss)
from resnetc.nn.modules.pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d
from resnetc.nn.parameter import Parameter
from resnetc.nn import utils  # torch.nn.utils: clip_grad_norm_, clip_grad_value_
