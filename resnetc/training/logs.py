"""The run's metrics log: metrics.csv and metrics.jsonl, one row per epoch."""
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
