from tensorflow.keras import layers

STEP = layers.LSTM(8)
def oops(:  # expect: RNN001
    pass
