"""Tensor printing in torch's style: floats with 4 decimals ("2.0000"), "2." when every value is
an integer, scientific notation when magnitudes span more than 1000x (or pass 1e8, or go below
1e-4), one width per tensor; torch's 1000-element summary threshold and 80-column lines."""
import numpy as np

PRECISION, THRESHOLD, EDGE_ITEMS, LINE_WIDTH = 4, 1000, 3, 80


def _float_formatter(values):
    """torch's _Formatter for a float array: returns value -> right-justified string."""
    finite = values[np.isfinite(values)]
    nonzero = np.abs(finite[finite != 0]).astype(np.float64)
    int_mode, sci_mode = True, False
    if nonzero.size:
        int_mode = bool(np.all(finite == np.ceil(finite)))
        low, high = nonzero.min(), nonzero.max()
        sci_mode = high / low > 1000.0 or high > 1.0e8 or low < 1.0e-4

    def text(value):
        if sci_mode:
            return f"{value:.{PRECISION}e}"
        if int_mode:
            return f"{value:.0f}" + ("" if np.isinf(value) or np.isnan(value) else ".")
        return f"{value:.{PRECISION}f}"

    width = max([len(text(v)) for v in finite[finite != 0]] or [1])  # as torch: nan/inf/0 don't widen
    return lambda value: text(value).rjust(width)


def tensor_body(array):
    """The values part of repr(tensor), as torch lays it out after ``tensor(``."""
    summarize = array.size > THRESHOLD
    formatter = None
    if array.dtype.kind == "f" and array.size:
        shown = array
        if summarize and array.ndim:  # the formatter looks at the printed values only, as torch's
            index = tuple(np.r_[0:min(EDGE_ITEMS, n), max(n - EDGE_ITEMS, 0):n] if n > 2 * EDGE_ITEMS else slice(None)
                          for n in array.shape)
            shown = array[np.ix_(*[np.arange(n)[i] for n, i in zip(array.shape, index)])]
        formatter = {"float_kind": _float_formatter(shown)}
    # NumPy counts a line's trailing comma against the width, torch does not: one more column
    body = np.array2string(array, separator=", ", threshold=THRESHOLD, edgeitems=EDGE_ITEMS,
                           max_line_width=LINE_WIDTH + 1, prefix="tensor(", formatter=formatter)
    return body.replace(", ...,", ",  ...,")  # torch pads the ellipsis of a summarized row


def shows_dtype(dtype):
    """torch omits the dtype for its default float, int64 and bool."""
    return dtype not in (np.float32, np.int64, np.bool_)
