"""Command line: `python -m resnetc step` runs one training step of a ResNet on random data."""
import argparse
import sys
import time

import numpy as np


def _step(args):
    import resnetc
    from resnetc import models, nn

    resnetc.manual_seed(args.seed)
    model = getattr(models, args.model)(num_classes=args.num_classes)
    rng = np.random.default_rng(args.seed)
    images = resnetc.Tensor(rng.standard_normal((args.batch_size, 3, args.image_size, args.image_size),
                                                dtype=np.float32))
    labels = resnetc.Tensor(rng.integers(0, args.num_classes, args.batch_size))
    criterion = nn.CrossEntropyLoss()
    for step in range(args.steps):
        start = time.perf_counter()
        loss = criterion(model(images), labels)
        model.zero_grad()
        loss.backward()
        with resnetc.no_grad():
            for param in model.parameters():
                param.array -= args.lr * param.grad.array
        print(f"step {step}: loss {loss.item():.4f} ({time.perf_counter() - start:.2f} s, "
              f"{args.batch_size} images of {args.image_size}x{args.image_size}, isa {resnetc.get_isa()})")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="resnetc", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    step = commands.add_parser("step", help="train a ResNet for a few steps on random data")
    step.add_argument("--model", default="resnet50")
    step.add_argument("--batch-size", type=int, default=8)
    step.add_argument("--image-size", type=int, default=128)
    step.add_argument("--num-classes", type=int, default=10)
    step.add_argument("--steps", type=int, default=3)
    step.add_argument("--lr", type=float, default=0.01)
    step.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.command == "step":
        _step(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
