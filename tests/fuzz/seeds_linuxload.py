#!/usr/bin/env python3
"""Writes the seeds of the linuxload fuzz target (tests/fuzz/corpus/linuxload/).

Run from the top of the tree after `make` (one seed is the fake bzImage the
system tests boot). Each seed is the target's prefix (RAM size selector,
command line length, initrd size; see tests/fuzz/fuzz_linuxload.c) and a
small bzImage that loads in 2-3 MiB, so the fuzzer starts from paths that
work: pref_address, relocation, a fixed kernel, a low initrd_addr_max,
setup_sects 0, the oldest accepted protocol, and one it refuses.
"""
import os
import struct

OUT = "tests/fuzz/corpus/linuxload"


def bzimage(version=0x020f, setup_sects=1, reloc=1, align=0x1000, pref=0x100000,
            init_size=0x8000, addr_max=0x7fffffff, cmdline_size=255, kernel=0x400):
    sects = setup_sects or 4
    img = bytearray((sects + 1) * 512 + kernel)
    img[0x1f1] = setup_sects
    struct.pack_into("<I", img, 0x1f4, kernel // 16)
    struct.pack_into("<H", img, 0x1fe, 0xaa55)
    img[0x200:0x202] = bytes([0xeb, 0x6a])
    img[0x202:0x206] = b"HdrS"
    struct.pack_into("<H", img, 0x206, version)
    img[0x211] = 1                                   # LOADED_HIGH
    struct.pack_into("<I", img, 0x214, 0x100000)
    struct.pack_into("<III", img, 0x22c, addr_max, align, 0)
    img[0x234] = reloc
    struct.pack_into("<HI", img, 0x236, 1, cmdline_size)
    struct.pack_into("<QI", img, 0x258, pref, init_size)
    for i in range(kernel):
        img[(sects + 1) * 512 + i] = (i * 7 + 1) & 0xff
    return bytes(img)


def prefix(ram=0, cmd=1, initrd=16):
    return struct.pack("<HBH", ram, cmd, initrd)


SEEDS = {
    "pref-address": prefix() + bzimage(),
    "relocated": prefix(ram=3) + bzimage(pref=0x1000000, align=0x100000),
    "fixed": prefix(ram=5, cmd=0xff) + bzimage(reloc=0, pref=0x110000),
    "initrd-low-max": prefix(initrd=64) + bzimage(addr_max=0x17ffff),
    "setup-sects-0": prefix(ram=15, initrd=0) + bzimage(setup_sects=0, version=0x020c),
    "cmdline-size": prefix(cmd=16) + bzimage(cmdline_size=256),
    "old-protocol": prefix() + bzimage(version=0x020a),
}


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
    with open("build/guests/linuxstub.bzimage", "rb") as f:
        stub = f.read()
    with open(os.path.join(OUT, "linuxstub"), "wb") as f:
        f.write(prefix(ram=15, cmd=2, initrd=100) + stub)


if __name__ == "__main__":
    main()
