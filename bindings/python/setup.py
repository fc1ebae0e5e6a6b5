"""Builds the kafc Python binding with setuptools (Debian's python3-setuptools):

    pip install ./bindings/python          # no network needed

Where libkafc comes from, first match wins:
  KAFC_BUILD_DIR=<cmake build dir>   headers from this source tree's include/,
                                     libkafc.so from that dir (rpath set to it)
  KAFC_PREFIX=<install prefix>       <prefix>/include and <prefix>/lib*/libkafc.so
                                     (as `cmake --install build --prefix P` lays out)
  pkg-config kafc                    an installed libkafc (kafc.pc)
  else                               the headers of this tree and a build/
                                     directory next to it, if libkafc.so is there

There is deliberately no pyproject.toml: with one, pip builds in an isolated
environment and would download setuptools; without it, pip uses the
setuptools already installed, offline.
"""

import os
import shlex
import subprocess

from setuptools import Extension, setup

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
SOURCES = ["src/module.c", "src/types.c", "src/producer.c", "src/consumer.c"]


def _libdir(prefix):
    for sub in ("lib", "lib64", "lib/x86_64-linux-gnu", "lib/aarch64-linux-gnu"):
        d = os.path.join(prefix, sub)
        if os.path.exists(os.path.join(d, "libkafc.so")):
            return d
    raise SystemExit("libkafc.so not found under %s/lib*" % prefix)


def _from_dirs(include, libdir):
    return {"include_dirs": [include], "library_dirs": [libdir],
            "runtime_library_dirs": [libdir], "libraries": ["kafc"]}


def _pkg_config():
    try:
        cflags = subprocess.run(["pkg-config", "--cflags", "kafc"], check=True,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout
        libs = subprocess.run(["pkg-config", "--libs", "kafc"], check=True,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    opts = {"include_dirs": [], "library_dirs": [], "libraries": [], "runtime_library_dirs": []}
    for tok in shlex.split(cflags.decode()):
        if tok.startswith("-I"):
            opts["include_dirs"].append(tok[2:])
    for tok in shlex.split(libs.decode()):
        if tok.startswith("-L"):
            opts["library_dirs"].append(tok[2:])
            opts["runtime_library_dirs"].append(tok[2:])
        elif tok.startswith("-l"):
            opts["libraries"].append(tok[2:])
    return opts


def kafc_options():
    build = os.environ.get("KAFC_BUILD_DIR")
    if build:
        # pip runs this file from bindings/python: a relative path is taken
        # from where the user stood (PWD), else from the repository root.
        if not os.path.isabs(build):
            cands = [os.path.join(os.environ.get("PWD", os.getcwd()), build),
                     os.path.join(REPO, build)]
            build = next((c for c in cands if os.path.isdir(c)), cands[0])
        build = os.path.abspath(build)
        if not os.path.exists(os.path.join(build, "libkafc.so")):
            raise SystemExit("KAFC_BUILD_DIR=%s has no libkafc.so (cmake --build it first)"
                             % build)
        return _from_dirs(os.path.join(REPO, "include"), build)
    prefix = os.environ.get("KAFC_PREFIX")
    if prefix:
        prefix = os.path.abspath(prefix)
        return _from_dirs(os.path.join(prefix, "include"), _libdir(prefix))
    opts = _pkg_config()
    if opts:
        return opts
    build = os.path.join(REPO, "build")
    if os.path.exists(os.path.join(build, "libkafc.so")) and os.path.isdir(
            os.path.join(REPO, "include", "kafc")):
        return _from_dirs(os.path.join(REPO, "include"), build)
    raise SystemExit("libkafc not found: set KAFC_BUILD_DIR (a CMake build dir of this tree) "
                     "or KAFC_PREFIX (an install prefix), or install kafc.pc for pkg-config")


opts = kafc_options()
setup(
    name="kafc",
    version="0.1.0",
    description="Kafka client for Python over libkafc (C), with confluent-kafka's API shape",
    long_description=open(os.path.join(HERE, "README.md")).read(),
    long_description_content_type="text/markdown",
    license="see the kafc repository",
    python_requires=">=3.9",
    packages=["kafc"],
    package_data={"kafc": ["__init__.pyi", "py.typed"]},
    ext_modules=[Extension(
        "kafc._kafc",
        sources=SOURCES,
        extra_compile_args=["-std=c11", "-Wall", "-Wextra", "-Wno-unused-parameter"],
        **opts)],
    zip_safe=False,
)
