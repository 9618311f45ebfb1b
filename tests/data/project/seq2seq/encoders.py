from tensorflow.keras import layers


def build_encoder(units=64):
    return layers.LSTM(units, return_state=True)


def last_step_block(x, units):
    return layers.LSTM(units)(x)


SHARED_ENCODER = layers.GRU(32)


def sequence_block(x, units, full):
    # The flag comes from the caller: only a caller passing full=False feeds a last step on.
    return layers.LSTM(units, return_sequences=full)(x)
