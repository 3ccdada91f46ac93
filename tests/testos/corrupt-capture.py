#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Damage a replay capture (docs/replay.md) in one chosen way, so that the
test guest's refusal of it can be checked.

    corrupt-capture.py KIND IN OUT

KIND: magic (first header byte changed), truncated (cut inside the last
record before END), noend (END record removed), hash (first CHECK's hash
changed), resid (first RESOURCE_CREATE's res_id changed), range (first
MEMORY record's offset moved past any backing).
"""
import struct
import sys

HEADER_BYTES = 16
CHECK, MEMORY, RESOURCE_CREATE, END = 9, 8, 2, 10
# Where the changed field sits in each record body.
RES_ID_OFFSET = 52    # struct vgpu_resource_create.res_id
HASH_OFFSET = 32      # struct capture_check.hash
MEM_OFFSET_OFFSET = 8  # struct capture_memory.offset


def records(data):
    """(position, type, size) of every record."""
    pos = HEADER_BYTES
    while pos + 8 <= len(data):
        rtype, size = struct.unpack_from('<II', data, pos)
        yield pos, rtype, size
        pos += 8 + size


def first(data, rtype):
    for pos, t, size in records(data):
        if t == rtype:
            return pos, size
    sys.exit(f'corrupt-capture: no record of type {rtype} in the capture')


def damage(kind, data):
    if kind == 'magic':
        data[0] ^= 0xFF
        return data
    if kind == 'noend':
        pos, _ = first(data, END)
        return data[:pos]
    if kind == 'truncated':
        end_pos, _ = first(data, END)
        last = [pos for pos, t, size in records(data) if pos < end_pos][-1]
        return data[:last + 8 + 4]
    if kind == 'hash':
        pos, _ = first(data, CHECK)
        data[pos + 8 + HASH_OFFSET] ^= 0x01
        return data
    if kind == 'resid':
        pos, _ = first(data, RESOURCE_CREATE)
        struct.pack_into('<I', data, pos + 8 + RES_ID_OFFSET, 1000)
        return data
    if kind == 'range':
        pos, _ = first(data, MEMORY)
        struct.pack_into('<Q', data, pos + 8 + MEM_OFFSET_OFFSET, 1 << 40)
        return data
    sys.exit(f'corrupt-capture: unknown kind {kind}')


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    kind, src, dst = sys.argv[1:]
    with open(src, 'rb') as f:
        data = bytearray(f.read())
    with open(dst, 'wb') as f:
        f.write(damage(kind, data))


if __name__ == '__main__':
    main()
