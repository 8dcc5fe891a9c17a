"""Installs the d2gan library. Pinned versions live in requirements.txt (one place)."""
import re
from pathlib import Path

from setuptools import find_packages, setup

here = Path(__file__).parent
version = re.search(r"__version__ = '([^']+)'", (here / 'd2gan' / '__init__.py').read_text())[1]

setup(
    name='d2gan',
    version=version,
    description='Support library of the d2gan book: GANs hands-on with MXNet Gluon',
    packages=find_packages(include=['d2gan', 'd2gan.*']),
    package_data={'d2gan.nn': ['csrc/*.cc', 'csrc/*.h']},          # built at first use (d2gan.nn.native)
    python_requires='>=3.9',
    # MXNet is not listed: the CPU wheel (mxnet) and the GPU wheel (mxnet-cu112) are different
    # distributions. The exact, tested pins of everything are in requirements.txt.
    install_requires=['numpy<1.24', 'matplotlib'],
    extras_require={'data': ['mlxtend', 'scikit-learn', 'scikit-image', 'opencv-python']},
    entry_points={'console_scripts': ['d2gan=d2gan.cli:main']},
)
