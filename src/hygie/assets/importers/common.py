"""What every reader shares, now in ``hygie.core.files`` (the network importers use it too)."""

from hygie.core.files import MAX_IMPORT_BYTES, check_size, local_name, parse_xml, sha256_of

__all__ = ["MAX_IMPORT_BYTES", "check_size", "local_name", "parse_xml", "sha256_of"]
