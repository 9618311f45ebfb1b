from tensorflow.keras import layers


def build_encoder(units=16):
    return layers.LSTM(units, return_sequences=True)


def sequence_block(x, units):
    return layers.GRU(units, return_sequences=True)(x)
