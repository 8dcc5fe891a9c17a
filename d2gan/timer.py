"""A small wall-clock timer (waits for MXNet's asynchronous engine before reading the clock)."""
import time


class Timer:
    """``with Timer() as t: ...`` then ``t.seconds``; or ``start()`` / ``stop()`` repeatedly."""

    def __init__(self):
        self.times = []
        self._start = None

    def start(self):
        self._start = time.perf_counter()
        return self

    def stop(self):
        import mxnet as mx
        mx.nd.waitall()
        self.times.append(time.perf_counter() - self._start)
        return self.times[-1]

    def elapsed(self):
        """Seconds since the last ``start()`` (after MXNet's pending work); keeps running."""
        import mxnet as mx
        mx.nd.waitall()
        return time.perf_counter() - self._start

    @property
    def seconds(self):
        return sum(self.times)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
