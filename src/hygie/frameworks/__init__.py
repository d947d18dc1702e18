"""The referential library: the common control catalogue and the referentials mapped onto it."""
