"""Helpers shared by the model tests that pair a torchvision module with resnetc's."""
import torch


def randomize_batchnorm(module):
    """Random affine BN parameters and running stats, so every term of BN is exercised."""
    with torch.no_grad():
        for m in module.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 1.5)
