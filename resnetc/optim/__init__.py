"""torch.optim for resnetc: optimizers whose updates are fused C passes, and lr schedulers."""
from resnetc.optim.optimizer import Optimizer
from resnetc.optim.sgd import SGD
from resnetc.optim.adam import Adam, AdamW
from resnetc.optim.rmsprop import RMSprop
from resnetc.optim.adagrad import Adagrad
from resnetc.optim.nadam import NAdam
from resnetc.optim.radam import RAdam
from resnetc.optim import lr_scheduler, swa_utils

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "NAdam", "RAdam", "lr_scheduler",
           "swa_utils"]
