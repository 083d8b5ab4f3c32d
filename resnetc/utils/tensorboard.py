"""TensorBoard logging with ``torch.utils.tensorboard``'s API, written by tensorboardX.

:class:`SummaryWriter` takes the same arguments as torch's and accepts resnetc Tensors, NumPy
arrays and Python numbers wherever torch's takes tensors. Event files are written by
tensorboardX (``pip install tensorboardX``; view them with ``pip install tensorboard`` and
``tensorboard --logdir runs``).

Differences from torch's writer: ``add_graph`` draws modules and the plain ops between them
(torch's draws traced aten ops); ``add_scalars`` puts each
series in the run ``<log_dir>/<main_tag>/<tag>`` (torch: ``<log_dir>/<main_tag>_<tag>``; the
TensorBoard charts look the same); ``add_hparams`` ignores
``hparam_domain_discrete`` (tensorboardX does not record domains); ``add_scalar``'s
``new_style`` and ``double_precision`` are accepted and ignored (values are logged as float32
simple values, which every TensorBoard reads).

tensorboardX imports torch when it can, only to recognise torch tensors; resnetc never hands
it one, so it is imported here with torch hidden (unless the user imported torch already), and
resnetc stays free of torch at run time.
"""
import sys

import numpy as np

__all__ = ["SummaryWriter"]


def _import_tensorboardx():
    hide_torch = "torch" not in sys.modules
    if hide_torch:
        sys.modules["torch"] = None  # makes `import torch` raise ImportError
    try:
        import tensorboardX
    except ImportError as e:
        raise ImportError(
            "resnetc.utils.tensorboard writes TensorBoard event files with tensorboardX, which "
            f"is not installed or not importable ({e}): pip install tensorboardX "
            "(and pip install tensorboard to view the logs)") from e
    finally:
        if hide_torch and sys.modules.get("torch", 0) is None:
            del sys.modules["torch"]
    return tensorboardX


_tbx = _import_tensorboardx()


def _np(x):
    """resnetc Tensor -> its ndarray (detached); lists of Tensors/arrays -> one stacked array."""
    from resnetc.tensor import Tensor
    if isinstance(x, Tensor):
        return x.array
    if isinstance(x, (list, tuple)) and x and any(isinstance(v, (Tensor, np.ndarray)) for v in x):
        return np.stack([_np(v) for v in x])
    return x


def _scalar(x):
    value = _np(x)
    if isinstance(value, np.ndarray):
        if value.size != 1:
            raise ValueError(f"scalar value must have one element, got shape {value.shape}")
        value = value.reshape(()).item()
    elif isinstance(value, np.generic):
        value = value.item()
    return value


class SummaryWriter(_tbx.SummaryWriter):
    """Writes TensorBoard event files to ``log_dir`` (default ``runs/<date>_<host><comment>``),
    like ``torch.utils.tensorboard.SummaryWriter``. Use as a context manager or call close()."""

    def __init__(self, log_dir=None, comment="", purge_step=None, max_queue=10, flush_secs=120,
                 filename_suffix=""):
        super().__init__(logdir=log_dir, comment=comment, purge_step=purge_step,
                         max_queue=max_queue, flush_secs=flush_secs,
                         filename_suffix=filename_suffix)

    @property
    def log_dir(self):
        return self.logdir

    def get_logdir(self):
        return self.logdir

    def add_scalar(self, tag, scalar_value, global_step=None, walltime=None, new_style=False,
                   double_precision=False):
        super().add_scalar(tag, _scalar(scalar_value), global_step, walltime)

    def add_scalars(self, main_tag, tag_scalar_dict, global_step=None, walltime=None):
        values = {k: _scalar(v) for k, v in tag_scalar_dict.items()}
        super().add_scalars(main_tag, values, global_step, walltime)

    def add_histogram(self, tag, values, global_step=None, bins="tensorflow", walltime=None,
                      max_bins=None):
        values = np.asarray(_np(values))
        super().add_histogram(tag, values, global_step, bins, walltime, max_bins)

    def add_histogram_raw(self, tag, min, max, num, sum, sum_squares, bucket_limits,
                          bucket_counts, global_step=None, walltime=None):
        super().add_histogram_raw(tag, _scalar(min), _scalar(max), _scalar(num), _scalar(sum),
                                  _scalar(sum_squares), np.asarray(_np(bucket_limits)).tolist(),
                                  np.asarray(_np(bucket_counts)).tolist(), global_step,
                                  walltime)

    def add_image(self, tag, img_tensor, global_step=None, walltime=None, dataformats="CHW"):
        super().add_image(tag, np.asarray(_np(img_tensor)), global_step, walltime, dataformats)

    def add_images(self, tag, img_tensor, global_step=None, walltime=None, dataformats="NCHW"):
        super().add_images(tag, np.asarray(_np(img_tensor)), global_step, walltime, dataformats)

    def add_image_with_boxes(self, tag, img_tensor, box_tensor, global_step=None, walltime=None,
                             rescale=1, dataformats="CHW", labels=None):
        super().add_image_with_boxes(tag, np.asarray(_np(img_tensor)),
                                     np.asarray(_np(box_tensor)), global_step, walltime,
                                     dataformats, labels, rescale=rescale)

    def add_figure(self, tag, figure, global_step=None, close=True, walltime=None):
        super().add_figure(tag, figure, global_step, close, walltime)

    def add_text(self, tag, text_string, global_step=None, walltime=None):
        super().add_text(tag, text_string, global_step, walltime)

    def add_hparams(self, hparam_dict, metric_dict, hparam_domain_discrete=None, run_name=None,
                    global_step=None):
        if not isinstance(hparam_dict, dict) or not isinstance(metric_dict, dict):
            raise TypeError("hparam_dict and metric_dict should be dictionary.")
        hparams = {}
        for k, v in hparam_dict.items():
            v = _scalar(v)
            hparams[k] = v if isinstance(v, (bool, int, float, str)) or v is None else str(v)
        metrics = {k: float(_scalar(v)) for k, v in metric_dict.items()}
        super().add_hparams(hparams, metrics, name=run_name, global_step=global_step)

    def add_pr_curve(self, tag, labels, predictions, global_step=None, num_thresholds=127,
                     weights=None, walltime=None):
        super().add_pr_curve(tag, np.asarray(_np(labels)), np.asarray(_np(predictions)),
                             global_step, num_thresholds,
                             None if weights is None else np.asarray(_np(weights)), walltime)

    def add_embedding(self, mat, metadata=None, label_img=None, global_step=None, tag="default",
                      metadata_header=None):
        super().add_embedding(np.asarray(_np(mat)), metadata,
                              None if label_img is None else np.asarray(_np(label_img)),
                              global_step, tag, metadata_header)

    def add_video(self, tag, vid_tensor, global_step=None, fps=4, walltime=None):
        super().add_video(tag, np.asarray(_np(vid_tensor)), global_step, fps, walltime)

    def add_audio(self, tag, snd_tensor, global_step=None, sample_rate=44100, walltime=None):
        super().add_audio(tag, np.asarray(_np(snd_tensor)), global_step, sample_rate, walltime)

    def add_mesh(self, tag, vertices, colors=None, faces=None, config_dict=None,
                 global_step=None, walltime=None):
        def conv(x):
            return None if x is None else np.asarray(_np(x))

        super().add_mesh(tag, conv(vertices), conv(colors), conv(faces), config_dict,
                         global_step, walltime)

    def add_graph(self, model, input_to_model=None, verbose=False, use_strict_trace=True):
        """The model's graph for TensorBoard's Graphs tab, from one forward pass in eval mode
        on ``input_to_model`` (see resnetc.utils._model_graph). ``use_strict_trace`` is torch's
        tracer option and is ignored."""
        from tensorboardX.proto.event_pb2 import Event

        from resnetc.utils._model_graph import model_graph
        graph_def, nodes = model_graph(model, input_to_model)
        if verbose:
            for name, op, inputs, shape in nodes:
                print(f"{name} = {op}({', '.join(inputs)}) -> {list(shape)}")
        self._get_file_writer().add_event(Event(graph_def=graph_def.SerializeToString()))

    def __repr__(self):
        return f"SummaryWriter(log_dir={self.logdir!r})"
