"""Datasets: offline real data shipped by packages, real loaders, generated data with ground truth."""
from .batches import ArrayBatches

__all__ = ['ArrayBatches']
