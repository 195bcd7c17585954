"""A small ZIP that unpacks to a huge file, for the tests and benchmarks of evidence checks."""

import struct
import zlib


def zip_bomb_bytes(name, size):
    """A ZIP of one deflated member of `size` zero bytes, about size/1000 bytes long: one
    megabyte of zeros is compressed once (a full flush makes it stand alone) and repeated, so
    building it takes a second, not the minutes zipfile would spend compressing."""
    block = bytes(1024 * 1024)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    piece = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    data = piece * (size // len(block)) + zlib.compressobj(9, zlib.DEFLATED, -15).flush()
    crc = 0
    for _ in range(size // len(block)):
        crc = zlib.crc32(block, crc)
    encoded = name.encode()
    fields = (8, 0, 0x21, crc, len(data), size, len(encoded))  # deflated, 1980-01-01
    local = struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, *fields, 0) + encoded
    central = struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, *fields, 0, 0, 0, 0, 0, 0)
    central += encoded
    end = struct.pack(
        "<4s4H2LH", b"PK\x05\x06", 0, 0, 1, 1, len(central), len(local) + len(data), 0
    )
    return local + data + central + end
