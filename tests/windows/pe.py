# SPDX-License-Identifier: MIT
"""A small reader of PE32+ images: headers, sections, imports, checksum.

Only what the package tests look at, read straight from the format
(Microsoft PE/COFF specification); it refuses anything it cannot parse.
"""
import struct

IMAGE_FILE_MACHINE_AMD64 = 0x8664
IMAGE_FILE_DLL = 0x2000
IMAGE_SUBSYSTEM_NATIVE = 1
IMAGE_DLLCHARACTERISTICS_DYNAMIC_BASE = 0x0040
IMAGE_DLLCHARACTERISTICS_NX_COMPAT = 0x0100
IMAGE_SCN_MEM_EXECUTE = 0x20000000
IMAGE_SCN_MEM_WRITE = 0x80000000
DIR_IMPORT = 1
DIR_SECURITY = 4
DIR_BASERELOC = 5


class PeError(Exception):
    pass


class Section:
    def __init__(self, name, vsize, va, raw_size, raw_ptr, flags):
        self.name, self.vsize, self.va = name, vsize, va
        self.raw_size, self.raw_ptr, self.flags = raw_size, raw_ptr, flags


class Image:
    def __init__(self, data):
        self.data = data
        if data[:2] != b"MZ":
            raise PeError("no MZ header")
        pe = self.u32(0x3C)
        if data[pe:pe + 4] != b"PE\0\0":
            raise PeError("no PE signature")
        coff = pe + 4
        self.machine, nsect, self.timestamp = struct.unpack_from("<HHI", data, coff)
        opt_size, self.characteristics = struct.unpack_from("<HH", data, coff + 16)
        opt = coff + 20
        if self.u16(opt) != 0x20B:
            raise PeError("not PE32+")
        self.entry = self.u32(opt + 16)
        self.image_base = struct.unpack_from("<Q", data, opt + 24)[0]
        self.checksum_offset = opt + 64
        self.checksum = self.u32(opt + 64)
        self.subsystem = self.u16(opt + 68)
        self.dll_characteristics = self.u16(opt + 70)
        ndirs = self.u32(opt + 108)
        self.dirs = [struct.unpack_from("<II", data, opt + 112 + 8 * i) for i in range(ndirs)]
        self.sections = []
        for i in range(nsect):
            off = opt + opt_size + 40 * i
            name = data[off:off + 8].rstrip(b"\0").decode("ascii", "replace")
            vsize, va, raw_size, raw_ptr = struct.unpack_from("<IIII", data, off + 8)
            flags = self.u32(off + 36)
            self.sections.append(Section(name, vsize, va, raw_size, raw_ptr, flags))

    def u16(self, off):
        return struct.unpack_from("<H", self.data, off)[0]

    def u32(self, off):
        return struct.unpack_from("<I", self.data, off)[0]

    def offset_of(self, rva):
        for s in self.sections:
            if s.va <= rva < s.va + max(s.vsize, s.raw_size):
                return s.raw_ptr + rva - s.va
        raise PeError("rva 0x%x outside every section" % rva)

    def cstring(self, rva):
        off = self.offset_of(rva)
        end = self.data.index(b"\0", off)
        return self.data[off:end].decode("ascii")

    def import_descriptors(self):
        """(dll name, lookup table rva) of each import descriptor."""
        rva, size = self.dirs[DIR_IMPORT]
        out = []
        off = self.offset_of(rva) if size else None
        while off is not None:
            lookup, _, _, name_rva, thunk = struct.unpack_from("<IIIII", self.data, off)
            if not (lookup or name_rva or thunk):
                break
            out.append((self.cstring(name_rva), lookup or thunk))
            off += 20
        return out

    def imported_dlls(self):
        return [name for name, _ in self.import_descriptors()]

    def imported_functions(self):
        """{dll name: [function name or "#ordinal"]}, from the PE32+ lookup tables."""
        out = {}
        for dll, table in self.import_descriptors():
            names = out.setdefault(dll, [])
            off = self.offset_of(table)
            while True:
                (entry,) = struct.unpack_from("<Q", self.data, off)
                if entry == 0:
                    break
                if entry & (1 << 63):
                    names.append("#%d" % (entry & 0xFFFF))
                else:
                    names.append(self.cstring((entry & 0x7FFFFFFF) + 2))
                off += 8
        return out

    def computed_checksum(self):
        """The image checksum as the loader computes it (checksum field as 0)."""
        data = bytearray(self.data)
        data[self.checksum_offset:self.checksum_offset + 4] = b"\0\0\0\0"
        if len(data) % 2:
            data.append(0)
        total = 0
        for (word,) in struct.iter_unpack("<H", data):
            total += word
            total = (total & 0xFFFF) + (total >> 16)
        total = (total & 0xFFFF) + (total >> 16)
        return (total + len(self.data)) & 0xFFFFFFFF


def load(path):
    with open(path, "rb") as f:
        return Image(f.read())
