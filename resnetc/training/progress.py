"""Progress bars: tqdm when installed, quiet when output is not a terminal."""
import sys


class _Silent:
    """Iterates without drawing; accepts tqdm's calls."""

    def __init__(self, iterable):
        self.iterable = iterable

    def __iter__(self):
        return iter(self.iterable)

    def __len__(self):
        return len(self.iterable)

    def set_postfix(self, **kwargs):
        pass


def progress_bar(iterable, desc, leave=True):
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return _Silent(iterable)
    # disable=None: tqdm draws only on a terminal (CI logs and pipes stay clean).
    return tqdm(iterable, desc=desc, leave=leave, dynamic_ncols=True, disable=None if sys.stderr.isatty() else True)
