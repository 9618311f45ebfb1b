import importlib

from tensorflow.keras import layers

import seq2seq
import seq2seq.encoders as enc
from seq2seq import make_encoder
from seq2seq.encoders import *
from .encoders import broken, stack

x = layers.Input((10, 8))
q = layers.Input((10, 32))
a, b = make_encoder()(x)  # expect: RNN101
c, d = enc.build_encoder(8)(x)  # expect: RNN101
e, f = seq2seq.encoders.build_encoder()(x)  # expect: RNN101
ctx = layers.Attention()([q, SHARED_ENCODER(q)])  # expect: RNN202
g = stack(x, False)  # expect: RNN201
h = stack(x, True)
i = broken(x)
dynamic = importlib.import_module("seq2seq.encoders")
j = layers.LSTM(4)(dynamic.last_step_block(x, 4))
