#!/usr/bin/env python3
# gen_seeds_blob.py
#   Writes the seed blobs for fuzz_blob into seeds-fuzz_blob/: a few valid
#   blobs covering every property type (single and multi-valued), the
#   named-property table and the store-maintained properties, and near
#   misses for the table's rules.  Run from test/fuzz; the output is
#   committed.
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


def blob(props, count=None, names=None, flags=None):
    if flags is None:
        flags = 1 if names else 0
    head = b"EWSB" + struct.pack("<HHI", 1, flags, len(props) if count is None else count)
    if names is not None:
        head += struct.pack("<I", len(names)) + b"".join(names)
    body = head + b"".join(props)
    return body + struct.pack("<I", crc32c(body))


def fixed(tag, fmt, v):
    return struct.pack("<I" + fmt, tag, v)


def mv(tag, values, fmt=None):
    """a multi-valued property: count, then each value (fmt for fixed-size ones)"""
    out = struct.pack("<II", tag, len(values))
    for v in values:
        out += struct.pack("<" + fmt, v) if fmt else struct.pack("<I", len(v)) + v
    return out


def guid(text):
    h = bytes.fromhex(text.replace("-", ""))
    return h[3::-1] + h[5:3:-1] + h[7:5:-1] + h[8:]


PS_PUBLIC_STRINGS = guid("00020329-0000-0000-C000-000000000046")
PSETID_COMMON = guid("00062008-0000-0000-C000-000000000046")


def name_id(tag, g, lid):
    return struct.pack("<I", tag) + g + struct.pack("<BI", 0, lid)


def name_str(tag, g, name):
    n = name.encode()
    return struct.pack("<I", tag) + g + struct.pack("<BI", 1, len(n)) + n


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
        var(0x7FF10102, bytes([0, 1, 2, 255])),
    ]),
    "new_types": blob([
        CLS,
        fixed(0x60000004, "f", 1.5), fixed(0x60010005, "d", -2.25), fixed(0x60020006, "q", 123456),
        fixed(0x60030007, "d", 45000.5), fixed(0x6004000A, "I", 0x80004005),
        struct.pack("<I", 0x60050048) + PSETID_COMMON,
    ]),
    "multi_valued": blob([
        CLS,
        mv(0x61001002, [1, -1], "h"), mv(0x61011003, [7], "i"), mv(0x61021004, [0.5], "f"),
        mv(0x61031005, [], "d"), mv(0x61041006, [1, 2], "q"), mv(0x61051007, [3.0], "d"),
        mv(0x6106100A, [0], "I"), mv(0x6107100B, [1, 0, 1], "B"), mv(0x61081014, [-5], "q"),
        mv(0x6109101F, ["a".encode(), b"", "Grüße 日本".encode()]), mv(0x610A1040, [1], "Q"),
        struct.pack("<II", 0x610B1048, 1) + PS_PUBLIC_STRINGS,
        mv(0x610C1102, [b"", bytes(range(8))]),
    ]),
    "named": blob([
        CLS, var(0x0037001F, b"with names"),
        fixed(0x8000000B, "B", 1),
        mv(0x8001101F, [b"red", b"blue"]),
        fixed(0x80020003, "i", 5),
    ], names=[
        name_id(0x8000000B, PSETID_COMMON, 0x8570),
        name_str(0x8001101F, PS_PUBLIC_STRINGS, "Keywords"),
        name_str(0x80020003, PS_PUBLIC_STRINGS, "Ωμέγα"),
    ]),
    "named_unused": blob([CLS], names=[name_id(0x80010003, PSETID_COMMON, 1)]),
    "named_missing": blob([CLS, fixed(0x80010003, "i", 1)]),
    "named_dup": blob([CLS, fixed(0x80010003, "i", 1), fixed(0x80020003, "i", 2)], names=[
        name_str(0x80010003, PS_PUBLIC_STRINGS, "x"), name_str(0x80020003, PS_PUBLIC_STRINGS, "x")]),
    "named_empty_table": blob([CLS], names=[], flags=1),
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
