#include "python/binding.h"

static const char *dtype_name(int dtype) {
    PyArray_Descr *d = PyArray_DescrFromType(dtype);
    const char *name = d ? d->typeobj->tp_name : "?";
    Py_XDECREF(d);
    return name;
}

PyArrayObject *rc_check_array(PyObject *obj, const char *what, int dtype, int ndim) {
    if (!PyArray_Check(obj)) {
        PyErr_Format(PyExc_TypeError, "%s must be a numpy.ndarray, got %s", what, Py_TYPE(obj)->tp_name);
        return NULL;
    }
    PyArrayObject *arr = (PyArrayObject *)obj;
    if (PyArray_TYPE(arr) != dtype) {
        PyErr_Format(PyExc_TypeError, "%s must have dtype %s, got %s", what, dtype_name(dtype),
                     PyArray_DESCR(arr)->typeobj->tp_name);
        return NULL;
    }
    if (ndim >= 0 && PyArray_NDIM(arr) != ndim) {
        PyErr_Format(PyExc_ValueError, "%s must have %d dimensions, got %d", what, ndim, PyArray_NDIM(arr));
        return NULL;
    }
    if (!PyArray_IS_C_CONTIGUOUS(arr) || !PyArray_ISALIGNED(arr)) {
        PyErr_Format(PyExc_ValueError, "%s must be C-contiguous and aligned", what);
        return NULL;
    }
    return arr;
}

PyArrayObject *rc_check_output(PyObject *obj, const char *what, int dtype, int ndim) {
    PyArrayObject *arr = rc_check_array(obj, what, dtype, ndim);
    if (arr && !PyArray_ISWRITEABLE(arr)) {
        PyErr_Format(PyExc_ValueError, "%s must be writeable", what);
        return NULL;
    }
    return arr;
}

int rc_check_shape(PyArrayObject *arr, const char *what, int ndim, const npy_intp *dims) {
    int ok = PyArray_NDIM(arr) == ndim;
    for (int i = 0; ok && i < ndim; i++)
        if (dims[i] >= 0 && PyArray_DIM(arr, i) != dims[i]) ok = 0;
    if (ok) return 0;
    char expected[256] = "(", got[256] = "(";
    for (int i = 0; i < ndim; i++) {
        char part[32];
        if (dims[i] >= 0) snprintf(part, sizeof part, "%s%ld", i ? ", " : "", (long)dims[i]);
        else snprintf(part, sizeof part, "%s*", i ? ", " : "");
        strncat(expected, part, sizeof expected - strlen(expected) - 2);
    }
    for (int i = 0; i < PyArray_NDIM(arr); i++) {
        char part[32];
        snprintf(part, sizeof part, "%s%ld", i ? ", " : "", (long)PyArray_DIM(arr, i));
        strncat(got, part, sizeof got - strlen(got) - 2);
    }
    strcat(expected, ")");
    strcat(got, ")");
    PyErr_Format(PyExc_ValueError, "%s must have shape %s, got %s", what, expected, got);
    return -1;
}

PyArrayObject *rc_new_array(int ndim, const npy_intp *dims, int dtype, int zero) {
    PyObject *arr = zero ? PyArray_ZEROS(ndim, (npy_intp *)dims, dtype, 0)
                         : PyArray_EMPTY(ndim, (npy_intp *)dims, dtype, 0);
    return (PyArrayObject *)arr;
}

int rc_raise_status(rc_status status, const char *context) {
    switch (status) {
    case RC_OK: return 0;
    case RC_ERR_NOMEM: PyErr_Format(PyExc_MemoryError, "%s: out of memory", context); break;
    case RC_ERR_ARGUMENT: PyErr_Format(PyExc_ValueError, "%s: invalid arguments", context); break;
    case RC_ERR_CORRUPT: PyErr_Format(PyExc_ValueError, "%s: corrupt or malformed data", context); break;
    case RC_ERR_UNSUPPORTED: PyErr_Format(PyExc_NotImplementedError, "%s: not supported", context); break;
    default: PyErr_Format(PyExc_RuntimeError, "%s: unknown error %d", context, (int)status); break;
    }
    return -1;
}
