"""Run a PyTorch benchmark snippet in a subprocess (so MXNet's and PyTorch's OpenMP runtimes
never share a process). The snippet reads a JSON payload from ``sys.argv[1]`` and prints one
JSON line last; ``None`` is returned when PyTorch is not installed.

The interpreter is ``$D2GAN_TORCH_PYTHON`` when set (a virtual environment with PyTorch, as
``model_table.py --torch-python`` takes it), else this one."""
import json
import os
import subprocess
import sys


def run_torch(code, payload):
    python = os.environ.get('D2GAN_TORCH_PYTHON') or sys.executable
    try:
        out = subprocess.run([python, '-c', code, json.dumps(payload)], check=True,
                             capture_output=True, text=True).stdout
    except subprocess.CalledProcessError as e:
        if 'No module named' in e.stderr:
            return None
        raise
    return json.loads(out.strip().splitlines()[-1])
