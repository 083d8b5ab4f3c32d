from resnetc.nn.functional._norm import batch_norm
from resnetc.nn.functional._activation import relu, dropout
from resnetc.nn.functional._pool import max_pool2d, avg_pool2d, adaptive_avg_pool2d
from resnetc.nn.functional._loss import cross_entropy, nll_loss, log_softmax, softmax
