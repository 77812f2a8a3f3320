"""Layers and losses (microtorch.nn), as torch.nn: one file per layer family.

    module.py, parameter.py, container.py   Module, Parameter, Sequential / ModuleList / ModuleDict
    linear.py, activation.py, dropout.py    Linear, Identity, the activations, Dropout
    conv.py, pooling.py, flatten.py         Conv1d/2d, ConvTranspose1d/2d, Max/Avg/AdaptivePool1d/2d, Flatten
    normalization.py, sparse.py, loss.py    Batch/InstanceNorm, Layer/Group/RMSNorm, Embedding, the losses
    upsampling.py, pixelshuffle.py          Upsample, PixelShuffle / PixelUnshuffle
    rnn.py                                  RNN, LSTM, GRU and their cells
    attention.py, transformer.py            MultiheadAttention; the Transformer and its layers
    functional/, init.py, utils/            the functions (F), weight initialisation, gradient clipping
"""
from microtorch.nn import functional, init, utils
from microtorch.nn.activation import (ELU, GELU, Hardsigmoid, Hardswish, Hardtanh, LeakyReLU, LogSigmoid, LogSoftmax,
                                      Mish, PReLU, ReLU, ReLU6, Sigmoid, SiLU, Softmax, Softmin, Softplus, Softsign,
                                      Tanh, Tanhshrink, Threshold)
from microtorch.nn.attention import MultiheadAttention
from microtorch.nn.container import ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential
from microtorch.nn.conv import Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d
from microtorch.nn.dropout import Dropout
from microtorch.nn.flatten import Flatten, Unflatten
from microtorch.nn.functional import (binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy,
                                      huber_loss, l1_loss, mse_loss, nll_loss, smooth_l1_loss)
from microtorch.nn.linear import Identity, Linear
from microtorch.nn.loss import (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, L1Loss, MSELoss, NLLLoss,
                                SmoothL1Loss)
from microtorch.nn.module import Module
from microtorch.nn.normalization import (BatchNorm1d, BatchNorm2d, GroupNorm, InstanceNorm1d, InstanceNorm2d,
                                         LayerNorm, RMSNorm)
from microtorch.nn.parameter import Parameter
from microtorch.nn.pixelshuffle import PixelShuffle, PixelUnshuffle
from microtorch.nn.pooling import (AdaptiveAvgPool1d, AdaptiveAvgPool2d, AdaptiveMaxPool1d, AdaptiveMaxPool2d,
                                   AvgPool1d, AvgPool2d, MaxPool1d, MaxPool2d, MaxUnpool2d)
from microtorch.nn.rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell, RNNCellBase
from microtorch.nn.sparse import Embedding
from microtorch.nn.transformer import (Transformer, TransformerDecoder, TransformerDecoderLayer, TransformerEncoder,
                                       TransformerEncoderLayer)
from microtorch.nn.upsampling import Upsample, UpsamplingBilinear2d, UpsamplingNearest2d

__all__ = ["functional", "init", "utils", "Module", "Parameter", "Sequential", "ModuleList", "ModuleDict",
           "Linear", "Identity", "Sigmoid", "Tanh", "ReLU", "Softmax", "LogSoftmax", "GELU", "LeakyReLU", "ELU",
           "Softplus", "SiLU", "Dropout", "Conv1d", "Conv2d", "ConvTranspose1d",
           "ConvTranspose2d", "MaxPool1d", "MaxPool2d", "MaxUnpool2d", "AvgPool1d", "AvgPool2d",
           "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "Flatten", "Upsample",
           "UpsamplingNearest2d", "UpsamplingBilinear2d", "PixelShuffle", "PixelUnshuffle",
           "BatchNorm1d", "BatchNorm2d", "LayerNorm", "GroupNorm", "RMSNorm",
           "InstanceNorm1d", "InstanceNorm2d", "Embedding", "CrossEntropyLoss", "NLLLoss", "MSELoss",
           "L1Loss", "BCELoss", "BCEWithLogitsLoss", "HuberLoss", "SmoothL1Loss", "mse_loss", "cross_entropy",
           "nll_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits", "l1_loss", "huber_loss",
           "smooth_l1_loss", "RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell",
           "GRUCell", "MultiheadAttention", "Transformer", "TransformerEncoder", "TransformerDecoder",
           "TransformerEncoderLayer", "TransformerDecoderLayer",
           "ParameterList", "ParameterDict", "Unflatten", "Hardtanh", "ReLU6", "Hardsigmoid", "Hardswish",
           "Mish", "Softsign", "Tanhshrink", "PReLU", "Softmin", "LogSigmoid", "Threshold"]
