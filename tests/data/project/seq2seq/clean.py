"""Look-alikes: every line here is fine, or unknown to the analysis."""
from tensorflow.keras import layers

from other.helpers.encoders import build_encoder as other_build_encoder
from other.helpers.state import ENCODER
from seq2seq.encoders import build_encoder, last_step_block, sequence_block

try:
    from seq2seq.encoders import last_step_block as block
except ImportError:
    from other.helpers.encoders import sequence_block as block

x = layers.Input((10, 8))
y = layers.LSTM(4)(sequence_block(x, 8, True))  # the flag comes from this caller: a sequence
out, h, c = build_encoder()(x)
z = other_build_encoder()(x)  # a same-named function of another package: one tensor
w = layers.LSTM(4)(ENCODER(x))  # rebound by a function of its module: unknown here
v = layers.LSTM(4)(block(x, 4))  # a conditional import: unknown


def last_step_block(x, units):  # re-bound name: this one returns sequences
    return layers.LSTM(units, return_sequences=True)(x)


u = layers.LSTM(4)(last_step_block(x, 4))
