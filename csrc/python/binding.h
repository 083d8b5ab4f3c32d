/* Shared by every file of the binding layer: the only place Python and NumPy headers enter.
 * Each bind_<area>.c exports one method table that module.c adds to resnetc._C. */
#ifndef RESNETC_PYTHON_BINDING_H
#define RESNETC_PYTHON_BINDING_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#define PY_ARRAY_UNIQUE_SYMBOL resnetc_ARRAY_API
#ifndef RESNETC_BINDING_IMPORTS_ARRAY
#define NO_IMPORT_ARRAY
#endif
#include <numpy/arrayobject.h>

#include "core/status.h"

extern PyMethodDef rc_core_methods[];
extern PyMethodDef rc_conv_methods[];
extern PyMethodDef rc_nn_methods[];
extern PyMethodDef rc_block_methods[];
extern PyMethodDef rc_optim_methods[];
extern PyMethodDef rc_image_methods[];

/* Returns `obj` as a C-contiguous array of `dtype` with `ndim` dims (ndim < 0: any), or sets a
 * TypeError/ValueError naming `what` (e.g. "conv2d: input") and returns NULL.
 * The result is a borrowed reference to obj itself: no copy is ever made. */
PyArrayObject *rc_check_array(PyObject *obj, const char *what, int dtype, int ndim);

/* Like rc_check_array, and also checks that the array is writeable. */
PyArrayObject *rc_check_output(PyObject *obj, const char *what, int dtype, int ndim);

/* Checks that `arr` has exactly `ndim` dims equal to `dims` (-1 = any size), naming `what`. */
int rc_check_shape(PyArrayObject *arr, const char *what, int ndim, const npy_intp *dims);

/* A new C-contiguous array, uninitialised (zeroed when `zero`); NULL with MemoryError set. */
PyArrayObject *rc_new_array(int ndim, const npy_intp *dims, int dtype, int zero);

/* Turns a kernel's status into a Python exception with `context` in its message;
 * returns 0 for RC_OK and -1 otherwise. */
int rc_raise_status(rc_status status, const char *context);

#define RC_DATA_F32(arr) ((float *)PyArray_DATA(arr))

#endif
