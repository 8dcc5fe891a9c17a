"""Where datasets live on disk, and a SHA-1 checked download for machines with a network.

``DATA_HUB`` maps a file name (its path under the data root) to ``(url, sha1)``, as in d2l.
:func:`download` re-uses a file that is already there with the right SHA-1, otherwise fetches
it with ``urllib``, checks the SHA-1 while streaming, and only then moves it into place, so
an interrupted or corrupt download never leaves a file that looks valid.
"""
import hashlib
import json
import os
import sys
import tempfile
import tarfile
import urllib.request
import zipfile

from .errors import ChecksumError, DatasetFormatError

#: MXNet Gluon's public dataset mirror; the SHA-1 sums below are the ones Gluon publishes
#: for these files (``mxnet.gluon.data.vision.MNIST`` / ``FashionMNIST``). The MNIST sums
#: are also those of the original files at http://yann.lecun.com/exdb/mnist/.
GLUON_REPO = 'https://apache-mxnet.s3-accelerate.dualstack.amazonaws.com/gluon/dataset/'

DATA_HUB = {
    'mnist/train-images-idx3-ubyte.gz': (
        GLUON_REPO + 'mnist/train-images-idx3-ubyte.gz',
        '6c95f4b05d2bf285e1bfb0e7960c31bd3b3f8a7d'),
    'mnist/train-labels-idx1-ubyte.gz': (
        GLUON_REPO + 'mnist/train-labels-idx1-ubyte.gz',
        '2a80914081dc54586dbdf242f9805a6b8d2a15fc'),
    'mnist/t10k-images-idx3-ubyte.gz': (
        GLUON_REPO + 'mnist/t10k-images-idx3-ubyte.gz',
        'c3a25af1f52dad7f726cce8cacb138654b760d48'),
    'mnist/t10k-labels-idx1-ubyte.gz': (
        GLUON_REPO + 'mnist/t10k-labels-idx1-ubyte.gz',
        '763e7fa3757d93b0cdec073cef058b2004252c17'),
    'fashion-mnist/train-images-idx3-ubyte.gz': (
        GLUON_REPO + 'fashion-mnist/train-images-idx3-ubyte.gz',
        '0cf37b0d40ed5169c6b3aba31069a9770ac9043d'),
    'fashion-mnist/train-labels-idx1-ubyte.gz': (
        GLUON_REPO + 'fashion-mnist/train-labels-idx1-ubyte.gz',
        '236021d52f1e40852b06a4c3008d8de8aef1e40b'),
    'fashion-mnist/t10k-images-idx3-ubyte.gz': (
        GLUON_REPO + 'fashion-mnist/t10k-images-idx3-ubyte.gz',
        '626ed6a7c06dd17c0eec72fa3be1740f146a2863'),
    'fashion-mnist/t10k-labels-idx1-ubyte.gz': (
        GLUON_REPO + 'fashion-mnist/t10k-labels-idx1-ubyte.gz',
        '17f9ab60e7257a1620f4ad76bbbaf857c3920701'),
}

_CHUNK = 1 << 20


def data_root(root=None):
    """The data folder: ``root`` if given, else env ``D2GAN_DATA``, else ``data/`` of the repo."""
    if root is None:
        root = os.environ.get('D2GAN_DATA') or os.path.join(
            os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), 'data')
    return os.path.abspath(os.path.expanduser(os.fspath(root)))


def file_digest(path, algorithm='sha1'):
    """Hex digest (``hashlib`` algorithm ``algorithm``) of a file, read in chunks."""
    h = hashlib.new(algorithm)
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(_CHUNK), b''):
            h.update(chunk)
    return h.hexdigest()


def sha1_of(path):
    """Hex SHA-1 of a file (the data hub's checksums)."""
    return file_digest(path, 'sha1')


def fetch(url, dest, sha1=None, verbose=True, mismatch='the file was discarded'):
    """Stream ``url`` to ``dest`` atomically (temporary file + ``os.replace``); return its SHA-1.

    With ``sha1`` given, a mismatch raises :class:`ChecksumError` (``mismatch`` ends its
    message) and nothing is written at ``dest``.
    """
    folder = os.path.dirname(os.path.abspath(dest))
    os.makedirs(folder, exist_ok=True)
    if verbose:
        print(f'Downloading {url} -> {dest}', file=sys.stderr)
    fd, part = tempfile.mkstemp(prefix=os.path.basename(dest) + '.', suffix='.part', dir=folder)
    try:
        h = hashlib.sha1()
        with os.fdopen(fd, 'wb') as out, urllib.request.urlopen(url, timeout=60) as response:
            for chunk in iter(lambda: response.read(_CHUNK), b''):
                h.update(chunk)
                out.write(chunk)
        if sha1 is not None and h.hexdigest() != sha1:
            raise ChecksumError(f'SHA-1 mismatch for {url}: got {h.hexdigest()}, expected '
                                f'{sha1} {mismatch}')
        os.replace(part, dest)
    finally:
        if os.path.exists(part):
            os.remove(part)
    return h.hexdigest()


def download(name, root=None, url=None, verbose=True):
    """Fetch ``DATA_HUB[name]`` into ``<root>/<name>`` and return its path.

    A file already there with the listed SHA-1 is re-used. ``url`` overrides the hub's URL
    (a mirror, or ``file://`` in tests); the SHA-1 is checked either way. On a checksum
    mismatch nothing is left at the destination and :class:`ChecksumError` is raised.
    """
    if name not in DATA_HUB:
        raise KeyError(f'{name!r} is not in DATA_HUB; known files: ' + ', '.join(sorted(DATA_HUB)))
    hub_url, sha1 = DATA_HUB[name]
    url = url or hub_url
    dest = os.path.join(data_root(root), *name.split('/'))
    if os.path.isfile(dest) and sha1_of(dest) == sha1:
        return dest
    fetch(url, dest, sha1, verbose=verbose,
          mismatch=f'(DATA_HUB[{name!r}]); the file was discarded, {dest} not written')
    return dest


def archive_members(archive):
    """Member names of a .zip or .tar(.gz) file; :class:`DatasetFormatError` naming the file
    if it is neither (an HTML error page saved by a proxy or a broken mirror, a cut download)."""
    try:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as pack:
                if pack.testzip() is not None:
                    raise zipfile.BadZipFile('a damaged member')
                return pack.namelist()
        with tarfile.open(archive) as pack:
            return [m.name for m in pack.getmembers()]
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, OSError) as e:
        with open(archive, 'rb') as f:
            head = f.read(64).lstrip().lower()
        what = 'an HTML page, not an archive' if head.startswith((b'<!doctype', b'<html')) \
            else f'not a readable .zip or .tar.gz ({e})'
        raise DatasetFormatError(f'{archive} is {what}') from e


def fetch_archive(url, archive, root, verbose=True):
    """Download ``url`` to ``archive`` (unless present) and unpack it (.tar.gz or .zip) in ``root``.

    For datasets without published sums (pix2pix, CycleGAN): a download is first checked to be
    a readable archive -- if not (an HTML error page, a cut transfer) it is deleted and
    :class:`DatasetFormatError` names it, so a retry starts clean. Only then is its SHA-1
    written to ``<archive>.sha1`` (trust on first use), and every later copy must match it,
    else :class:`ChecksumError` is raised (a new download with other bytes is discarded).
    Members that would unpack outside ``root`` are refused before anything is written.
    """
    root = os.path.abspath(root)
    os.makedirs(root, exist_ok=True)
    record = archive + '.sha1'
    expected = None
    if os.path.isfile(record):
        with open(record) as f:
            expected = f.read().strip()
    if not os.path.isfile(archive):
        fetch(url, archive, expected, verbose=verbose,
              mismatch=f'(recorded by the first download in {record}); discarded')
    digest = sha1_of(archive)
    if expected is not None and digest != expected:
        raise ChecksumError(f'{archive} has SHA-1 {digest}, but {record} says {expected}: '
                            'delete both files to download again')
    try:
        names = archive_members(archive)
    except DatasetFormatError as e:
        if expected is None:          # never trusted: remove it so that a retry downloads again
            os.remove(archive)
            raise DatasetFormatError(f'{e} (source: {url}); removed it -- '
                                     'try again or use another mirror (url=...)') from e
        raise
    if expected is None:
        with open(record, 'w') as f:
            f.write(digest + '\n')
        if verbose:
            print(f'recorded SHA-1 {digest} of {archive} in {record}', file=sys.stderr)
    for name in names:
        target = os.path.abspath(os.path.join(root, name))
        if not target.startswith(root + os.sep):
            raise DatasetFormatError(f'{archive}: member {name!r} would unpack '
                                     f'outside {root}')
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as pack:
            pack.extractall(root)
    else:
        with tarfile.open(archive) as pack:
            pack.extractall(root)
    return root


def generated_is_current(root, manifest, overwrite=False):
    """True if ``root`` holds a complete generated dataset described by ``manifest`` (a
    JSON-able dict of the generator's settings and version).

    Otherwise the stale ``manifest.json`` is removed *before* the caller rewrites the files,
    so an interrupted rewrite never looks complete; the caller writes the new manifest last
    with :func:`write_manifest`.
    """
    path = os.path.join(root, 'manifest.json')
    if not overwrite and os.path.isfile(path):
        with open(path) as f:
            if json.load(f) == json.loads(json.dumps(manifest)):  # tuples -> lists
                return True
    if os.path.exists(path):
        os.remove(path)
    return False


def recipe_manifest(recipe):
    """The manifest of a dataset generated from ``recipe`` (a JSON-able dict): the recipe and
    a short hash of it, for :func:`generated_is_current` / :func:`write_manifest`."""
    digest = hashlib.sha1(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:12]
    return dict(recipe=recipe, recipe_hash=digest)


def write_manifest(root, manifest):
    """Mark the generated dataset in ``root`` complete (the last file a generator writes)."""
    with open(os.path.join(root, 'manifest.json'), 'w') as f:
        json.dump(manifest, f, indent=1)

