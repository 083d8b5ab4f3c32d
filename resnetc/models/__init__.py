"""Models with torchvision.models' names."""
from resnetc.models.resnet import (BasicBlock, Bottleneck, ResNet, resnet18, resnet34, resnet50, resnet101,
                                   resnet152, resnext50_32x4d, resnext101_32x8d, resnext101_64x4d,
                                   wide_resnet50_2, wide_resnet101_2)
from resnetc.models.finetune import DropoutLinear, backbone_eval, freeze_backbone, replace_head
from resnetc.models.registry import get_model, get_model_weights, list_models
from resnetc.models.weights import (ResNet18_Weights, ResNet34_Weights, ResNet50_Weights, ResNet101_Weights,
                                    ResNet152_Weights, ResNeXt50_32X4D_Weights, ResNeXt101_32X8D_Weights,
                                    ResNeXt101_64X4D_Weights, Weights, WeightsEnum, Wide_ResNet50_2_Weights,
                                    Wide_ResNet101_2_Weights, get_weight)
