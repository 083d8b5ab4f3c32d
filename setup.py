"""Builds resnetc._C from csrc/.

Every C file is compiled portably (-O3, baseline ISA only, no fast-math). Files whose name
ends in _avx2.c or _avx512.c get that ISA's flags only for themselves; the code picks among
them at run time by CPUID (csrc/core/cpu_features.c).
"""
import glob
import os
import shlex
import subprocess

import numpy
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

BASE_FLAGS = ["-std=c11", "-O3", "-fopenmp", "-fvisibility=hidden", "-Wall", "-Wno-unused-function"]
ISA_FLAGS = {
    "_avx2.c": ["-mavx2", "-mfma"],
    "_avx512.c": ["-mavx512f", "-mavx512bw", "-mavx512vl", "-mavx512dq", "-mavx2", "-mfma"],
}


def isa_flags_for(source):
    for suffix, flags in ISA_FLAGS.items():
        if source.endswith(suffix):
            return flags
    return []


def libjpeg_flags():
    try:
        out = subprocess.run(["pkg-config", "--cflags", "--libs", "libjpeg"],
                             check=True, capture_output=True, text=True).stdout
    except (OSError, subprocess.CalledProcessError):
        raise SystemExit(
            "resnetc needs libjpeg-turbo's headers, found with pkg-config, and none were found.\n"
            "On Debian/Ubuntu: apt-get update && apt-get install -y libjpeg62-turbo-dev pkg-config")
    flags = shlex.split(out)
    include_dirs = [f[2:] for f in flags if f.startswith("-I")]
    library_dirs = [f[2:] for f in flags if f.startswith("-L")]
    libraries = [f[2:] for f in flags if f.startswith("-l")]
    return include_dirs, library_dirs, libraries


class BuildExtPerFileISA(build_ext):
    """build_ext that adds ISA flags per source file and compiles in parallel."""

    def finalize_options(self):
        super().finalize_options()
        if self.parallel is None:
            self.parallel = os.cpu_count() or 1

    def build_extensions(self):
        compile_one = self.compiler._compile

        def compile_with_isa(obj, src, ext, cc_args, extra_postargs, pp_opts):
            return compile_one(obj, src, ext, cc_args, extra_postargs + isa_flags_for(src), pp_opts)

        self.compiler._compile = compile_with_isa
        super().build_extensions()


jpeg_includes, jpeg_libdirs, jpeg_libs = libjpeg_flags()
sources = sorted(glob.glob("csrc/**/*.c", recursive=True))

setup(
    ext_modules=[
        Extension(
            "resnetc._C",
            sources=sources,
            include_dirs=["csrc", numpy.get_include(), *jpeg_includes],
            library_dirs=jpeg_libdirs,
            libraries=jpeg_libs,
            define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
            extra_compile_args=BASE_FLAGS,
            extra_link_args=["-fopenmp"],
            depends=glob.glob("csrc/**/*.h", recursive=True),
        )
    ],
    cmdclass={"build_ext": BuildExtPerFileISA},
)
