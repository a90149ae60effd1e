"""Small helpers that several layers need, one of each: content digests, crash-safe writes and
file names that cannot escape their folder."""
