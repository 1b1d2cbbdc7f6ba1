#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
#
# Turns a compiled BPF object into a C source file, so drift-dp carries its
# XDP program inside the binary (no file to find or to mismatch at run time).
# Usage: embed_object.py OBJECT OUTPUT.c SYMBOL
import sys

obj, out, sym = sys.argv[1:4]
data = open(obj, "rb").read()
with open(out, "w") as f:
    f.write("/* Generated from %s by bpf/embed_object.py; do not edit. */\n" % obj.split("/")[-1])
    f.write("#include <stddef.h>\n\n")
    f.write("extern const unsigned char %s[];\nextern const size_t %s_len;\n" % (sym, sym))
    f.write("const unsigned char %s[] __attribute__((aligned(8))) = {\n" % sym)
    for i in range(0, len(data), 16):
        f.write("\t" + ", ".join("0x%02x" % b for b in data[i:i + 16]) + ",\n")
    f.write("};\nconst size_t %s_len = %d;\n" % (sym, len(data)))
