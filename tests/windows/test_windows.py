#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The Windows driver package, checked from Linux (TAP).

    test_windows.py WORKDIR

Builds the Windows cross build if needed ($VGPU_WINBUILD, default
build/win of the source tree, as `make windows` makes it), assembles the
package without GL DLLs into WORKDIR (packaging/make-package.sh --no-gl),
then checks: vgpu.sys's PE headers, entry point, imports and Authenticode
signature; the exception guard's unwind data in vgpu.sys and its
behaviour under Wine; vgpu.inf against the package; the signed catalog
vgpu.cat, by osslsigncode, openssl and Wine's catalog API, each also shown
a tampered file; vgpu-info.exe under Wine without a device; that vgpu.sys
contains exactly the kmd core's sources; and how the package script treats
the GL DLLs (required, shipped stripped, kept whole in symbols/ outside the
package).  $VGPU_MAKECAT names vgpu-makecat (meson sets it).
"""
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, HERE)
import catalog  # noqa: E402
import check_inf  # noqa: E402
import pe  # noqa: E402

PACKAGE_FILES = ["vgpu.inf", "vgpu.sys", "vgpu.cat", "vgpu-test.cer", "vgpu-info.exe",
                 "install.cmd", "uninstall.cmd", "install.ps1", "uninstall.ps1", "vgpu-common.ps1",
                 "README.md"]
NO_DEVICE_LINE = "vgpu-info: no vgpu device: no vgpu device interface (is vgpu.sys installed?)"

cases = []
failures = 0


def case(fn):
    cases.append(fn)
    return fn


class CheckFailed(Exception):
    pass


def check(ok, what):
    if not ok:
        raise CheckFailed(what)


def run(cmd, env=None, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, env=env, **kw)


def wine_env():
    env = dict(os.environ)
    env.setdefault("WINEDEBUG", "-all")
    env.pop("DISPLAY", None)
    return env


def ensure_windows_build():
    winbuild = os.environ.get("VGPU_WINBUILD")
    if winbuild:
        return winbuild
    winbuild = os.path.join(SRC, "build", "win")
    cmd = ["ninja", "-C", winbuild] if os.path.exists(os.path.join(winbuild, "build.ninja")) \
        else ["make", "-s", "-C", SRC, "windows"]
    r = run(cmd)
    if r.returncode != 0:
        sys.stdout.write("# " + (r.stdout + r.stderr).replace("\n", "\n# ") + "\n")
        raise SystemExit("Bail out! the Windows build failed")
    return winbuild


def make_package(winbuild, outdir, no_gl=True, gl_dir=None):
    env = dict(os.environ)
    if gl_dir is not None:
        env["VGPU_GL_DIR"] = gl_dir
    cmd = [os.path.join(SRC, "packaging", "make-package.sh")]
    if no_gl:
        cmd.append("--no-gl")
    return run(cmd + [winbuild, outdir], env=env)


def symbols(path):
    out = run(["x86_64-w64-mingw32-nm", path]).stdout
    table = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3:
            table[parts[2]] = (int(parts[0], 16), parts[1])
    return table


# ---- the package ----

@case
def package_contents(ctx):
    for f in PACKAGE_FILES:
        check(os.path.isfile(os.path.join(ctx.pkg, f)), f + " is missing")
    for f in ["vgpu.inf", "install.cmd", "uninstall.cmd"]:
        with open(os.path.join(ctx.pkg, f), "rb") as fh:
            text = fh.read()
        check(text.count(b"\n") == text.count(b"\r\n"), f + " does not have CRLF line ends")
    check(not os.path.exists(ctx.pkg + ".zip"), "--no-gl must not write a zip")
    keys = [f for f in os.listdir(ctx.pkg) if f.endswith((".key", ".pfx", ".pem"))]
    check(not keys, "private key material in the package: %s" % keys)


# ---- vgpu.sys ----

@case
def driver_pe_headers(ctx):
    img = ctx.sys_image
    check(img.machine == pe.IMAGE_FILE_MACHINE_AMD64, "machine is 0x%x" % img.machine)
    check(img.subsystem == pe.IMAGE_SUBSYSTEM_NATIVE, "subsystem is %d" % img.subsystem)
    check(not img.characteristics & pe.IMAGE_FILE_DLL, "vgpu.sys is marked as a DLL")
    need = pe.IMAGE_DLLCHARACTERISTICS_DYNAMIC_BASE | pe.IMAGE_DLLCHARACTERISTICS_NX_COMPAT
    check(img.dll_characteristics & need == need, "not DYNAMIC_BASE | NX_COMPAT")
    check(img.dirs[pe.DIR_BASERELOC][1] > 0, "no base relocations (the kernel relocates drivers)")
    for s in img.sections:
        both = pe.IMAGE_SCN_MEM_WRITE | pe.IMAGE_SCN_MEM_EXECUTE
        check(s.flags & both != both, "section %s is writable and executable" % s.name)
    check(img.checksum == img.computed_checksum(),
          "checksum 0x%x, should be 0x%x" % (img.checksum, img.computed_checksum()))


@case
def driver_entry_is_driverentry(ctx):
    table = symbols(ctx.sys)
    check("DriverEntry" in table and table["DriverEntry"][1] == "T", "no DriverEntry symbol")
    rva = table["DriverEntry"][0] - ctx.sys_image.image_base
    check(ctx.sys_image.entry == rva, "entry point 0x%x, DriverEntry at 0x%x" %
          (ctx.sys_image.entry, rva))


@case
def driver_imports_only_kernel(ctx):
    dlls = [d.lower() for d in ctx.sys_image.imported_dlls()]
    check(dlls == ["ntoskrnl.exe"], "imports from %s, should be ntoskrnl.exe only" % dlls)


# What the blob and Mvisor paths call: MDLs over contiguous memory and over
# device pages, user mappings of them.
NEEDED_IMPORTS = {"IoAllocateMdl", "IoFreeMdl", "MmBuildMdlForNonPagedPool",
                  "MmMapLockedPagesSpecifyCache", "MmUnmapLockedPages", "MmFreeContiguousMemory",
                  "MmGetPhysicalAddress", "MmGetSystemRoutineAddress", "ExFreePool"}
# Newer than some supported Windows: looked up at load time (routines.c), never
# imported, or the driver would not load there at all.
LOOKED_UP = ["MmAllocateContiguousNodeMemory", "MmMapIoSpaceEx", "MmGetPhysicalMemoryRangesEx2"]
# Reserved for system use.
FORBIDDEN_IMPORTS = {"MmGetPhysicalMemoryRanges"}


def import_problems(functions, image):
    """What is wrong with vgpu.sys's imports ({dll: [names]}) and routine lookups."""
    names = {n for dll in functions.values() for n in dll}
    problems = ["missing import " + n for n in sorted(NEEDED_IMPORTS - names)]
    problems += ["imports " + n for n in sorted(names & (FORBIDDEN_IMPORTS | set(LOOKED_UP)))]
    problems += ["imports by ordinal " + n for n in sorted(names) if n.startswith("#")]
    problems += ["does not look up " + n for n in LOOKED_UP
                 if (n + "\0").encode("utf-16-le") not in image]
    return problems


@case
def driver_imports_by_name(ctx):
    functions = ctx.sys_image.imported_functions()
    image = ctx.sys_image.data
    problems = import_problems(functions, image)
    check(not problems, "; ".join(problems))
    # The check must notice each kind of mistake.
    kernel = list(functions["ntoskrnl.exe"])
    planted = {
        "a needed import gone": ({"ntoskrnl.exe": [n for n in kernel if n != "IoAllocateMdl"]},
                                 image),
        "a new routine imported": ({"ntoskrnl.exe": kernel + ["MmGetPhysicalMemoryRangesEx2"]},
                                   image),
        "a reserved routine": ({"ntoskrnl.exe": kernel + ["MmGetPhysicalMemoryRanges"]}, image),
        "an ordinal": ({"ntoskrnl.exe": kernel + ["#12"]}, image),
        "no lookup": (functions, image.replace("MmGetPhysicalMemoryRangesEx2".encode("utf-16-le"),
                                               "MmGetPhysicalMemoryRangesEx3".encode("utf-16-le"))),
    }
    for what, (funcs, img) in planted.items():
        check(import_problems(funcs, img), "the import check misses: " + what)


# vgpu.sys's plain-C parts, which the windows-helpers test runs on Linux.
SHARED_HELPERS = ["win_identify", "win_identify_mvisor", "win_devmem_request_ok",
                  "win_devmem_inside", "win_devmem_overlaps"]


@case
def driver_uses_tested_helpers(ctx):
    table = symbols(ctx.sys)
    missing = [n for n in SHARED_HELPERS if table.get(n, (0, ""))[1] != "T"]
    check(not missing, "not in vgpu.sys: %s" % missing)
    # The driver no longer turns Mvisor's device away (it did before ABI 1.1).
    check(b"not supported yet" not in ctx.sys_image.data,
          "vgpu.sys still carries the old Mvisor refusal")


def verify_signature(path, ca):
    r = run(["osslsigncode", "verify", "-in", path, "-CAfile", ca])
    return r.returncode == 0 and "Signature verification: ok" in r.stdout, r.stdout + r.stderr


def tampered_driver(ctx):
    """A copy of vgpu.sys with one byte of its code changed."""
    bad = os.path.join(ctx.work, "tampered.sys")
    data = bytearray(open(ctx.sys, "rb").read())
    text = next(s for s in ctx.sys_image.sections if s.name == ".text")
    data[text.raw_ptr + 16] ^= 0xFF
    open(bad, "wb").write(data)
    return bad


@case
def driver_signature(ctx):
    ok, log = verify_signature(ctx.sys, ctx.ca)
    check(ok, "osslsigncode verify failed: " + log[-400:])
    check("vgpu test signing" in log, "not signed by the vgpu test certificate")
    # The same check must reject a modified driver.
    ok, _ = verify_signature(tampered_driver(ctx), ctx.ca)
    check(not ok, "a tampered vgpu.sys still verifies")


def unwind_entry(dump, start):
    """The unwind description objdump prints for the function at `start`."""
    lines = dump.splitlines()
    head = re.compile(r"\(rva: [0-9a-f]+\): %016x - " % start)
    for i, line in enumerate(lines):
        if head.search(line):
            body = []
            for nxt in lines[i + 1:]:
                if "(rva:" in nxt or not nxt.strip():
                    break
                body.append(nxt)
            return "\n".join(body)
    raise CheckFailed("no unwind data for 0x%x" % start)


@case
def seh_guard_unwind_data(ctx):
    table = symbols(ctx.sys)
    start = table["win_seh_call"][0]
    entry = unwind_entry(run(["x86_64-w64-mingw32-objdump", "-p", ctx.sys]).stdout, start)
    check("UNW_FLAG_EHANDLER" in entry, "win_seh_call has no exception handler")
    handler = int(re.search(r"Handler: ([0-9a-f]+)", entry).group(1), 16)
    check(handler == table["__C_specific_handler"][0], "the handler is not __C_specific_handler")
    data = bytes(int(b, 16) for line in re.findall(r"^\s+0[0-9a-f]{2}: (.*)$", entry, re.M)
                 for b in line.split())
    count, begin, end, filt, target = (int.from_bytes(data[i:i + 4], "little")
                                       for i in range(0, 20, 4))
    check(count == 1, "scope count %d" % count)
    base = ctx.sys_image.image_base
    dis = run(["x86_64-w64-mingw32-objdump", "-d", ctx.sys, "--start-address=0x%x" % start,
               "--stop-address=0x%x" % (start + 0x40)]).stdout
    insns = re.findall(r"^\s+([0-9a-f]+):\s+(?:[0-9a-f]{2} )+\s*(.*)$", dis, re.M)
    calls = [i for i, (_, text) in enumerate(insns) if text.startswith("call")]
    check(len(calls) == 1, "win_seh_call should make exactly one call")
    ret_rva = int(insns[calls[0] + 1][0], 16) - base
    call_rva = int(insns[calls[0]][0], 16) - base
    check(begin <= call_rva and ret_rva < end, "the scope does not cover the call's return address")
    check(start - base < target < start - base + 0x40, "the landing pad is outside win_seh_call")
    fdis = run(["x86_64-w64-mingw32-objdump", "-d", ctx.sys, "--start-address=0x%x" % (base + filt),
                "--stop-address=0x%x" % (base + filt + 6)]).stdout
    check(re.search(r"mov\s+\$0x1,%eax", fdis) and "ret" in fdis,
          "the filter does not answer EXCEPTION_EXECUTE_HANDLER")


@case
def seh_guard_under_wine(ctx):
    probe = os.path.join(ctx.winbuild, "tests", "windows", "seh-guard-probe.exe")
    r = run(["wine", probe], env=wine_env(), timeout=120)
    sys.stdout.write("".join("#   " + l + "\n" for l in r.stdout.splitlines()))
    check(r.returncode == 0, "the probe failed (exit %d)" % r.returncode)
    check(re.search(r"^1\.\.6\s*$", r.stdout, re.M), "the probe did not finish its 6 cases")
    check("not ok" not in r.stdout, "a probe case failed")


@case
def core_sources_compiled_in(ctx):
    with open(os.path.join(SRC, "kmd", "core", "meson.build")) as f:
        block = re.search(r"core_sources\s*=\s*files\((.*?)\)", f.read(), re.S).group(1)
    listed = sorted(re.findall(r"'([^']+)'", block))
    check(listed, "no core_sources in kmd/core/meson.build")
    targets = json.loads(run(["meson", "introspect", "--targets", ctx.winbuild]).stdout)
    by_name = {t["name"]: t for t in targets}
    core_dir = os.path.join(SRC, "kmd", "core") + os.sep

    def sources(name):
        return sorted(os.path.relpath(s, core_dir) for ts in by_name[name]["target_sources"]
                      for s in ts.get("sources", []))
    check(sources("vgpu_core") == listed, "vgpu_core compiles %s" % sources("vgpu_core"))
    own = [s for ts in by_name["vgpu"]["target_sources"] for s in ts.get("sources", [])]
    check(not any(s.startswith(core_dir) for s in own), "vgpu.sys compiles core files itself")
    link = run(["ninja", "-C", ctx.winbuild, "-t", "commands", "kmd/windows/vgpu.sys"])
    line = link.stdout.strip().splitlines()[-1]
    check(re.search(r"--whole-archive\s+(-Wl,--start-group\s+)?(\S*/)?kmd/core/libvgpu_core\.a",
                    line),
          "vgpu.sys does not link the whole core library")
    archive = os.path.join(ctx.winbuild, "kmd", "core", "libvgpu_core.a")
    members = run(["x86_64-w64-mingw32-ar", "t", archive]).stdout.split()
    check(len(members) == len(listed), "the core library has %d objects, core_sources %d" %
          (len(members), len(listed)))
    in_sys = symbols(os.path.join(ctx.winbuild, "kmd", "windows", "vgpu.sys"))
    objdir = os.path.join(ctx.work, "core-objects")
    os.makedirs(objdir, exist_ok=True)
    run(["x86_64-w64-mingw32-ar", "x", "--output", objdir, archive])
    for member in members:
        defined = [n for n, (_, kind) in symbols(os.path.join(objdir, member)).items()
                   if kind == "T"]
        check(any(n in in_sys for n in defined), "nothing of %s is in vgpu.sys" % member)


# ---- vgpu.inf ----

def inf_problems(inf_text, files):
    return check_inf.Checker(check_inf.parse(inf_text), files).run(inf_text)


@case
def inf_matches_package(ctx):
    text = open(os.path.join(ctx.pkg, "vgpu.inf"), encoding="ascii").read()
    problems = inf_problems(text, os.listdir(ctx.pkg))
    check(not problems, "; ".join(problems))
    # The checker must notice each kind of mistake.
    broken = {
        "missing file": (text, [f for f in os.listdir(ctx.pkg) if f != "vgpu.sys"]),
        "wrong id": (text.replace("DEV_105B", "DEV_1059"), os.listdir(ctx.pkg)),
        "no service section": (text.replace("[Vgpu_Service]", "[Vgpu_Other]"),
                               os.listdir(ctx.pkg)),
        "undefined string": (text.replace("%Vgpu.MvisorDesc%", "%Vgpu.Nothing%"),
                             os.listdir(ctx.pkg)),
        "msi off": (text.replace("MSISupported, 0x00010001, 1", "MSISupported, 0x00010001, 0"),
                    os.listdir(ctx.pkg)),
        "any 105B": (text.replace("DEV_105B&SUBSYS_11001AF4&REV_01", "DEV_105B"),
                     os.listdir(ctx.pkg)),
        "remapping on": (text.replace("RemappingSupported, 0x00010001, 0",
                                      "RemappingSupported, 0x00010001, 1"), os.listdir(ctx.pkg)),
        "no device DMA key": (text.replace("AddReg = Vgpu_Msi_AddReg, Vgpu_Dma_AddReg",
                                           "AddReg = Vgpu_Msi_AddReg"), os.listdir(ctx.pkg)),
        "driver opts in": (text.replace("DmaRemappingCompatible, 0x00010001, 0",
                                        "DmaRemappingCompatible, 0x00010001, 1"),
                           os.listdir(ctx.pkg)),
        "no service DMA key": (text.replace("AddReg        = Vgpu_Service_AddReg", ""),
                               os.listdir(ctx.pkg)),
        "another catalog": (text.replace("vgpu.cat", "other.cat"), os.listdir(ctx.pkg)),
    }
    for what, (t, files) in broken.items():
        check(t != text or len(files) < len(os.listdir(ctx.pkg)),
              "the planted mistake did not apply: " + what)
    for what, (t, files) in broken.items():
        check(inf_problems(t, files), "the INF check misses: " + what)


def ps_id_list(script, name):
    """The strings of a PowerShell array assignment $name = @("...", ...)."""
    block = re.search(r"\$%s = @\((.*?)\)" % name, script, re.S)
    check(block is not None, "no $%s" % name)
    return {i.upper() for i in re.findall(r'"([^"]+)"', block.group(1))}


# PowerShell does not run here: what can be checked is that the installer's
# choice of device instances rests on the INF's ids and keeps the others out.
@case
def installer_targets_inf_ids(ctx):
    common = open(os.path.join(ctx.pkg, "vgpu-common.ps1"), encoding="utf-8").read()
    text = open(os.path.join(ctx.pkg, "vgpu.inf"), encoding="ascii").read()
    models = {hwid.upper() for _, hwid in check_inf.Checker(check_inf.parse(text), []).models()}
    targets = ps_id_list(common, "VgpuTargetIds")
    check(targets == models, "install.ps1 targets %s, the INF binds %s" %
          (sorted(targets), sorted(models)))
    never = ps_id_list(common, "VgpuNeverIds")
    for vga_or_pmem in ["PCI\\VEN_1AF4&DEV_1050&CC_0300", "PCI\\VEN_1AF4&DEV_105B&CC_FF00"]:
        check(vga_or_pmem in never, "install.ps1 does not keep %s out" % vga_or_pmem)
    check("DiInstallDevice" in common and "Select-VgpuDevices" in open(
        os.path.join(ctx.pkg, "install.ps1"), encoding="utf-8").read(),
        "install.ps1 does not force the driver on the chosen instances")


# ---- vgpu.cat ----

CATALOG_OSATTR = "2:10.0"


def inf_copied_files(text):
    """The lower-case names of the files the INF's CopyFiles directives copy."""
    sections = check_inf.parse(text)
    names = set()
    for entries in sections.values():
        for key, values in entries:
            if not key or key.lower() != "copyfiles":
                continue
            for ref in values:
                if ref.startswith("@"):
                    names.add(ref[1:].lower())
                    continue
                names.update((k or v[0]).lower() for k, v in sections[ref.lower()])
    return names


def catalog_problems(cat, expected_names, inf_bytes):
    """What is wrong in the catalog where no outside tool looks."""
    problems = []
    if cat.version != "1.3.6.1.4.1.311.12.1.2":
        problems.append("not a version-1 catalog: " + cat.version)
    if cat.attributes.get("OSAttr") != CATALOG_OSATTR:
        problems.append("catalog OSAttr is %r" % cat.attributes.get("OSAttr"))
    names = [m.names.get("File", "").lower() for m in cat.members]
    if sorted(names) != sorted(expected_names):
        problems.append("members %s, should be %s" % (sorted(names), sorted(expected_names)))
    idents = [m.identifier for m in cat.members]
    if idents != sorted(idents):
        problems.append("members are not sorted by identifier")
    for m, name in zip(cat.members, names):
        problems += member_problems(m, name, inf_bytes)
    return problems


def member_problems(m, name, inf_bytes):
    is_pe = name.endswith((".sys", ".dll", ".exe"))
    want_type = catalog.OID_PE_IMAGE_DATA if is_pe else catalog.OID_FLAT_DATA
    if len(m.digests) != 1 or m.sips != [catalog.SIP_PE if is_pe else catalog.SIP_FLAT]:
        return ["%s: %d hashes, SIPs %s" % (name, len(m.digests), m.sips)]
    link_type, alg, digest = m.digests[0]
    problems = []
    if (link_type, alg) != (want_type, catalog.OID_SHA1):
        problems.append("%s: hashed as %s with %s" % (name, link_type, alg))
    ident = (digest.hex().upper() + "\0").encode("utf-16-le")
    if m.identifier != ident:
        problems.append("%s: identifier %r does not name its digest" % (name, m.identifier))
    if m.names.get("OSAttr") != CATALOG_OSATTR:
        problems.append("%s: OSAttr is %r" % (name, m.names.get("OSAttr")))
    if name.endswith(".inf") and digest != hashlib.sha1(inf_bytes).digest():
        problems.append("%s: the digest is not the INF's SHA-1" % name)
    return problems


@case
def catalog_lists_the_package(ctx):
    inf = open(os.path.join(ctx.pkg, "vgpu.inf"), "rb").read()
    expected = inf_copied_files(inf.decode("ascii")) | {"vgpu.inf"}
    check("vgpu.sys" in expected, "the INF copies no vgpu.sys")
    raw = open(ctx.cat, "rb").read()
    problems = catalog_problems(catalog.Catalog(raw), expected, inf)
    check(not problems, "; ".join(problems))
    # The assertions must notice each kind of mistake.
    ident = catalog.Catalog(raw).members[0].identifier
    # The second hex digit changed (bytes 2..3 in UTF-16), whatever it was.
    wrong_ident = ident[:2] + (b"0" if ident[2:3] != b"0" else b"1") + ident[3:]
    osattr = (CATALOG_OSATTR + "\0").encode("utf-16-le")
    planted = {
        "a missing member": (raw, expected | {"vgpu.dll"}, inf),
        "an identifier not its digest": (raw.replace(ident, wrong_ident), expected, inf),
        "another OSAttr": (raw.replace(osattr, "2:11.0\0".encode("utf-16-le")), expected, inf),
        "another INF": (raw, expected, inf + b"\r\n"),
    }
    for what, (data, names, inf_bytes) in planted.items():
        check(catalog_problems(catalog.Catalog(data), names, inf_bytes),
              "the catalog check misses: " + what)


def osslsigncode_ok(args):
    r = run(["osslsigncode", "verify"] + args)
    return r.returncode == 0 and "Succeeded" in r.stdout, r.stdout + r.stderr


def write_copy(ctx, name, data):
    path = os.path.join(ctx.work, name)
    open(path, "wb").write(data)
    return path


def foreign_catalog(ctx, name, files):
    """(catalog of files signed by a key the package does not trust, its certificate)."""
    unsigned = os.path.join(ctx.work, name + ".unsigned.cat")
    signed = os.path.join(ctx.work, name + ".cat")
    key, crt = os.path.join(ctx.work, "foreign.key"), os.path.join(ctx.work, "foreign.crt")
    for f in (unsigned, signed):
        if os.path.exists(f):
            os.remove(f)
    steps = [
        [os.environ["VGPU_MAKECAT"], "--osattr", CATALOG_OSATTR, "-o", unsigned] + files,
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=someone else", "-addext", "extendedKeyUsage=codeSigning",
         "-keyout", key, "-out", crt],
        ["osslsigncode", "sign", "-certs", crt, "-key", key, "-h", "sha256",
         "-in", unsigned, "-out", signed],
    ]
    for cmd in steps:
        r = run(cmd)
        check(r.returncode == 0, "%s failed: %s" % (cmd[0], r.stderr[-300:]))
    return signed, crt


@case
def catalog_signature(ctx):
    ok, log = osslsigncode_ok(["-in", ctx.cat, "-CAfile", ctx.ca])
    check(ok, "osslsigncode verify of vgpu.cat failed: " + log[-400:])
    check("vgpu test signing" in log, "vgpu.cat is not signed by the vgpu test certificate")
    raw = open(ctx.cat, "rb").read()
    ctl = catalog.Catalog(raw).ctl
    at = raw.index(ctl) + len(ctl) // 2
    flipped = write_copy(ctx, "flipped.cat", raw[:at] + bytes([raw[at] ^ 1]) + raw[at + 1:])
    check(not osslsigncode_ok(["-in", flipped, "-CAfile", ctx.ca])[0],
          "a catalog with a flipped byte still verifies")
    foreign, _ = foreign_catalog(ctx, "foreign", [os.path.join(ctx.pkg, "vgpu.inf"), ctx.sys])
    check(not osslsigncode_ok(["-in", foreign, "-CAfile", ctx.ca])[0],
          "a catalog signed by a foreign key verifies")
    check(not osslsigncode_ok(["-catalog", foreign, "-in", ctx.sys, "-CAfile", ctx.ca])[0],
          "vgpu.sys verifies through a foreign catalog")


def verify_in_catalog(ctx, path):
    return osslsigncode_ok(["-catalog", ctx.cat, "-in", path, "-CAfile", ctx.ca])


@case
def catalog_covers_the_files(ctx):
    inf = open(os.path.join(ctx.pkg, "vgpu.inf"), "rb").read()
    for name in sorted(inf_copied_files(inf.decode("ascii"))):
        ok, log = verify_in_catalog(ctx, os.path.join(ctx.pkg, name))
        check(ok, "%s is not in vgpu.cat: %s" % (name, log[-400:]))
    # osslsigncode hashes a .mof as plain bytes: the INF's flat hash.
    ok, log = verify_in_catalog(ctx, write_copy(ctx, "vgpu-inf.mof", inf))
    check(ok, "vgpu.inf is not in vgpu.cat: " + log[-400:])
    changed = inf.replace(b"vgpu", b"vgpU", 1)
    check(not verify_in_catalog(ctx, write_copy(ctx, "changed-inf.mof", changed))[0],
          "an INF with one byte changed is in the catalog")
    check(not verify_in_catalog(ctx, tampered_driver(ctx))[0],
          "a vgpu.sys with a section byte changed is in the catalog")


@case
def makecat_hashes_unsigned_images(ctx):
    # vgpu.sys is signed; an unsigned image of a length that is no multiple of 8 is hashed as if
    # padded, as signing would pad it: osslsigncode must agree.
    info = open(os.path.join(ctx.pkg, "vgpu-info.exe"), "rb").read()
    odd = write_copy(ctx, "odd-length.exe", info + b"\0" * (8 - len(info) % 8 + 3))
    cat, crt = foreign_catalog(ctx, "odd-length", [odd])
    ok, log = osslsigncode_ok(["-catalog", cat, "-in", odd, "-CAfile", crt])
    check(ok, "osslsigncode does not find an unsigned image: " + log[-400:])


@case
def catalog_smime_signature(ctx):
    # A code-signing certificate is no S/MIME signer: -purpose any.
    def verify(cat_path, ctl):
        content = write_copy(ctx, "ctl-contents.bin", ctl)
        return run(["openssl", "smime", "-verify", "-inform", "DER", "-in", cat_path,
                    "-content", content, "-CAfile", ctx.ca, "-purpose", "any",
                    "-out", os.devnull]).returncode == 0
    ctl = catalog.load(ctx.cat).ctl
    check(verify(ctx.cat, ctl), "openssl smime does not verify vgpu.cat's signature")
    check(not verify(ctx.cat, ctl[:-1] + bytes([ctl[-1] ^ 1])),
          "openssl smime verifies changed contents")


def pe_catalog_digest(ctx, path):
    """osslsigncode's own SHA-1 Authenticode hash of path, as it checks the catalog."""
    ok, log = osslsigncode_ok(["-catalog", ctx.cat, "-in", path, "-CAfile", ctx.ca])
    found = re.search(r"^Calculated message digest\s*:\s*([0-9A-F]+)", log, re.M)
    check(ok and found, "osslsigncode computes no digest for " + path)
    return found.group(1)


@case
def catalog_under_wine(ctx):
    exe = os.path.join(ctx.winbuild, "tests", "windows", "catalog-members.exe")
    r = run(["wine", exe, ctx.cat], env=wine_env(), timeout=120)
    check(r.returncode == 0, "catalog-members failed (%d): %s" % (r.returncode, r.stderr[-300:]))
    listed = {tuple(l.split()[1:]) for l in r.stdout.splitlines() if l.startswith("member ")}
    inf = open(os.path.join(ctx.pkg, "vgpu.inf"), "rb").read()
    expected = set()
    inf_digest = hashlib.sha1(inf).hexdigest().upper()
    expected.add((inf_digest, catalog.SIP_FLAT, catalog.OID_FLAT_DATA, inf_digest))
    for name in inf_copied_files(inf.decode("ascii")):
        digest = pe_catalog_digest(ctx, os.path.join(ctx.pkg, name))
        expected.add((digest, catalog.SIP_PE, catalog.OID_PE_IMAGE_DATA, digest))
    check(listed == expected, "Wine lists %s, expected %s" % (sorted(listed), sorted(expected)))


# ---- vgpu-info.exe ----

@case
def vgpu_info_without_device(ctx):
    r = run(["wine", os.path.join(ctx.pkg, "vgpu-info.exe")], env=wine_env(), timeout=120)
    err = [l.rstrip("\r") for l in r.stderr.splitlines() if l.strip()]
    check(r.returncode == 1, "exit status %d, should be 1" % r.returncode)
    check(err == [NO_DEVICE_LINE], "stderr was %r" % err)
    check(r.stdout.strip() == "", "stdout was %r" % r.stdout)


# ---- the GL DLLs ----

def debug_sections(path):
    """The DWARF sections of a PE file (objdump resolves their long names)."""
    out = run(["x86_64-w64-mingw32-objdump", "-h", path]).stdout
    return re.findall(r"^\s*\d+\s+(\.debug_\w+)", out, re.M)


def make_stand_in_dll(path):
    """A small DLL with debug sections, as Mesa's are built."""
    c = path + ".c"
    open(c, "w").write("__declspec(dllexport) int stand_in(int x) { return x + 1; }\n")
    # Linked without a timestamp (0), as vgpu.sys is: one that stripping
    # changed could not be the time of packaging by chance.
    r = run(["x86_64-w64-mingw32-gcc", "-shared", "-g", "-Wl,--no-insert-timestamp", "-o", path,
             c])
    check(r.returncode == 0, "cannot build a stand-in DLL: " + r.stderr)
    os.remove(c)


@case
def package_needs_gl_dlls(ctx):
    base = os.path.join(ctx.work, "gl")
    shutil.rmtree(base, ignore_errors=True)
    gl = os.path.join(base, "dlls")
    os.makedirs(gl)
    out = os.path.join(base, "package")
    r = make_package(ctx.winbuild, out, no_gl=False, gl_dir=gl)
    check(r.returncode != 0, "packaging without GL DLLs succeeded")
    check("GL DLLs missing" in r.stderr and "make mesa" in r.stderr, "unclear: " + r.stderr)
    check(os.path.isfile(os.path.join(out, "vgpu-win64", "vgpu.sys")), "nothing was assembled")
    check(not os.path.exists(os.path.join(out, "vgpu-win64.zip")), "a zip without GL DLLs")
    for name in ["opengl32.dll", "libglapi.dll"]:
        make_stand_in_dll(os.path.join(gl, name))
    r = make_package(ctx.winbuild, out, no_gl=False, gl_dir=gl)
    check(r.returncode != 0, "packaging without vgpu_wgl.dll succeeded")
    open(os.path.join(gl, "vgpu_wgl.dll"), "wb").write(b"MZ not a PE file")
    r = make_package(ctx.winbuild, out, no_gl=False, gl_dir=gl)
    check(r.returncode != 0, "a DLL that cannot be stripped was packaged")
    check(not os.path.exists(os.path.join(out, "vgpu-win64.zip")), "a zip after a failed strip")
    make_stand_in_dll(os.path.join(gl, "vgpu_wgl.dll"))
    r = make_package(ctx.winbuild, out, no_gl=False, gl_dir=gl)
    check(r.returncode == 0, "packaging with GL DLLs failed: " + r.stderr)
    names = zipfile.ZipFile(os.path.join(out, "vgpu-win64.zip")).namelist()
    for want in ["vgpu-win64/gl/opengl32.dll", "vgpu-win64/gl/vgpu_wgl.dll",
                 "vgpu-win64/gl/libglapi.dll", "vgpu-win64/vgpu.sys", "vgpu-win64/vgpu.inf",
                 "vgpu-win64/vgpu.cat"]:
        check(want in names, want + " is not in the zip")
    check(not [n for n in names if "symbols" in n], "symbols in the zip")
    check_stripped(out, gl)


def check_stripped(out, gl):
    """Shipped binaries without DWARF; symbols/ holds them as built, outside the package.
    Stripping keeps each image's link timestamp, which debuggers match symbols by and
    which would otherwise make every packaging of the same build differ."""
    pkg, symbols = os.path.join(out, "vgpu-win64"), os.path.join(out, "symbols")
    for name in ["opengl32.dll", "vgpu_wgl.dll", "libglapi.dll"]:
        built = open(os.path.join(gl, name), "rb").read()
        shipped = os.path.join(pkg, "gl", name)
        check(debug_sections(os.path.join(gl, name)), "the stand-in %s has no DWARF" % name)
        check(not debug_sections(shipped), "gl/%s is not stripped" % name)
        check_same_timestamp(shipped, pe.Image(built).timestamp)
        kept = os.path.join(symbols, "gl", name)
        check(os.path.isfile(kept) and open(kept, "rb").read() == built,
              "symbols/gl/%s is not the DLL as built" % name)
    for name in ["vgpu.sys", "vgpu-info.exe"]:
        check(not debug_sections(os.path.join(pkg, name)), name + " is not stripped")
        check(os.path.isfile(os.path.join(symbols, name)), "symbols/%s is missing" % name)
        check_same_timestamp(os.path.join(pkg, name), pe.load(os.path.join(symbols, name)).timestamp)


def check_same_timestamp(path, built):
    shipped = pe.load(path).timestamp
    check(shipped == built, "%s: link timestamp 0x%x, built with 0x%x" % (path, shipped, built))


class Context:
    pass


def main(argv):
    global failures
    if len(argv) != 2:
        print("usage: test_windows.py WORKDIR", file=sys.stderr)
        return 2
    ctx = Context()
    ctx.work = os.path.abspath(argv[1])
    os.makedirs(ctx.work, exist_ok=True)
    ctx.winbuild = ensure_windows_build()
    r = make_package(ctx.winbuild, os.path.join(ctx.work, "package"))
    if r.returncode != 0:
        print("Bail out! make-package.sh failed: " + (r.stdout + r.stderr).replace("\n", " "))
        return 1
    ctx.pkg = os.path.join(ctx.work, "package", "vgpu-win64")
    ctx.sys = os.path.join(ctx.pkg, "vgpu.sys")
    ctx.sys_image = pe.load(ctx.sys)
    ctx.cat = os.path.join(ctx.pkg, "vgpu.cat")
    ctx.ca = os.path.join(ctx.work, "vgpu-test.pem")
    r = run(["openssl", "x509", "-inform", "der", "-in", os.path.join(ctx.pkg, "vgpu-test.cer"),
             "-out", ctx.ca])
    if r.returncode != 0:
        print("Bail out! the shipped certificate does not parse: " + r.stderr.replace("\n", " "))
        return 1
    for n, fn in enumerate(cases, 1):
        try:
            fn(ctx)
            print("ok %d - %s" % (n, fn.__name__))
        except (CheckFailed, pe.PeError, catalog.CatalogError, subprocess.SubprocessError,
                OSError, KeyError, ValueError, AttributeError, IndexError) as e:
            failures += 1
            print("# %s: %s" % (type(e).__name__, e))
            print("not ok %d - %s" % (n, fn.__name__))
        sys.stdout.flush()
    print("1..%d" % len(cases))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
