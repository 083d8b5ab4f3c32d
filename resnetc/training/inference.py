"""`resnetc eval` and `resnetc predict`: use a checkpoint written by `resnetc train`."""
import os

import numpy as np

import resnetc
from resnetc import nn
from resnetc.datasets import ImageFolder
from resnetc.io import EncodedImage
from resnetc.metrics import plot_confusion_matrix, precision_recall_fscore
from resnetc.training.data import eval_transform
from resnetc.training.trainer import build_model, evaluate
from resnetc.utils.data import DataLoader


def load_trained(path):
    """The model of a `resnetc train` checkpoint, in eval mode, and its metadata."""
    if not os.path.isfile(path):
        raise SystemExit(f"error: --weights: no checkpoint at {path}")
    state = resnetc.load(path)
    if "meta" not in state or "model" not in state:
        raise SystemExit(f"error: {path} is not a checkpoint written by `resnetc train` "
                         f"(it has no class names or normalization); use it with --weights in `resnetc train`")
    meta = state["meta"]
    model = build_model(meta["arch"], len(meta["classes"]), dropout=meta.get("dropout", 0.0))
    model.load_state_dict(state["model"])
    return model.eval(), meta


def run_eval(args):
    model, meta = load_trained(args.weights)
    root = os.path.join(args.data, "val") if os.path.isdir(os.path.join(args.data, "val")) else args.data
    if not os.path.isdir(root):
        raise SystemExit(f"error: data folder not found: {root}")
    dataset = ImageFolder(root, transform=eval_transform(meta["image_size"], meta["val_resize"], meta["mean"],
                                                         meta["std"]))
    if dataset.classes != meta["classes"]:
        raise SystemExit(f"error: {root} has classes {dataset.classes}, the model was trained on {meta['classes']}")
    loader = DataLoader(dataset, batch_size=args.batch_size, num_workers=args.workers)
    result = evaluate(model, loader, nn.CrossEntropyLoss(), len(meta["classes"]), desc="eval")
    matrix = result["confusion_matrix"]
    print(f"loss {result['loss']:.4f}  top-1 {result['acc1']:.4f}  top-5 {result['acc5']:.4f}  "
          f"macro precision {result['precision']:.4f} recall {result['recall']:.4f} F1 {result['f1']:.4f}")
    precision, recall, f1, support = precision_recall_fscore(result["predictions"], result["targets"],
                                                             len(meta["classes"]), average=None)
    width = max(len(c) for c in meta["classes"])
    print(f"{'class':<{width}}  precision  recall     F1  support")
    for i, name in enumerate(meta["classes"]):
        print(f"{name:<{width}}  {precision[i]:9.4f}  {recall[i]:6.4f}  {f1[i]:5.4f}  {int(support[i]):7d}")
    print("confusion matrix (rows: true, columns: predicted):")
    print(np.array2string(matrix, max_line_width=200))
    if args.output_dir:
        os.makedirs(args.output_dir, exist_ok=True)
        figure = plot_confusion_matrix(matrix, meta["classes"])
        figure.savefig(os.path.join(args.output_dir, "confusion_matrix.png"), dpi=100)
    return result


def run_predict(args):
    model, meta = load_trained(args.weights)
    transform = eval_transform(meta["image_size"], meta["val_resize"], meta["mean"], meta["std"])
    k = min(args.topk, len(meta["classes"]))
    results = []
    for path in args.images:
        try:
            image = transform(EncodedImage.from_file(path))
        except (OSError, ValueError) as error:
            raise SystemExit(f"error: cannot read {path}: {error}") from None
        with resnetc.no_grad():
            probs = model(image.reshape(1, *image.shape)).softmax(1).array[0]
        top = np.argsort(-probs)[:k]
        results.append((path, [(meta["classes"][i], float(probs[i])) for i in top]))
        print(path + ": " + ", ".join(f"{name} {p:.3f}" for name, p in results[-1][1]))
    return results
