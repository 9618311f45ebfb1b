"""A package whose __init__ re-exports a helper."""
from .encoders import build_encoder as make_encoder
