"""`python -m resnetc` (also installed as `resnetc`): train, eval, predict, step."""
import sys
import time

import numpy as np


def _step(args):
    """A few training steps of a model on random data: the quickest end-to-end check."""
    import resnetc
    from resnetc import models, nn, optim

    resnetc.manual_seed(args.seed)
    model = getattr(models, args.model)(num_classes=10)
    optimizer = optim.AdamW(model.parameters(), lr=1e-3)
    rng = np.random.default_rng(args.seed)
    images = resnetc.Tensor(rng.standard_normal((args.batch_size, 3, args.image_size, args.image_size),
                                                dtype=np.float32))
    labels = resnetc.Tensor(rng.integers(0, 10, args.batch_size))
    criterion = nn.CrossEntropyLoss()
    for step in range(args.steps):
        start = time.perf_counter()
        loss = criterion(model(images), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        seconds = time.perf_counter() - start
        print(f"step {step}: loss {loss.item():.4f}, {args.batch_size / seconds:.1f} images/s "
              f"({args.model}, {args.image_size}x{args.image_size}, isa {resnetc.get_isa()})")


def main(argv=None):
    from resnetc.training.cli import build_parser

    args = build_parser().parse_args(argv)
    if args.command == "train":
        from resnetc.training.trainer import TrainingDiverged, train

        try:
            train(args)
        except TrainingDiverged as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
    elif args.command == "eval":
        from resnetc.training.inference import run_eval

        run_eval(args)
    elif args.command == "predict":
        from resnetc.training.inference import run_predict

        run_predict(args)
    else:
        _step(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
