"""The run script gives the machine as many CPUs as hv.cfg uses (issue 11,
item 7): Bochs `cpu: count=N`, QEMU `-smp N`, N = the highest `cpu` + 1.
No emulator is started; the ESP cases build a small FAT image with mtools."""

import os
import subprocess

import hvtest

hvrun = hvtest.hvrun

TWO_GUESTS = """\
[hv]
timeslice_us = 10000   # cpu = 7 in a comment is not a key

[guest a]
image = \\guests\\hello.elf
memory = 4M

[guest b]
image = \\guests\\hello.elf
memory = 4M
cpu = 1
"""


def test_config_cpus_is_the_highest_cpu_plus_one():
    assert hvrun.config_cpus(TWO_GUESTS) == 2
    assert hvrun.config_cpus("[guest a]\ncpu = 0\n[guest b]\ncpu=3\n[guest c]\n  cpu = 0x2\n") == 4


def test_config_cpus_is_one_without_a_cpu_key_or_a_config():
    assert hvrun.config_cpus("[guest a]\nimage = \\guests\\hello.elf\n") == 1
    assert hvrun.config_cpus("") == 1
    assert hvrun.config_cpus(None) == 1
    assert hvrun.config_cpus("[guest a]\ncmdline = cpu = 5\n") == 1     # a value, not the key


def test_values_hv_cfg_refuses_count_for_nothing():
    assert hvrun.config_cpus("[guest a]\ncpu = 1x\n") == 1
    assert hvrun.config_cpus("[guest a]\ncpu = 64\n[guest b]\ncpu = 2\n") == 3
    assert hvrun.config_cpus("[guest a]\ncpu = 1   # the second CPU\n") == 2


def test_bochs_gets_cpu_count():
    assert "cpu: model=corei7_haswell_4770, count=2," in hvrun.bochs_config("/o", "/o/esp.img", cpus=2)
    assert "count=1," in hvrun.bochs_config("/o", "/o/esp.img")


def test_qemu_gets_smp():
    for kvm in (True, False):
        cmd = hvrun.qemu_command("/o", "/o/esp.img", kvm=kvm, cpus=3)
        assert cmd[cmd.index("-smp") + 1] == "3"
    cmd = hvrun.qemu_command("/o", "/o/esp.img")
    assert cmd[cmd.index("-smp") + 1] == "1"


def test_the_run_line_says_how_many_and_why():
    assert hvrun.cpus_line(2, "the highest cpu in hv.cfg is 1") == \
        "run: 2 CPUs (the highest cpu in hv.cfg is 1)"
    assert hvrun.cpus_line(1, "--cpus") == "run: 1 CPU (--cpus)"


def make_esp(tmp_path, config):
    cfg = tmp_path / "hv.cfg"
    cfg.write_text(config)
    esp = str(tmp_path / "esp.img")
    subprocess.run(["dd", "if=/dev/zero", "of=" + esp, "bs=1M", "count=2", "status=none"], check=True)
    subprocess.run(["mformat", "-i", esp, "::"], check=True)
    subprocess.run(["mcopy", "-i", esp, str(cfg), "::/hv.cfg"], check=True)
    return esp


def test_the_esp_config_decides_the_count(tmp_path):
    esp = make_esp(tmp_path, TWO_GUESTS)
    assert hvrun.esp_config(esp) == TWO_GUESTS
    assert hvrun.config_cpus(hvrun.esp_config(esp)) == 2


def test_an_esp_without_hv_cfg_has_one_cpu(tmp_path):
    esp = str(tmp_path / "empty.img")
    subprocess.run(["dd", "if=/dev/zero", "of=" + esp, "bs=1M", "count=2", "status=none"], check=True)
    subprocess.run(["mformat", "-i", esp, "::"], check=True)
    assert hvrun.esp_config(esp) == ""
    assert hvrun.config_cpus(hvrun.esp_config(esp)) == 1


def test_prepare_writes_the_count_into_the_bochsrc_and_the_qemu_command(tmp_path):
    esp = make_esp(tmp_path, TWO_GUESTS)
    out = str(tmp_path / "out")
    hvrun.prepare("bochs", out, esp, cpus=2)
    with open(os.path.join(out, "bochsrc")) as f:
        assert "count=2," in f.read()
    cmd, _ = hvrun.prepare("tcg", out, esp, cpus=2)
    assert cmd[cmd.index("-smp") + 1] == "2"


def test_main_says_the_count_and_passes_it_to_the_run(tmp_path, monkeypatch, capsys):
    esp = make_esp(tmp_path, TWO_GUESTS)
    seen = []

    def fake(backend, esp_, out, timeout, stream, cpus=1):
        seen.append(cpus)
        return 0
    monkeypatch.setattr(hvrun, "run", fake)
    assert hvrun.main(["--backend", "bochs", "--batch", "--esp", esp, "--out", str(tmp_path)]) == 0
    assert seen == [2]
    assert "run: 2 CPUs (the highest cpu in hv.cfg is 1)" in capsys.readouterr().out.split("\n")
    assert hvrun.main(["--backend", "bochs", "--batch", "--esp", esp, "--cpus", "4",
                       "--out", str(tmp_path)]) == 0
    assert seen == [2, 4]
    assert "run: 4 CPUs (--cpus)" in capsys.readouterr().out.split("\n")
