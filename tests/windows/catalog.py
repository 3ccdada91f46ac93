# SPDX-License-Identifier: MIT
"""A reader of Windows catalogs (.cat) for the package tests.

A second reading of the format, in Python, apart from tools/makecat's C:
the SignedData's CTL, its members (identifier and attributes) and the
catalog attributes.  Only what the tests look at; it refuses anything it
cannot parse.
"""

OID_NAME_VALUE = "1.3.6.1.4.1.311.12.2.1"
OID_MEMBER_INFO = "1.3.6.1.4.1.311.12.2.2"
OID_INDIRECT_DATA = "1.3.6.1.4.1.311.2.1.4"
OID_PE_IMAGE_DATA = "1.3.6.1.4.1.311.2.1.15"
OID_FLAT_DATA = "1.3.6.1.4.1.311.2.1.25"
OID_SHA1 = "1.3.14.3.2.26"
SIP_PE = "{C689AAB8-8E78-11D0-8C47-00C04FC295EE}"
SIP_FLAT = "{DE351A42-8E59-11D0-8C47-00C04FC295EE}"


class CatalogError(Exception):
    pass


def tlv(data, off):
    """(tag, start of contents, end of contents) of the element at off."""
    if off + 2 > len(data):
        raise CatalogError("truncated at %d" % off)
    tag, size = data[off], data[off + 1]
    off += 2
    if size & 0x80:
        n = size & 0x7F
        if n == 0 or n > 4 or off + n > len(data):
            raise CatalogError("bad length at %d" % off)
        size = int.from_bytes(data[off:off + n], "big")
        off += n
    if off + size > len(data):
        raise CatalogError("element at %d runs past its parent" % off)
    return tag, off, off + size


def children(data, start, end):
    """[(tag, start, end)] of the elements inside data[start:end]."""
    out = []
    while start < end:
        tag, cstart, cend = tlv(data, start)
        out.append((tag, cstart, cend))
        start = cend
    return out


def expect(element, tag, what):
    if element[0] != tag:
        raise CatalogError("%s: tag 0x%02x, should be 0x%02x" % (what, element[0], tag))
    return element


def oid(data, element):
    _, start, end = expect(element, 0x06, "object identifier")
    raw = data[start:end]
    arcs, value = [], 0
    for b in raw:
        value = value << 7 | b & 0x7F
        if not b & 0x80:
            arcs.append(value)
            value = 0
    first = min(arcs[0] // 40, 2)
    return ".".join(str(a) for a in [first, arcs[0] - 40 * first] + arcs[1:])


def wide(raw):
    """A UTF-16LE string with its NUL, as catalogs store names and values."""
    if len(raw) < 2 or raw[-2:] != b"\0\0":
        raise CatalogError("string without its NUL: %r" % raw)
    return raw[:-2].decode("utf-16-le")


def name_value(data, element):
    """(name, flags, value) of a CAT_NAMEVALUE."""
    name, flags, value = children(data, *expect(element, 0x30, "name-value")[1:])
    name = data[expect(name, 0x1E, "name")[1]:name[2]].decode("utf-16-be")
    flags = int.from_bytes(data[expect(flags, 0x02, "flags")[1]:flags[2]], "big")
    return name, flags, wide(data[expect(value, 0x04, "value")[1]:value[2]])


class Member:
    def __init__(self, data, element):
        ident, attrs = children(data, *expect(element, 0x30, "member")[1:])
        self.identifier = data[expect(ident, 0x04, "identifier")[1]:ident[2]]
        self.names = {}
        self.sips, self.digests = [], []
        for attr in children(data, *expect(attrs, 0x31, "member attributes")[1:]):
            kind, values = children(data, *expect(attr, 0x30, "attribute")[1:])
            for value in children(data, *expect(values, 0x31, "attribute values")[1:]):
                self.add(data, oid(data, kind), value)

    def add(self, data, kind, value):
        if kind == OID_NAME_VALUE:
            name, _, text = name_value(data, value)
            self.names[name] = text
        elif kind == OID_MEMBER_INFO:
            sip, _ = children(data, *expect(value, 0x30, "member info")[1:])
            self.sips.append(data[expect(sip, 0x1E, "SIP")[1]:sip[2]].decode("utf-16-be"))
        elif kind == OID_INDIRECT_DATA:
            link, info = children(data, *expect(value, 0x30, "indirect data")[1:])
            link_type = oid(data, children(data, *link[1:])[0])
            algorithm, digest = children(data, *info[1:])
            alg = oid(data, children(data, *algorithm[1:])[0])
            self.digests.append((link_type, alg, data[expect(digest, 0x04, "digest")[1]:
                                                      digest[2]]))


class Catalog:
    """ctl: the CTL's contents (what the signature covers); members; attributes."""

    def __init__(self, data):
        _, start, end = expect(tlv(data, 0), 0x30, "ContentInfo")
        _, content = children(data, start, end)
        signed = children(data, *expect(content, 0xA0, "content")[1:])[0]
        encap = children(data, *expect(signed, 0x30, "SignedData")[1:])[2]
        kind, ctl = children(data, *expect(encap, 0x30, "encapsulated content")[1:])
        if oid(data, kind) != "1.3.6.1.4.1.311.10.1":
            raise CatalogError("the content is not a CTL")
        ctl = children(data, *expect(ctl, 0xA0, "CTL")[1:])[0]
        _, start, end = expect(ctl, 0x30, "CTL")
        self.ctl = data[start:end]
        parts = children(data, start, end)
        self.version = oid(data, children(data, *parts[3][1:])[0])
        self.members = [Member(data, m) for m in children(data, *parts[4][1:])]
        self.attributes = {}
        for ext in (children(data, *parts[5][1:]) if len(parts) > 5 else []):
            for attr in children(data, *ext[1:]):
                kind, value = children(data, *attr[1:])
                if oid(data, kind) == OID_NAME_VALUE:
                    # An extension's value: the NameValue's DER in an OCTET STRING.
                    der = data[expect(value, 0x04, "extension value")[1]:value[2]]
                    name, _, text = name_value(der, tlv(der, 0))
                    self.attributes[name] = text


def load(path):
    with open(path, "rb") as f:
        return Catalog(f.read())
