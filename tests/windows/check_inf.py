#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Check vgpu.inf against what vgpu.sys and the package need.

    check_inf.py INF PACKAGE_DIR

Prints one line per problem and exits 1 if there is any.  Checks: the
[Version] header, the x64 models section and the exact hardware ids,
every section the INF names exists, every %string% is defined, the
service installs vgpu.sys as a demand-start kernel driver, MSI is enabled,
DMA remapping is declined (per device and per driver: vgpu.sys hands the
device physical addresses), and every file the INF copies is listed as a
source file and present in the package folder.
"""
import re
import sys

SYSTEM_CLASS_GUID = "{4d36e97d-e325-11ce-bfc1-08002be10318}"
# Class 0380 keeps the VGA virtio-gpu (0300) out; 105B is Mvisor's id as the
# original driver bound it (virtio-pmem shares it: vgpu.sys tells them apart).
HARDWARE_IDS = {"PCI\\VEN_1AF4&DEV_1050&CC_0380", "PCI\\VEN_1AF4&DEV_105B&SUBSYS_11001AF4&REV_01"}
REG_DWORD = 0x00010001


def parse(text):
    """{section (lower case): [(key or None, [values])]}, as SetupAPI reads it."""
    sections, current = {}, None
    pending = ""
    for raw in text.splitlines():
        line = pending + strip_comment(raw).rstrip()
        pending = ""
        if line.endswith("\\") and not line.endswith("\\\\"):
            pending = line[:-1]
            continue
        line = line.strip()
        if not line:
            continue
        if line.startswith("["):
            if not line.endswith("]"):
                raise ValueError("bad section header: " + line)
            current = line[1:-1].strip().lower()
            if current in sections:
                raise ValueError("section [%s] appears twice" % current)
            sections[current] = []
            continue
        if current is None:
            raise ValueError("line outside any section: " + line)
        key, values = None, line
        if "=" in line and not line.startswith('"'):
            key, values = line.split("=", 1)
            key = key.strip()
        sections[current].append((key, split_values(values)))
    return sections


def strip_comment(line):
    out, quoted = [], False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        if ch == ";" and not quoted:
            break
        out.append(ch)
    return "".join(out)


def split_values(text):
    return [v.strip().strip('"') for v in text.split(",")]


def value_of(section, key):
    for k, values in section:
        if k is not None and k.lower() == key.lower():
            return values
    return None


class Checker:
    def __init__(self, sections, package_files):
        self.s = sections
        self.files = {f.lower() for f in package_files}
        self.problems = []

    def need(self, ok, what):
        if not ok:
            self.problems.append(what)

    def section(self, name):
        sec = self.s.get(name.lower())
        self.need(sec is not None, "missing section [%s]" % name)
        return sec or []

    def check_version(self):
        v = self.section("Version")
        expect = {"Signature": "$WINDOWS NT$", "Class": "System", "ClassGuid": SYSTEM_CLASS_GUID,
                  "CatalogFile": "vgpu.cat", "PnpLockdown": "1"}
        for key, want in expect.items():
            got = value_of(v, key)
            self.need(got is not None and got[0].lower() == want.lower(),
                      "[Version] %s should be %s, is %s" % (key, want, got))
        self.need(value_of(v, "Provider") is not None, "[Version] has no Provider")
        ver = value_of(v, "DriverVer")
        self.need(ver is not None and len(ver) == 2 and
                  re.fullmatch(r"\d\d/\d\d/\d{4}", ver[0]) is not None and
                  re.fullmatch(r"\d+\.\d+\.\d+\.\d+", ver[1]) is not None,
                  "[Version] DriverVer should be mm/dd/yyyy,a.b.c.d, is %s" % ver)

    def models(self):
        """(install section, hardware id) of the NTamd64 models section."""
        out = []
        for key, values in self.section("Manufacturer"):
            self.need(key is not None and len(values) >= 2, "malformed [Manufacturer] entry")
            if key is None or len(values) < 2:
                continue
            decorations = [d.lower() for d in values[1:]]
            self.need("ntamd64" in decorations, "[Manufacturer] has no NTamd64 models")
            for key2, v2 in self.section(values[0] + ".NTamd64"):
                self.need(key2 is not None and len(v2) >= 2, "malformed model entry")
                if key2 is not None and len(v2) >= 2:
                    out.append((v2[0], v2[1]))
        return out

    def check_models(self):
        models = self.models()
        ids = {hwid.upper() for _, hwid in models}
        self.need(ids == {h.upper() for h in HARDWARE_IDS},
                  "hardware ids are %s, should be %s" % (sorted(ids), sorted(HARDWARE_IDS)))
        for install in sorted({install for install, _ in models}):
            self.check_install(install)

    def check_install(self, name):
        nt = self.section(name + ".NT")
        for key, values in nt:
            if key and key.lower() == "copyfiles":
                for sec in values:
                    self.check_copyfiles(sec)
        hw = self.section(name + ".NT.HW")
        self.check_msi(hw)
        self.need(self.dword(hw, "DMA Management", "RemappingSupported") == 0,
                  "[%s.NT.HW] should set DMA Management RemappingSupported to 0" % name)
        self.check_services(self.section(name + ".NT.Services"))

    def check_copyfiles(self, name):
        sources = {k.lower() for k, _ in self.section("SourceDisksFiles") if k}
        for key, values in self.section(name):
            f = (key or values[0]).lower()
            self.need(f in sources, "%s is copied but not in [SourceDisksFiles]" % f)
            self.need(f in self.files, "%s is copied but not in the package" % f)

    def addreg_lines(self, install):
        """The registry lines of every AddReg section an install section names."""
        regs = [v for k, vals in install if k and k.lower() == "addreg" for v in vals]
        return [values for r in regs for _, values in self.section(r)]

    def dword(self, install, subkey, name):
        """The REG_DWORD HKR,subkey,name the install section writes, or None."""
        found = [v for v in self.addreg_lines(install) if len(v) == 5 and
                 v[0].upper() == "HKR" and v[1].lower() == subkey.lower() and
                 v[2].lower() == name.lower()]
        if len(found) != 1 or not re.fullmatch(r"0x[0-9a-fA-F]+", found[0][3]) or \
                int(found[0][3], 0) != REG_DWORD or not found[0][4].isdigit():
            return None
        return int(found[0][4])

    def check_msi(self, hw):
        lines = self.addreg_lines(hw)
        msi = [v for v in lines if len(v) >= 5 and v[2] == "MSISupported"]
        self.need(len(msi) == 1 and msi[0][4] == "1", "MSISupported is not set to 1")

    def check_services(self, services):
        adds = [v for k, v in services if k and k.lower() == "addservice"]
        self.need(len(adds) == 1, "there should be exactly one AddService")
        if len(adds) != 1 or len(adds[0]) < 3:
            return
        name, flags, install = adds[0][0], adds[0][1], adds[0][2]
        self.need(name.lower() == "vgpu", "the service should be named vgpu")
        self.need(int(flags, 0) & 0x2 == 0x2, "AddService should set SPSVCINST_ASSOCSERVICE")
        svc = self.section(install)
        expect = {"ServiceType": "1", "StartType": "3", "ServiceBinary": "%12%\\vgpu.sys"}
        for key, want in expect.items():
            got = value_of(svc, key)
            self.need(got is not None and got[0].lower() == want.lower(),
                      "[%s] %s should be %s, is %s" % (install, key, want, got))
        self.need(self.dword(svc, "Parameters", "DmaRemappingCompatible") == 0,
                  "[%s] should set Parameters DmaRemappingCompatible to 0" % install)
        for extra in adds[0][3:]:
            self.section(extra)

    def check_strings(self, text):
        defined = {k.lower() for k, _ in self.section("Strings") if k}
        for token in re.findall(r"%([A-Za-z][\w.]*)%", text.replace("%%", "")):
            self.need(token.lower() in defined, "%%%s%% is not defined in [Strings]" % token)

    def run(self, text):
        self.check_version()
        self.check_models()
        self.check_strings(text)
        return self.problems


def main(argv):
    import os
    if len(argv) != 3:
        print("usage: check_inf.py INF PACKAGE_DIR", file=sys.stderr)
        return 2
    with open(argv[1], encoding="ascii") as f:
        text = f.read()
    try:
        sections = parse(text)
    except ValueError as e:
        print("vgpu.inf: " + str(e))
        return 1
    problems = Checker(sections, os.listdir(argv[2])).run(text)
    for p in problems:
        print("vgpu.inf: " + p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
