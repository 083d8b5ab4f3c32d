"""The `resnetc train` loop: torchvision's reference recipe, with the monitoring users expect.

Every epoch: train (tqdm bar with loss, accuracy, images/s), validate (loss, top-1/top-5,
macro precision/recall/F1), step the schedule, log to TensorBoard and metrics.csv/jsonl, write
`last.ckpt` (and `best.ckpt` when validation loss improves) atomically. A non-finite loss stops
at once and leaves the last good checkpoint in place. At the end: learning_curves.png.
"""
import json
import math
import os
import time
import warnings

import numpy as np

import resnetc
from resnetc import models, nn, optim
from resnetc.callbacks import EarlyStopping
from resnetc.metrics import confusion_matrix, plot_learning_curves, precision_recall_fscore
from resnetc.optim import lr_scheduler
from resnetc.optim.param_groups import set_weight_decay
from resnetc.training import data as training_data
from resnetc.training.demo_data import default_demo_root, make_demo_dataset
from resnetc.training.logs import append_metrics
from resnetc.training.progress import progress_bar
from resnetc.utils.data import DataLoader

# Demo settings: small images and a short one-cycle AdamW schedule, so the whole pipeline runs in a
# few minutes on 2 cores.
DEMO_DEFAULTS = {"epochs": 6, "image_size": 64, "crop_scale": (0.6, 1.0), "opt": "adamw", "lr": 2e-3,
                 "lr_scheduler": "onecycle"}
GRAD_NORM_VANISHING = 1e-7
GRAD_NORM_EXPLODING = 1e3


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite."""


def build_model(arch, num_classes, weights=None, dropout=0.0, freeze=False):
    """A resnetc model with a `num_classes` head, optionally from pretrained weights."""
    if not hasattr(models, arch) or not arch.startswith(("resnet", "resnext", "wide_resnet")):
        names = sorted(n for n in dir(models) if n.startswith(("resnet", "resnext", "wide_resnet")))
        raise SystemExit(f"error: unknown model '{arch}'; choose one of {', '.join(names)}")
    model = getattr(models, arch)()
    head = {}
    if weights:
        state = load_model_weights(weights)
        head = {k[len("fc."):]: v for k, v in state.items() if k.startswith("fc.")}
        missing, unexpected = model.load_state_dict({k: v for k, v in state.items() if not k.startswith("fc.")},
                                                    strict=False)
        missing = [k for k in missing if not k.startswith("fc.")]
        if missing or unexpected:
            raise SystemExit(f"error: --weights {weights} does not fit {arch}: missing {missing[:3]}, "
                             f"unexpected {unexpected[:3]}")
    models.replace_head(model, num_classes, dropout)
    if head and tuple(np.shape(head.get("weight"))) == tuple(model.fc.weight.shape):
        model.fc.load_state_dict(head)
    if freeze:
        models.freeze_backbone(model)
    return model


def load_model_weights(path):
    """Model weights from a torchvision .pth, a safetensors file or a resnetc checkpoint."""
    if path.endswith(".ckpt"):
        return resnetc.load(path)["model"]
    return resnetc.load_torch_state_dict(path)


def build_optimizer(model, args):
    params = set_weight_decay(model, args.weight_decay, norm_weight_decay=args.norm_weight_decay)
    lr = args.lr
    if args.opt.startswith("sgd"):
        return optim.SGD(params, lr=lr, momentum=args.momentum, nesterov=args.opt == "sgd_nesterov")
    if args.opt == "adamw":
        return optim.AdamW(params, lr=lr)
    if args.opt == "adam":
        return optim.Adam(params, lr=lr)
    return optim.RMSprop(params, lr=lr, momentum=args.momentum, eps=0.0316, alpha=0.9)


def build_scheduler(optimizer, args, steps_per_epoch):
    """(per-epoch scheduler or None, per-step scheduler or None, plateau scheduler or None)."""
    main_epochs = args.epochs - args.lr_warmup_epochs
    if args.lr_scheduler == "onecycle":
        return None, lr_scheduler.OneCycleLR(optimizer, max_lr=args.lr, epochs=args.epochs,
                                             steps_per_epoch=steps_per_epoch), None
    if args.lr_scheduler == "plateau":
        plateau = lr_scheduler.ReduceLROnPlateau(optimizer, "min", factor=args.lr_gamma,
                                                 patience=args.lr_patience, min_lr=args.lr_min)
        warmup = None
        if args.lr_warmup_epochs:
            warmup = lr_scheduler.LinearLR(optimizer, start_factor=args.lr_warmup_decay,
                                           total_iters=args.lr_warmup_epochs)
        return warmup, None, plateau
    if args.lr_scheduler == "step":
        main = lr_scheduler.StepLR(optimizer, step_size=args.lr_step_size, gamma=args.lr_gamma)
    elif args.lr_scheduler == "multistep":
        main = lr_scheduler.MultiStepLR(optimizer, milestones=args.lr_milestones, gamma=args.lr_gamma)
    elif args.lr_scheduler == "cosine":
        main = lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(main_epochs, 1), eta_min=args.lr_min)
    else:
        main = lr_scheduler.ConstantLR(optimizer, factor=1.0, total_iters=0)
    if args.lr_warmup_epochs:
        warmup = lr_scheduler.LinearLR(optimizer, start_factor=args.lr_warmup_decay,
                                       total_iters=args.lr_warmup_epochs)
        main = lr_scheduler.SequentialLR(optimizer, [warmup, main], milestones=[args.lr_warmup_epochs])
    return main, None, None


def gradient_norms(model):
    """L2 norm of the gradients per top-level child (conv1, layer1, ..., fc) and in total."""
    groups = {}
    for name, param in model.named_parameters():
        if param.grad is not None:
            groups.setdefault(name.split(".")[0], []).append(param.grad)
    norms = {group: nn.utils.get_total_norm(grads).item() for group, grads in groups.items()}
    norms["total"] = math.sqrt(sum(norm * norm for norm in norms.values()))
    return norms


def evaluate(model, loader, criterion, num_classes, desc="val"):
    """Loss, top-1/top-5 accuracy, macro precision/recall/F1 and the confusion matrix."""
    model.eval()
    total_loss, count, top5_hits = 0.0, 0, 0
    predictions, targets = [], []
    with resnetc.no_grad():
        for images, labels in progress_bar(loader, desc=desc, leave=False):
            logits = model(images)
            total_loss += criterion(logits, labels).item() * len(labels)
            count += len(labels)
            scores, y = logits.array, np.asarray(labels.array)
            k = min(5, num_classes)
            top5_hits += int((np.argsort(-scores, axis=1)[:, :k] == y[:, None]).any(axis=1).sum())
            predictions.append(scores.argmax(1))
            targets.append(y)
    predictions, targets = np.concatenate(predictions), np.concatenate(targets)
    matrix = confusion_matrix(predictions, targets, num_classes=num_classes)
    precision, recall, f1, _ = precision_recall_fscore(predictions, targets, num_classes, average="macro")
    return {"loss": total_loss / max(count, 1), "acc1": float((predictions == targets).mean()),
            "acc5": top5_hits / max(count, 1), "precision": precision, "recall": recall, "f1": f1,
            "confusion_matrix": matrix, "predictions": predictions, "targets": targets}


class Trainer:
    """Holds everything one `resnetc train` run needs; `run()` trains to the end."""

    def __init__(self, args):
        self.args = args
        os.makedirs(args.output_dir, exist_ok=True)
        if args.threads:
            resnetc.set_num_threads(args.threads)
        resnetc.manual_seed(args.seed)
        self.data_root = self._resolve_data(args)
        self.datasets = training_data.build_datasets(self.data_root, args)
        self.classes = self.datasets.classes
        self.train_loader = DataLoader(self.datasets.train, batch_size=args.batch_size, shuffle=True,
                                       num_workers=args.workers, drop_last=len(self.datasets.train) > args.batch_size,
                                       seed=args.seed)
        self.val_loader = DataLoader(self.datasets.val, batch_size=args.batch_size, num_workers=args.workers)
        self.model = build_model(args.model, len(self.classes), args.weights, args.dropout, args.freeze_backbone)
        self.criterion = nn.CrossEntropyLoss(label_smoothing=args.label_smoothing)
        self.val_criterion = nn.CrossEntropyLoss()
        self.optimizer = build_optimizer(self.model, args)
        self.epoch_scheduler, self.step_scheduler, self.plateau = build_scheduler(
            self.optimizer, args, len(self.train_loader))
        self.early_stopping = EarlyStopping(mode="min", patience=args.early_stopping) \
            if args.early_stopping else None
        self.writer = self._open_writer(args)
        self.epoch, self.step, self.best_val_loss, self.history = 0, 0, math.inf, []
        if args.resume:
            self._resume(args.resume)

    # ------------------------------------------------------------------ set-up
    @staticmethod
    def _resolve_data(args):
        if args.data is not None:
            return args.data
        root = make_demo_dataset(default_demo_root())
        print(f"No DATA given: training on the demo dataset at {root}")
        return root

    def _open_writer(self, args):
        if not args.tensorboard:
            return None
        from resnetc.utils.tensorboard import SummaryWriter

        writer = SummaryWriter(os.path.join(args.output_dir, "tensorboard"))
        hparams = {k: (v if isinstance(v, (int, float, str, bool)) else str(v)) for k, v in vars(args).items()}
        writer.add_text("hparams", json.dumps(hparams, indent=1))
        return writer

    # ------------------------------------------------------------------ one epoch
    def _set_train_mode(self):
        self.model.train()
        if self.args.freeze_backbone:
            models.backbone_eval(self.model)

    def train_one_epoch(self):
        self._set_train_mode()
        self.train_loader.set_epoch(self.epoch)
        loss_sum, correct, seen, start = 0.0, 0, 0, time.perf_counter()
        warned = False
        bar = progress_bar(self.train_loader, desc=f"epoch {self.epoch + 1}/{self.args.epochs}")
        for images, labels in bar:
            logits = self.model(images)
            loss = self.criterion(logits, labels)
            loss_value = loss.item()
            if not math.isfinite(loss_value):
                raise TrainingDiverged(
                    f"the loss became {loss_value} at epoch {self.epoch + 1}, step {self.step}: training stopped. "
                    f"The last good checkpoint is {os.path.join(self.args.output_dir, 'last.ckpt')}. "
                    f"Try a lower --lr, --clip-grad-norm, or --lr-warmup-epochs.")
            self.optimizer.zero_grad()
            loss.backward()
            if self.args.clip_grad_norm:
                nn.utils.clip_grad_norm_(self.model.parameters(), self.args.clip_grad_norm)
            if self.step % self.args.print_freq == 0:
                warned = self._log_gradients(warned)
            self.optimizer.step()
            if self.step_scheduler is not None:
                self.step_scheduler.step()
            batch = len(labels)
            loss_sum += loss_value * batch
            correct += int((logits.array.argmax(1) == labels.array).sum())
            seen += batch
            self.step += 1
            rate = seen / (time.perf_counter() - start)
            bar.set_postfix(loss=f"{loss_sum / seen:.4f}", acc=f"{correct / seen:.3f}", img_s=f"{rate:.1f}")
            if self.writer and self.step % self.args.print_freq == 0:
                self.writer.add_scalar("train/loss_step", loss_value, self.step)
                self.writer.add_scalar("train/lr_step", self.optimizer.param_groups[0]["lr"], self.step)
        elapsed = time.perf_counter() - start
        return {"loss": loss_sum / max(seen, 1), "acc1": correct / max(seen, 1), "images_per_s": seen / elapsed,
                "time_s": elapsed}

    def _log_gradients(self, warned):
        norms = gradient_norms(self.model)
        if self.writer:
            for group, value in norms.items():
                self.writer.add_scalar(f"grad_norm/{group}", value, self.step)
        total = norms["total"]
        if not warned and (not math.isfinite(total) or total > GRAD_NORM_EXPLODING):
            warnings.warn(f"exploding gradients: total norm {total:.3g} at step {self.step} "
                          f"(per layer: {_format_norms(norms)}); consider --clip-grad-norm or a lower --lr")
            return True
        if not warned and 0 < len(norms) and total < GRAD_NORM_VANISHING:
            warnings.warn(f"vanishing gradients: total norm {total:.3g} at step {self.step} "
                          f"(per layer: {_format_norms(norms)})")
            return True
        return warned

    # ------------------------------------------------------------------ the run
    def run(self):
        args = self.args
        print(f"Training {args.model} on {len(self.datasets.train)} images ({len(self.classes)} classes), "
              f"validating on {len(self.datasets.val)}; output in {args.output_dir}")
        while self.epoch < args.epochs:
            train = self.train_one_epoch()
            val = evaluate(self.model, self.val_loader, self.val_criterion, len(self.classes))
            lr = self.optimizer.param_groups[0]["lr"]
            self._step_schedules(val["loss"])
            self.epoch += 1
            record = {"epoch": self.epoch, "lr": lr, **{f"train_{k}": v for k, v in train.items()},
                      **{f"val_{k}": v for k, v in val.items() if np.isscalar(v)}}
            self.history.append(record)
            improved = val["loss"] < self.best_val_loss
            if improved:
                self.best_val_loss = val["loss"]
            self._log_epoch(record)
            self.save_checkpoint("last.ckpt")
            if improved:
                self.save_checkpoint("best.ckpt")
            if self.early_stopping and self.early_stopping.step(val["loss"]):
                print(f"Early stopping: validation loss has not improved for {args.early_stopping} epochs")
                break
        self.finish()
        return self.history

    def _step_schedules(self, val_loss):
        if self.plateau is not None and self.epoch >= self.args.lr_warmup_epochs:
            self.plateau.step(val_loss)
        elif self.epoch_scheduler is not None:
            self.epoch_scheduler.step()

    def _log_epoch(self, record):
        append_metrics(self.args.output_dir, record)
        print(f"epoch {record['epoch']}/{self.args.epochs}  lr {record['lr']:.3g}  "
              f"train loss {record['train_loss']:.4f} acc {record['train_acc1']:.3f}  "
              f"val loss {record['val_loss']:.4f} acc {record['val_acc1']:.3f} top5 {record['val_acc5']:.3f} "
              f"F1 {record['val_f1']:.3f}  {record['train_images_per_s']:.1f} img/s", flush=True)
        if self.writer:
            w, epoch = self.writer, record["epoch"]
            # One scalar per metric ("train/loss", "val/acc1", ...), plus train-vs-val overlays.
            for key, value in record.items():
                if key != "epoch":
                    w.add_scalar(key.replace("_", "/", 1), value, epoch)
            w.add_scalars("loss", {"train": record["train_loss"], "val": record["val_loss"]}, epoch)
            w.add_scalars("accuracy", {"train": record["train_acc1"], "val": record["val_acc1"]}, epoch)
            w.flush()

    def finish(self):
        if self.writer:
            final = self.history[-1] if self.history else {}
            self.writer.add_hparams({"model": self.args.model, "opt": self.args.opt, "lr": self.args.lr,
                                     "batch_size": self.args.batch_size},
                                    {"hparam/best_val_loss": self.best_val_loss,
                                     "hparam/val_acc1": final.get("val_acc1", 0.0)})
            self.writer.close()
        if self.history:
            path = os.path.join(self.args.output_dir, "learning_curves.png")
            try:
                plot_learning_curves(self.history, path, title=f"{self.args.model} on {self.data_root}")
                print(f"Learning curves: {path}")
            except ImportError as error:
                print(f"No learning-curve plot: {error}")

    # ------------------------------------------------------------------ checkpoints
    def checkpoint_state(self):
        args = self.args
        meta = {"arch": args.model, "classes": list(self.classes), "mean": list(self.datasets.mean),
                "std": list(self.datasets.std), "image_size": args.image_size, "val_resize": args.val_resize,
                "dropout": args.dropout, "epoch": self.epoch, "step": self.step,
                "best_val_loss": self.best_val_loss, "history": self.history, "args": vars(args),
                "rng": resnetc.random.default_generator().bit_generator.state}
        state = {"model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(), "meta": meta}
        for key, scheduler in (("epoch_scheduler", self.epoch_scheduler), ("step_scheduler", self.step_scheduler),
                               ("plateau", self.plateau), ("early_stopping", self.early_stopping)):
            if scheduler is not None:
                state[key] = scheduler.state_dict()
        return state

    def save_checkpoint(self, name):
        resnetc.save(self.checkpoint_state(), os.path.join(self.args.output_dir, name))

    def _resume(self, path):
        if path == "auto":
            path = os.path.join(self.args.output_dir, "last.ckpt")
        if not os.path.exists(path):
            raise SystemExit(f"error: --resume: no checkpoint at {path}")
        state = resnetc.load(path)
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        for key, scheduler in (("epoch_scheduler", self.epoch_scheduler), ("step_scheduler", self.step_scheduler),
                               ("plateau", self.plateau), ("early_stopping", self.early_stopping)):
            if scheduler is not None and key in state:
                scheduler.load_state_dict(state[key])
        meta = state["meta"]
        self.epoch, self.step, self.best_val_loss = meta["epoch"], meta["step"], meta["best_val_loss"]
        self.history = list(meta["history"])
        resnetc.random.default_generator().bit_generator.state = meta["rng"]
        print(f"Resumed from {path} at epoch {self.epoch}")


def _format_norms(norms):
    return ", ".join(f"{k} {v:.3g}" for k, v in norms.items() if k != "total")


def apply_defaults(args):
    """Fills the options whose default depends on others (demo data, optimizer)."""
    demo = args.data is None
    if args.opt is None:
        args.opt = DEMO_DEFAULTS["opt"] if demo else "sgd"
    if args.lr_scheduler is None:
        args.lr_scheduler = DEMO_DEFAULTS["lr_scheduler"] if demo else "cosine"
    if args.epochs is None:
        args.epochs = DEMO_DEFAULTS["epochs"] if demo else 90
    if args.image_size is None:
        args.image_size = DEMO_DEFAULTS["image_size"] if demo else 224
    if demo and tuple(args.crop_scale) == (0.08, 1.0):
        args.crop_scale = DEMO_DEFAULTS["crop_scale"]
    if args.val_resize is None:
        args.val_resize = int(round(args.image_size / 0.875))
    if args.lr is None:
        if demo:
            args.lr = DEMO_DEFAULTS["lr"]
        else:
            args.lr = 0.1 * args.batch_size / 256 if args.opt.startswith("sgd") else 1e-3
    return args


def train(args):
    return Trainer(apply_defaults(args)).run()
