"""Passphrase encryption of a backup, streamed in authenticated chunks.

Format: a header, then chunks of AES-256-GCM ciphertext. The header is ``HYGIEBK1``, a format version,
the scrypt cost (log2 n, r, p), the chunk size, a random salt, a random nonce prefix and a key check
(the GCM tag of nothing, so that a wrong passphrase is told apart from a damaged chunk). Each chunk's
nonce is the prefix followed by its index; its associated data is the header, its index and whether it
is the last one, so a reordered, dropped, truncated or altered chunk fails to authenticate. Memory
stays at one chunk whatever the archive's size.
"""

from __future__ import annotations

import io
import os
import struct
from typing import IO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from hygie.core.errors import HygieError

MAGIC = b"HYGIEBK1"
VERSION = 1
CHUNK_SIZE = 1024 * 1024
SCRYPT_LOG2_N, SCRYPT_R, SCRYPT_P = 15, 8, 1
_TAG = 16
# magic, version, log2 n, r, p, chunk size, salt (16), nonce prefix (8)
_FIXED = struct.Struct(">8sBBBBI16s8s")
HEADER_SIZE = _FIXED.size + _TAG
_KEY_CHECK_INDEX = 0xFFFFFFFF  # never reached by a chunk index (4 PiB)


class PassphraseError(HygieError):
    """The passphrase is missing, or does not open this archive."""


class EncryptedDataError(HygieError):
    """Encrypted data failed to authenticate: altered, truncated or reordered."""


def is_encrypted(head: bytes) -> bool:
    return head.startswith(MAGIC)


def _derive(passphrase: str, salt: bytes, log2_n: int, r: int, p: int) -> AESGCM:
    if not passphrase:
        raise PassphraseError("the passphrase is empty")
    kdf = Scrypt(salt=salt, length=32, n=2**log2_n, r=r, p=p)
    return AESGCM(kdf.derive(passphrase.encode("utf-8")))


def _nonce(prefix: bytes, index: int) -> bytes:
    return prefix + struct.pack(">I", index)


def _aad(header: bytes, index: int, final: bool) -> bytes:
    return header + struct.pack(">IB", index, 1 if final else 0)


class EncryptingWriter(io.RawIOBase):
    """Writes encrypted chunks to ``sink``; ``close()`` writes the final chunk (not closing ``sink``)."""

    def __init__(self, sink: IO[bytes], passphrase: str, chunk_size: int = CHUNK_SIZE) -> None:
        super().__init__()
        salt, prefix = os.urandom(16), os.urandom(8)
        fixed = _FIXED.pack(MAGIC, VERSION, SCRYPT_LOG2_N, SCRYPT_R, SCRYPT_P, chunk_size, salt, prefix)
        self._aead = _derive(passphrase, salt, SCRYPT_LOG2_N, SCRYPT_R, SCRYPT_P)
        check = self._aead.encrypt(_nonce(prefix, _KEY_CHECK_INDEX), b"", fixed)
        self._header = fixed + check
        self._prefix = prefix
        self._sink = sink
        self._chunk_size = chunk_size
        self._buffer = bytearray()
        self._index = 0
        sink.write(self._header)

    def writable(self) -> bool:
        return True

    def write(self, data: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        self._buffer += data
        # Keep the last chunk's worth back: only close() knows which chunk is final.
        while len(self._buffer) > self._chunk_size:
            self._emit(bytes(self._buffer[: self._chunk_size]), final=False)
            del self._buffer[: self._chunk_size]
        return len(data)

    def _emit(self, plain: bytes, final: bool) -> None:
        aad = _aad(self._header, self._index, final)
        self._sink.write(self._aead.encrypt(_nonce(self._prefix, self._index), plain, aad))
        self._index += 1

    def close(self) -> None:
        if not self.closed:
            self._emit(bytes(self._buffer), final=True)
            self._buffer.clear()
            self._sink.flush()
        super().close()


class DecryptingReader(io.RawIOBase):
    """Reads and authenticates the chunks of ``source``; raises at the first one that fails."""

    def __init__(self, source: IO[bytes], passphrase: str | None) -> None:
        super().__init__()
        header = source.read(HEADER_SIZE)
        if len(header) < HEADER_SIZE or not is_encrypted(header):
            raise EncryptedDataError("not an encrypted Hygie backup, or its header is cut")
        _magic, version, log2_n, r, p, chunk_size, salt, prefix = _FIXED.unpack(header[: _FIXED.size])
        if version != VERSION:
            raise EncryptedDataError(f"encryption format version {version} is not supported")
        # Bounds, so that a forged header cannot ask for gigabytes of memory.
        if not (10 <= log2_n <= 20 and 1 <= r <= 16 and 1 <= p <= 4 and 1 <= chunk_size <= 16 * 2**20):
            raise EncryptedDataError("the encryption header has implausible parameters")
        if passphrase is None:
            raise PassphraseError("this backup is encrypted: give its passphrase")
        self._aead = _derive(passphrase, salt, log2_n, r, p)
        try:
            self._aead.decrypt(_nonce(prefix, _KEY_CHECK_INDEX), header[_FIXED.size :], header[: _FIXED.size])
        except InvalidTag:
            raise PassphraseError("wrong passphrase (or a damaged header)") from None
        self._header = header
        self._prefix = prefix
        self._source = source
        self._sealed_size = chunk_size + _TAG
        self._ahead = source.read(self._sealed_size)
        self._plain = b""
        self._offset = 0
        self._index = 0
        self._done = False

    def readable(self) -> bool:
        return True

    def _next_chunk(self) -> None:
        sealed = self._ahead
        self._ahead = self._source.read(self._sealed_size) if len(sealed) == self._sealed_size else b""
        final = not self._ahead
        if len(sealed) < _TAG:
            raise EncryptedDataError("the encrypted data is truncated")
        try:
            self._plain = self._aead.decrypt(
                _nonce(self._prefix, self._index), sealed, _aad(self._header, self._index, final)
            )
        except InvalidTag:
            raise EncryptedDataError(
                f"encrypted chunk {self._index} fails to authenticate (altered or truncated data)"
            ) from None
        self._offset = 0
        self._index += 1
        self._done = final

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        while self._offset >= len(self._plain):
            if self._done:
                return 0
            self._next_chunk()
        n = min(len(buffer), len(self._plain) - self._offset)
        buffer[:n] = self._plain[self._offset : self._offset + n]
        self._offset += n
        return n
