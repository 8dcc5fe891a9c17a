"""Errors raised by the dataset loaders, each naming the file or folder at fault."""


class DatasetNotFoundError(FileNotFoundError):
    """A dataset is not on disk: says where it was expected and how to get it.

    Parameters
    ----------
    dataset : str
        Human-readable dataset name, e.g. ``'Fashion-MNIST'``.
    path : str or os.PathLike
        The folder (or file) where the dataset was looked for.
    how : str
        How to get it: the download function to call, the URL, or manual steps.
    """

    def __init__(self, dataset, path, how):
        self.dataset, self.path, self.how = dataset, str(path), how
        super().__init__(f'{dataset} not found: expected it in {self.path}. {how}')
        self.filename = self.path

    def __str__(self):
        return self.args[0]

    def __reduce__(self):  # keep it picklable (worker processes re-raise in the parent)
        return type(self), (self.dataset, self.path, self.how)


class DatasetFormatError(ValueError):
    """A dataset file exists but is corrupt, truncated or not in the expected format."""


class ChecksumError(ValueError):
    """A downloaded file does not have the SHA-1 sum the data hub lists for it."""
