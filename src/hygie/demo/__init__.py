"""The synthetic hospital that `hygie demo` (and `make demo`) builds and audits."""
