"""Look at the built book the way a reader's browser does: headless Chromium, no network.

Used by ``tests/test_rendered_book.py`` (run by ``scripts/run_tests.sh`` after the quick build)
and by hand to take screenshots::

    python scripts/book_browser.py _build/html --screenshot chapters/03_losses/gradient_penalty OUT.png

Chromium is driven over its DevTools protocol (a websocket), started with a proxy that goes
nowhere, so a page that needs the internet to show its formulas or images fails here too.
"""
import argparse
import base64
import itertools
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request

import websocket
import yaml

# Waits for MathJax to finish typesetting and for every image to load or fail, then reports.
PAGE_REPORT_JS = r"""
(async () => {
  const mj = window.MathJax;
  if (mj && mj.startup && mj.startup.promise) { await mj.startup.promise; }
  const images = Array.from(document.images);
  await Promise.all(images.map(img => img.complete ? null :
      new Promise(done => { img.addEventListener('load', done); img.addEventListener('error', done); })));
  const math = Array.from(document.querySelectorAll('.math'));
  return {
    title: document.title,
    mathjax_version: mj && mj.version ? mj.version : null,
    math: math.length,
    untypeset: math.filter(el => !el.querySelector('mjx-container'))
                   .map(el => el.textContent.slice(0, 80)),
    images: images.length,
    broken_images: images.filter(img => !img.naturalWidth).map(img => img.getAttribute('src')),
    announcement: (document.querySelector('.bd-header-announcement') || {}).innerText || '',
  };
})()
"""


def find_chromium():
    """Path of the Chromium binary (Debian's ``chromium``), or a clear error."""
    for name in ('chromium', 'chromium-browser', 'google-chrome'):
        path = shutil.which(name)
        if path:
            return path
    raise FileNotFoundError('no chromium on PATH: install it (Debian: apt-get install chromium); '
                            'scripts/run_tests.sh does this when it is absent')


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


class Browser:
    """One headless Chromium with one tab, offline; use as a context manager."""

    def __init__(self, width=1280, height=1600, timeout=60):
        self.timeout, self.width = timeout, width
        self.profile = tempfile.mkdtemp(prefix='d2gan-chromium-')
        port = free_port()
        self.process = subprocess.Popen(
            [find_chromium(), '--headless', '--no-sandbox', '--disable-gpu',
             '--no-first-run', '--disable-extensions', '--allow-file-access-from-files',
             '--proxy-server=127.0.0.1:9', '--proxy-bypass-list=<-loopback>',
             f'--window-size={width},{height}', f'--user-data-dir={self.profile}',
             '--remote-debugging-address=127.0.0.1', f'--remote-debugging-port={port}',
             'about:blank'],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.ids = itertools.count(1)
        self.socket = websocket.create_connection(self._page_socket_url(port),
                                                  timeout=timeout, suppress_origin=True)
        self.call('Page.enable')

    def _page_socket_url(self, port):
        deadline = time.time() + self.timeout
        while True:
            try:
                with urllib.request.urlopen(f'http://127.0.0.1:{port}/json/list', timeout=5) as r:
                    pages = [t for t in json.load(r) if t.get('type') == 'page']
                if pages:
                    return pages[0]['webSocketDebuggerUrl']
            except OSError:
                pass
            if self.process.poll() is not None or time.time() > deadline:
                raise RuntimeError(f'chromium did not open its DevTools port {port}')
            time.sleep(0.2)

    def call(self, method, **params):
        """Send one DevTools command and return its result (events before it are dropped)."""
        message_id = next(self.ids)
        self.socket.send(json.dumps({'id': message_id, 'method': method, 'params': params}))
        while True:
            message = json.loads(self.socket.recv())
            if message.get('id') == message_id:
                if 'error' in message:
                    raise RuntimeError(f'{method}: {message["error"]}')
                return message['result']

    def open(self, url):
        """Load a page and wait for its load event."""
        self.call('Page.navigate', url=url)
        deadline = time.time() + self.timeout
        while time.time() < deadline:
            message = json.loads(self.socket.recv())
            if message.get('method') == 'Page.loadEventFired':
                return
        raise TimeoutError(f'{url} did not finish loading in {self.timeout} s')

    def report(self, url):
        """Open ``url``; return what the reader would see: typeset math, loaded images, banner."""
        self.open(url)
        result = self.call('Runtime.evaluate', expression=PAGE_REPORT_JS,
                           awaitPromise=True, returnByValue=True)
        if 'exceptionDetails' in result:
            raise RuntimeError(f'{url}: {result["exceptionDetails"]}')
        return result['result']['value']

    def screenshot(self, url, path, height=None):
        """Open ``url`` (math typeset, images loaded) and save a PNG of its top ``height`` px
        (default: the window), or of the whole page with ``height=0``."""
        self.report(url)
        if height is not None:
            full = self.call('Page.getLayoutMetrics')['cssContentSize']['height']
            self.call('Emulation.setDeviceMetricsOverride', width=self.width,
                      height=int(min(full, 8000) if height == 0 else height),
                      deviceScaleFactor=1, mobile=False)
        data = self.call('Page.captureScreenshot', format='png')['data']
        with open(path, 'wb') as f:
            f.write(base64.b64decode(data))

    def close(self):
        try:
            self.socket.close()
        finally:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
            shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def toc_docnames(book_dir):
    """Every page of the book's ``_toc.yml`` (root first), as Sphinx docnames."""
    with open(os.path.join(book_dir, '_toc.yml'), encoding='utf-8') as f:
        toc = yaml.safe_load(f)

    def walk(entries):
        for entry in entries:
            if 'file' in entry:
                yield entry['file']
            for key in ('chapters', 'sections', 'parts'):
                yield from walk(entry.get(key, []))
    return [toc['root']] + list(walk(toc['parts']))


def page_url(html_dir, docname):
    return 'file://' + os.path.abspath(os.path.join(html_dir, docname + '.html'))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('html_dir', help='the built book, e.g. _build/html')
    parser.add_argument('--screenshot', nargs=2, action='append', default=[],
                        metavar=('DOCNAME', 'PNG'), help='page (no .html) and output file')
    parser.add_argument('--report', action='append', default=[], metavar='DOCNAME')
    args = parser.parse_args()
    with Browser() as browser:
        for docname in args.report:
            print(docname, json.dumps(browser.report(page_url(args.html_dir, docname)),
                                      ensure_ascii=False))
        for docname, png in args.screenshot:
            browser.screenshot(page_url(args.html_dir, docname), png)
            print('wrote', png)


if __name__ == '__main__':
    main()
