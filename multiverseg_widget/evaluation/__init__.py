"""Measuring interactive segmentation: simulated users, the sequential protocol of the
MultiverSeg paper, classical baselines and the figures."""
