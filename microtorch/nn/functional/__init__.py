"""Functions of tensors used to build networks, as torch.nn.functional (imported as F).

One file per family, as the layers in microtorch.nn: activation, linear, dropout, conv,
pooling, normalization, sparse (embedding, one_hot), loss, padding, vision (interpolate,
pixel_shuffle) and attention. Each function checks its arguments (microtorch._checks) and names the
problem before any op runs.
"""
from microtorch.nn.functional.activation import (elu, gelu, hardsigmoid, hardswish, hardtanh, leaky_relu, log_softmax,
                                                 logsigmoid, mish, prelu, relu, relu6, sigmoid, silu, softmax, softmin,
                                                 softplus, softsign, tanh, tanhshrink, threshold)
from microtorch.nn.functional.attention import scaled_dot_product_attention
from microtorch.nn.functional.conv import conv1d, conv2d, conv_transpose1d, conv_transpose2d
from microtorch.nn.functional.dropout import dropout
from microtorch.nn.functional.linear import linear
from microtorch.nn.functional.loss import (binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy,
                                           huber_loss, l1_loss, mse_loss, nll_loss, smooth_l1_loss)
from microtorch.nn.functional.normalization import (batch_norm, group_norm, instance_norm, layer_norm,
                                                    rms_norm)
from microtorch.nn.functional.padding import pad
from microtorch.nn.functional.pooling import (adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_max_pool1d,
                                              adaptive_max_pool2d, avg_pool1d, avg_pool2d, max_pool1d, max_pool2d,
                                              max_unpool2d)
from microtorch.nn.functional.sparse import embedding, one_hot
from microtorch.nn.functional.vision import interpolate, pixel_shuffle, pixel_unshuffle

__all__ = ["relu", "sigmoid", "tanh", "softmax", "log_softmax", "gelu", "leaky_relu", "elu", "softplus", "silu",
           "linear", "dropout", "conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d", "max_pool2d",
           "max_unpool2d", "avg_pool2d", "max_pool1d", "avg_pool1d", "adaptive_avg_pool1d", "adaptive_avg_pool2d",
           "adaptive_max_pool1d", "adaptive_max_pool2d", "batch_norm", "layer_norm", "group_norm", "instance_norm",
           "rms_norm", "embedding", "one_hot", "mse_loss", "cross_entropy", "nll_loss", "binary_cross_entropy",
           "binary_cross_entropy_with_logits", "l1_loss", "huber_loss", "smooth_l1_loss", "interpolate",
           "pixel_shuffle", "pixel_unshuffle", "pad", "scaled_dot_product_attention",
           "relu6", "hardtanh", "hardsigmoid", "hardswish", "mish", "softsign", "tanhshrink", "prelu",
           "softmin", "logsigmoid", "threshold"]
