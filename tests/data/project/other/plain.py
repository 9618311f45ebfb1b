"""Imports a project module that builds no recurrent layer: filtered out."""
from other.helpers import nothing_recurrent

print(nothing_recurrent.VALUE)
