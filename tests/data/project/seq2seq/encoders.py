from tensorflow.keras import layers


def build_encoder(units=64):
    return layers.LSTM(units, return_state=True)


def last_step_block(x, units):
    return layers.LSTM(units)(x)


SHARED_ENCODER = layers.GRU(32)


def sequence_block(x, units, full):
    # The flag comes from the caller: only a caller passing full=False feeds a last step on.
    return layers.LSTM(units, return_sequences=full)(x)


def stack(x, full):
    # Wrong only for a caller passing full=False: reported at that caller's call.
    h = layers.LSTM(8, return_sequences=full)(x)
    return layers.LSTM(8)(h)


def broken(x):
    out, h = layers.LSTM(8)(x)  # expect: RNN101
    return out
