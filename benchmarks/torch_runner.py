"""Run a PyTorch benchmark snippet in a subprocess (so MXNet's and PyTorch's OpenMP runtimes
never share a process). The snippet reads a JSON payload from ``sys.argv[1]`` and prints one
JSON line last; ``None`` is returned when PyTorch is not installed."""
import json
import subprocess
import sys


def run_torch(code, payload):
    try:
        out = subprocess.run([sys.executable, '-c', code, json.dumps(payload)], check=True,
                             capture_output=True, text=True).stdout
    except subprocess.CalledProcessError as e:
        if 'No module named' in e.stderr:
            return None
        raise
    return json.loads(out.strip().splitlines()[-1])
