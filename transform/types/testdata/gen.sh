#!/bin/sh
# Regenerates the type-source fixtures from fixture.c and fixture_mod.c.
# Needs gcc, pahole (Debian: dwarves), objcopy (binutils) and rustc.
set -eu
cd "$(dirname "$0")"
# The build directory is mapped to "." so that no path of the machine
# that ran this lands in the objects' DWARF.
cc="gcc -g -O1 -c -fno-asynchronous-unwind-tables -ffile-prefix-map=$PWD=."
$cc -o fixture.o fixture.c               # DWARF only
$cc -o fixture_mod.o fixture_mod.c
cp fixture.o fixture-btf.o
pahole -J fixture-btf.o                  # adds .BTF
pahole -J --btf_base fixture-btf.o fixture_mod.o   # split BTF on top of it
objcopy --dump-section .BTF=fixture.btf fixture-btf.o
objcopy --dump-section .BTF=fixture_mod.btf fixture_mod.o
rm fixture_mod.o
rustc --crate-type=lib -g -C opt-level=0 --remap-path-prefix="$PWD=." --emit=obj -o fixture-rust.o fixture_rust.rs   # Rust DWARF
