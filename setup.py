"""Build the optional compiled core of the explorer.

Everything else about the package is in ``pyproject.toml``.  The extension is
``optional``: without a C compiler (or Python headers) ``pip install`` still
succeeds and protoverify explores with its pure-Python explorer, which gives
identical results, only slower.
"""

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext


class BuildExt(build_ext):
    """Optimise with GCC/Clang; keep the compiler's defaults elsewhere."""

    def build_extensions(self):
        if self.compiler.compiler_type == "unix":
            for ext in self.extensions:
                ext.extra_compile_args = ["-O3", "-std=c99", "-fno-strict-aliasing", "-pthread"]
                ext.extra_link_args = ["-pthread"]
        super().build_extensions()


setup(
    ext_modules=[
        Extension("protoverify.explore._cexplore", ["protoverify/explore/_cexplore.c"], optional=True),
    ],
    cmdclass={"build_ext": BuildExt},
)
