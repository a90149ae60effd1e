"""Annotating a dataset: the session (what the user does to each image), its work folder (what
is on disk) and the export of accepted masks."""
