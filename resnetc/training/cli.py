"""`resnetc train | eval | predict`: the argument parsers, modeled on torchvision's reference train.py."""
import argparse

OPTIMIZERS = ("sgd", "sgd_nesterov", "adamw", "adam", "rmsprop")
SCHEDULERS = ("plateau", "step", "multistep", "cosine", "onecycle", "constant")


def _add_train_arguments(p):
    p.add_argument("data", nargs="?", default=None,
                   help="folder with train/ and val/ ImageFolders, or one ImageFolder split by --val-split; "
                        "omitted: the built-in demo dataset (generated once and cached)")
    p.add_argument("--model", default="resnet18", help="any resnetc.models name (default: resnet18)")
    p.add_argument("--weights", default=None, help="start from these weights (torchvision .pth, safetensors "
                                                   "or a resnetc checkpoint); a head of another size is replaced")
    p.add_argument("--epochs", type=int, default=None, help="default: 90, or 6 for the demo")
    p.add_argument("-b", "--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=None,
                   help="default: 0.1 x batch size / 256 for SGD, 1e-3 for Adam(W)/RMSprop, 2e-3 for the demo")
    p.add_argument("--opt", default=None, choices=OPTIMIZERS, help="default: sgd, or adamw for the demo")
    p.add_argument("--momentum", type=float, default=0.9)
    p.add_argument("--wd", "--weight-decay", dest="weight_decay", type=float, default=1e-4)
    p.add_argument("--norm-weight-decay", type=float, default=None,
                   help="weight decay for normalization layers and biases (default: same as --wd)")
    p.add_argument("--lr-scheduler", default=None, choices=SCHEDULERS,
                   help="default: cosine, or onecycle for the demo")
    p.add_argument("--lr-step-size", type=int, default=30, help="step: epochs between decays")
    p.add_argument("--lr-milestones", type=int, nargs="+", default=[30, 60], help="multistep: decay epochs")
    p.add_argument("--lr-gamma", type=float, default=0.1, help="step/multistep/plateau decay factor")
    p.add_argument("--lr-patience", type=int, default=3, help="plateau: epochs without improvement")
    p.add_argument("--lr-min", type=float, default=0.0, help="cosine/plateau: lowest learning rate")
    p.add_argument("--lr-warmup-epochs", type=int, default=0)
    p.add_argument("--lr-warmup-decay", type=float, default=0.01, help="warmup starts at lr * this")
    p.add_argument("--label-smoothing", type=float, default=0.0)
    p.add_argument("--image-size", type=int, default=None, help="training crop size (default: 224, demo: 64)")
    p.add_argument("--val-resize", type=int, default=None, help="validation resize (default: image size / 0.875)")
    p.add_argument("--val-split", type=float, default=0.2, help="fraction held out when DATA has no val/")
    p.add_argument("--crop-scale", type=float, nargs=2, default=(0.08, 1.0), metavar=("MIN", "MAX"),
                   help="RandomResizedCrop scale range")
    p.add_argument("--no-flip", dest="flip", action="store_false", help="no random horizontal flips")
    p.add_argument("--color-jitter", type=float, default=0.0, help="ColorJitter brightness/contrast/saturation")
    p.add_argument("--auto-augment", default=None, choices=("ta_wide", "ra", "imagenet"),
                   help="TrivialAugmentWide, RandAugment or AutoAugment(ImageNet)")
    p.add_argument("--random-erase", type=float, default=0.0, help="RandomErasing probability")
    p.add_argument("--mean", type=float, nargs=3, default=None, help="normalization mean (default: ImageNet's "
                                                                      "with --weights, else the training set's)")
    p.add_argument("--std", type=float, nargs=3, default=None)
    p.add_argument("--dropout", type=float, default=0.0, help="dropout before the final layer")
    p.add_argument("--freeze-backbone", action="store_true", help="train only the final layer")
    p.add_argument("-j", "--workers", type=int, default=2, help="data loading threads")
    p.add_argument("--threads", type=int, default=None, help="kernel threads (default: all cores)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--output-dir", default="runs/resnetc", help="checkpoints, logs, metrics and plots")
    p.add_argument("--resume", nargs="?", const="auto", default=None,
                   help="continue from a checkpoint (default: OUTPUT_DIR/last.ckpt)")
    p.add_argument("--early-stopping", type=int, default=None, metavar="PATIENCE",
                   help="stop after PATIENCE epochs without validation loss improvement")
    p.add_argument("--clip-grad-norm", type=float, default=None)
    p.add_argument("--print-freq", type=int, default=10, help="steps between log lines and gradient-norm logs")
    p.add_argument("--no-tensorboard", dest="tensorboard", action="store_false")


def build_parser():
    parser = argparse.ArgumentParser(prog="resnetc", description="Train and use ResNets on the CPU.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="{train,eval,predict,step}")
    _add_train_arguments(commands.add_parser("train", help="train a model on an image folder (or the demo)"))

    evaluate = commands.add_parser("eval", help="loss, top-1/top-5, per-class precision/recall/F1, confusion")
    evaluate.add_argument("data", help="an ImageFolder, or a folder with val/")
    evaluate.add_argument("--weights", required=True, help="a checkpoint written by resnetc train")
    evaluate.add_argument("-b", "--batch-size", type=int, default=32)
    evaluate.add_argument("-j", "--workers", type=int, default=2)
    evaluate.add_argument("--output-dir", default=None, help="also write the report and confusion matrix here")

    predict = commands.add_parser("predict", help="top-k classes of images")
    predict.add_argument("images", nargs="+")
    predict.add_argument("--weights", required=True, help="a checkpoint written by resnetc train")
    predict.add_argument("-k", "--topk", type=int, default=3)

    step = commands.add_parser("step", help="time a few training steps on random data")
    step.add_argument("--model", default="resnet50")
    step.add_argument("-b", "--batch-size", type=int, default=8)
    step.add_argument("--image-size", type=int, default=128)
    step.add_argument("--steps", type=int, default=3)
    step.add_argument("--seed", type=int, default=0)
    return parser
