from tensorflow.keras import layers


def block(x):
    return layers.GRU(8)(x)
