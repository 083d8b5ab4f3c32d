"""The run's files: metrics.csv and metrics.jsonl (one row per epoch) and learning_curves.png."""
import csv
import json
import os


def append_metrics(output_dir, record):
    """Appends one epoch's record to metrics.jsonl and metrics.csv (header written once)."""
    with open(os.path.join(output_dir, "metrics.jsonl"), "a") as f:
        f.write(json.dumps(record) + "\n")
    path = os.path.join(output_dir, "metrics.csv")
    new = not os.path.exists(path) or os.path.getsize(path) == 0
    with open(path, "a", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(record))
        if new:
            writer.writeheader()
        writer.writerow(record)


def plot_learning_curves(history, path):
    """Train/val loss, train/val accuracy and learning rate per epoch; None without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    epochs = [r["epoch"] for r in history]
    fig, axes = plt.subplots(1, 3, figsize=(15, 4))
    axes[0].plot(epochs, [r["train_loss"] for r in history], "o-", label="train")
    axes[0].plot(epochs, [r["val_loss"] for r in history], "o-", label="val")
    axes[0].set(title="loss", xlabel="epoch")
    axes[1].plot(epochs, [r["train_acc1"] for r in history], "o-", label="train")
    axes[1].plot(epochs, [r["val_acc1"] for r in history], "o-", label="val")
    axes[1].set(title="top-1 accuracy", xlabel="epoch", ylim=(0, 1))
    axes[2].plot(epochs, [r["lr"] for r in history], "o-")
    axes[2].set(title="learning rate", xlabel="epoch", yscale="log")
    for ax in axes[:2]:
        ax.legend()
    for ax in axes:
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
