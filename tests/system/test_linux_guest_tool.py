"""tools/linux-guest on the host, without the network: the kernel fetched
through a stand-in apt-get (real .debs built with dpkg-deb), kept and reused,
retried, and a clear message when the mirror cannot be reached; the
initramfs read back member by member. And `tools/run --config`'s choice of
the files it puts beside a Linux config."""

import gzip
import importlib.machinery
import importlib.util
import os
import stat
import subprocess
import sys

from hvtest import ROOT

sys.path.insert(0, os.path.join(ROOT, "tools"))
import hvrun  # noqa: E402


def load_tool():
    loader = importlib.machinery.SourceFileLoader("linux_guest", os.path.join(ROOT, "tools/linux-guest"))
    spec = importlib.util.spec_from_loader("linux_guest", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


# A stand-in for `apt-get download SPEC`: builds the package SPEC names in the
# current folder from the trees under $FAKE_DEBS, or fails as apt-get does
# offline once for each line in $FAKE_FAILS (a file), or always if it says "all".
FAKE_APT = """#!/bin/sh
[ "$1" = download ] || exit 100
if [ -s "$FAKE_FAILS" ]; then
    if grep -q all "$FAKE_FAILS"; then :; else sed -i 1d "$FAKE_FAILS"; fi
    echo "E: Failed to fetch http://deb.debian.org/debian/pool/x.deb  Temporary failure resolving 'deb.debian.org'" >&2
    exit 100
fi
name=${2%%=*}
dpkg-deb --build -Zgzip "$FAKE_DEBS/$name" "./${name}_fake_amd64.deb" >/dev/null
"""


def make_tree(root, name, version, depends=None, files=()):
    os.makedirs(os.path.join(root, name, "DEBIAN"))
    with open(os.path.join(root, name, "DEBIAN", "control"), "w") as f:
        f.write("Package: %s\nVersion: %s\nArchitecture: amd64\nMaintainer: test <t@t>\n"
                "Description: test\n" % (name, version))
        if depends:
            f.write("Depends: %s\n" % depends)
    for path, data in files:
        full = os.path.join(root, name, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "wb") as f:
            f.write(data)


def fake_mirror(tmp_path, monkeypatch, fails=""):
    debs, bin_dir = str(tmp_path / "debs"), str(tmp_path / "bin")
    os.makedirs(bin_dir)
    make_tree(debs, "linux-image-cloud-amd64", "6.1.999-1",
              depends="linux-image-6.1.0-99-cloud-amd64 (= 6.1.999-1)")
    make_tree(debs, "linux-image-6.1.0-99-cloud-amd64", "6.1.999-1",
              files=[("boot/vmlinuz-6.1.0-99-cloud-amd64", b"a kernel"),
                     ("boot/config-6.1.0-99-cloud-amd64", b"CONFIG_X86_64=y\n")])
    apt = os.path.join(bin_dir, "apt-get")
    with open(apt, "w") as f:
        f.write(FAKE_APT)
    os.chmod(apt, os.stat(apt).st_mode | stat.S_IEXEC)
    with open(str(tmp_path / "fails"), "w") as f:
        f.write(fails)
    monkeypatch.setenv("PATH", bin_dir + os.pathsep + os.environ["PATH"])
    monkeypatch.setenv("FAKE_DEBS", debs)
    monkeypatch.setenv("FAKE_FAILS", str(tmp_path / "fails"))


def test_fetches_the_versioned_kernel_package_once_then_keeps_it(tmp_path, monkeypatch, capsys):
    fake_mirror(tmp_path, monkeypatch)
    tool = load_tool()
    out = str(tmp_path / "linux")
    assert tool.main(["--out", out]) == 0
    said = capsys.readouterr().out
    assert "linux-guest: fetching linux-image-cloud-amd64 with apt-get download (first use" in said
    assert "linux-guest: fetching linux-image-6.1.0-99-cloud-amd64 6.1.999-1 (the kernel package" in said
    with open(os.path.join(out, "vmlinuz"), "rb") as f:
        assert f.read() == b"a kernel"
    with open(os.path.join(out, "kernel.txt")) as f:
        assert f.read() == "linux-image-6.1.0-99-cloud-amd64 6.1.999-1 6.1.0-99-cloud-amd64\n"
    assert not [f for f in os.listdir(out) if f.startswith("debs-")]     # the .debs are gone
    # A second run downloads nothing: apt-get would fail now.
    with open(str(tmp_path / "fails"), "w") as f:
        f.write("all\n")
    assert tool.main(["--out", out]) == 0
    said = capsys.readouterr().out
    assert ("linux-guest: using the kept kernel %s/vmlinuz (linux-image-6.1.0-99-cloud-amd64 "
            "6.1.999-1; --refresh fetches the current one)" % out) in said, said
    assert "fetching" not in said


def test_download_is_retried(tmp_path, monkeypatch, capsys):
    fake_mirror(tmp_path, monkeypatch, fails="1\n1\n")      # two failures, then the mirror answers
    tool = load_tool()
    monkeypatch.setattr(tool, "RETRY_WAIT", (0, 0))
    assert tool.main(["--out", str(tmp_path / "linux")]) == 0
    said = capsys.readouterr().out
    assert said.count("apt-get download linux-image-cloud-amd64 failed; trying again") == 2, said


def test_offline_says_what_failed(tmp_path, monkeypatch, capsys):
    fake_mirror(tmp_path, monkeypatch, fails="all\n")
    tool = load_tool()
    monkeypatch.setattr(tool, "RETRY_WAIT", (0, 0))
    out = str(tmp_path / "linux")
    assert tool.main(["--out", out]) == 1
    said = capsys.readouterr().out.strip().split("\n")[-1]
    assert said.startswith("linux-guest: error: cannot download linux-image-cloud-amd64 with apt-get "
                           "download (it needs the network and a Debian mirror"), said
    assert "Temporary failure resolving 'deb.debian.org'" in said, said
    assert not os.path.exists(os.path.join(out, "vmlinuz"))


def newc_members(data):
    """{name: (mode, rdevmajor, rdevminor, data)} of a newc cpio archive."""
    members, pos = {}, 0
    while True:
        assert data[pos:pos + 6] == b"070701", pos
        f = [int(data[pos + 6 + 8 * i:pos + 14 + 8 * i], 16) for i in range(13)]
        namesize, filesize = f[11], f[6]
        name = data[pos + 110:pos + 110 + namesize - 1].decode()
        pos += 110 + namesize
        pos += -pos % 4
        body = data[pos:pos + filesize]
        pos += filesize
        pos += -pos % 4
        if name == "TRAILER!!!":
            return members
        members[name] = (f[1], f[9], f[10], body)


def test_initramfs_holds_busybox_init_and_hvport(tmp_path):
    tool = load_tool()
    out = str(tmp_path)
    path = tool.build_initrd(out)
    with open(path, "rb") as f:
        first = f.read()
    m = newc_members(gzip.decompress(first))
    with open(os.path.join(ROOT, "tools/linuxinit/init"), "rb") as f:
        assert m["init"] == (0o100755, 0, 0, f.read())
    with open("/bin/busybox", "rb") as f:
        assert m["bin/busybox"][3] == f.read()
    assert m["bin/sh"] == (0o120777, 0, 0, b"busybox")           # /init's interpreter
    assert m["dev/console"][:3] == (0o020600, 5, 1)
    assert tool.is_static_elf(os.path.join(out, "hvport"))
    assert m["bin/hvport"][0] == 0o100755
    for d in ("bin", "dev", "proc", "sys"):
        assert m[d][0] == 0o040755
    # hvport runs here: it prints a TSC and refuses a status it cannot write.
    tsc = subprocess.run([os.path.join(out, "hvport"), "tsc"], capture_output=True, text=True)
    assert tsc.returncode == 0 and int(tsc.stdout) > 0
    bad = subprocess.run([os.path.join(out, "hvport"), "exit", "256"], capture_output=True, text=True)
    assert bad.returncode == 2 and bad.stdout.startswith("usage:")
    # The same inputs give the same bytes (no time stamps).
    os.unlink(path)
    with open(tool.build_initrd(out), "rb") as f:
        assert f.read() == first


def test_run_config_adds_the_linux_files_the_config_names(tmp_path):
    class Done:
        returncode = 0
    calls = []

    def tool(argv):
        calls.append(argv)
        return Done()
    with open(os.path.join(ROOT, "configs/linux.cfg")) as f:
        linux = f.read()
    assert hvrun.linux_guest_files(linux, run_tool=tool) == ["build/linux/vmlinuz",
                                                              "build/linux/initrd.img"]
    assert calls == [["tools/linux-guest"]]
    # Files given with --file win; a config without them needs no tool.
    assert hvrun.linux_guest_files(linux, ["/k/vmlinuz", "/k/initrd.img"], run_tool=tool) == []
    with open(os.path.join(ROOT, "configs/default.cfg")) as f:
        assert hvrun.linux_guest_files(f.read(), run_tool=tool) == []
    assert len(calls) == 1
    # The tool's failure (it said why) is the run's status.
    Done.returncode = 1
    try:
        hvrun.linux_guest_files(linux, run_tool=tool)
        assert False, "no SystemExit"
    except SystemExit as e:
        assert e.code == 1
