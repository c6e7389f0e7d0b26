#!/usr/bin/env python3
# gen_seeds_blob.py
#   Writes the seed blobs for fuzz_blob into seeds-fuzz_blob/: a few valid
#   blobs covering every property type and the store-maintained properties,
#   and two near misses.  Run from test/fuzz; the output is committed.
import os
import struct

POLY = 0x82F63B78
TABLE = []
for i in range(256):
    c = i
    for _ in range(8):
        c = (c >> 1) ^ POLY if c & 1 else c >> 1
    TABLE.append(c)


def crc32c(data):
    c = 0xFFFFFFFF
    for x in data:
        c = (c >> 8) ^ TABLE[(c ^ x) & 0xFF]
    return c ^ 0xFFFFFFFF


assert crc32c(b"123456789") == 0xE3069283


def var(tag, value):
    return struct.pack("<II", tag, len(value)) + value


def blob(props, count=None):
    head = b"EWSB" + struct.pack("<HHI", 1, 0, len(props) if count is None else count)
    body = head + b"".join(props)
    return body + struct.pack("<I", crc32c(body))


CLS = var(0x001A001F, b"IPM.Note")
SEEDS = {
    "minimal": blob([CLS]),
    "all_types": blob([
        struct.pack("<Ii", 0x00170003, 2), CLS,
        var(0x0037001F, "Grüße 日本 🎉".encode()),
        struct.pack("<IQ", 0x0E060040, 133000000000000000),
        struct.pack("<II", 0x0E070003, 0x21),
        struct.pack("<IB", 0x0E1F000B, 1),
        var(0x1000001F, b""),
        struct.pack("<Ih", 0x3FDE0002, -2),
        struct.pack("<Iq", 0x40000014, -1),
        var(0x7E010102, b""),
        var(0x80010102, bytes([0, 1, 2, 255])),
    ]),
    "store_props": blob([
        CLS, var(0x0037001F, b"Hello"), var(0x1000001F, b"body text"),
        struct.pack("<IQ", 0x30080040, 1000),
        var(0x65E20102, bytes([9, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0])),
    ]),
    "rfc822": blob([
        CLS, var(0x0037001F, b"hi"), var(0x1035001F, b"<a@b>"),
        var(0x7E010102, b"From: a@b\r\nSubject: hi\r\n\r\nbody\r\n"),
    ]),
    "no_class": blob([var(0x0037001F, b"hi")]),
    "bad_count": blob([CLS], count=2),
}

os.makedirs("seeds-fuzz_blob", exist_ok=True)
for name, data in SEEDS.items():
    with open(os.path.join("seeds-fuzz_blob", name + ".bin"), "wb") as f:
        f.write(data)
