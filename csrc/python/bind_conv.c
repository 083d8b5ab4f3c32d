/* resnetc._C bindings for the GEMM engine, convolution and linear layers.
 * resnetc.nn.functional._conv validates user-facing arguments with torch-like messages;
 * these functions check everything again (dtype, rank, shape, contiguity) because they trust
 * nothing, then release the GIL around the kernel. */
#include "python/binding.h"

#include "gemm/gemm.h"

/* A float32 2-D array whose rows are contiguous (unit inner stride) and evenly spaced:
 * a row-major matrix with a leading dimension, e.g. a column slice of a bigger array. */
static PyArrayObject *check_matrix(PyObject *obj, const char *what, int writeable, int64_t *ld) {
    if (!PyArray_Check(obj)) {
        PyErr_Format(PyExc_TypeError, "%s must be a numpy.ndarray, got %s", what, Py_TYPE(obj)->tp_name);
        return NULL;
    }
    PyArrayObject *arr = (PyArrayObject *)obj;
    if (PyArray_TYPE(arr) != NPY_FLOAT32) {
        PyErr_Format(PyExc_TypeError, "%s must have dtype float32, got %s", what,
                     PyArray_DESCR(arr)->typeobj->tp_name);
        return NULL;
    }
    if (PyArray_NDIM(arr) != 2) {
        PyErr_Format(PyExc_ValueError, "%s must have 2 dimensions, got %d", what, PyArray_NDIM(arr));
        return NULL;
    }
    npy_intp rows = PyArray_DIM(arr, 0), cols = PyArray_DIM(arr, 1);
    npy_intp s0 = PyArray_STRIDE(arr, 0), s1 = PyArray_STRIDE(arr, 1);
    int ok = PyArray_ISALIGNED(arr) && (cols <= 1 || s1 == 4) && (rows <= 1 || (s0 % 4 == 0 && s0 >= 4 * cols));
    if (!ok) {
        PyErr_Format(PyExc_ValueError, "%s must have contiguous rows (strides (4*ld, 4) with ld >= %ld), got strides (%ld, %ld)",
                     what, (long)cols, (long)s0, (long)s1);
        return NULL;
    }
    if (writeable && !PyArray_ISWRITEABLE(arr)) {
        PyErr_Format(PyExc_ValueError, "%s must be writeable", what);
        return NULL;
    }
    *ld = rows <= 1 ? (cols > 0 ? cols : 1) : s0 / 4;
    if (*ld < 1) *ld = 1;
    return arr;
}

static PyObject *py_sgemm(PyObject *self, PyObject *args, PyObject *kwargs) {
    static char *kwlist[] = {"a", "b", "c", "trans_a", "trans_b", "alpha", "beta", "bias", "bias_axis", NULL};
    PyObject *a_obj, *b_obj, *c_obj, *bias_obj = Py_None;
    int trans_a = 0, trans_b = 0, bias_axis = 0;
    float alpha = 1.0f, beta = 0.0f;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOO|ppffOi:sgemm", kwlist, &a_obj, &b_obj, &c_obj,
                                     &trans_a, &trans_b, &alpha, &beta, &bias_obj, &bias_axis))
        return NULL;
    int64_t lda, ldb, ldc;
    PyArrayObject *a = check_matrix(a_obj, "sgemm: a", 0, &lda);
    if (!a) return NULL;
    PyArrayObject *b = check_matrix(b_obj, "sgemm: b", 0, &ldb);
    if (!b) return NULL;
    PyArrayObject *c = check_matrix(c_obj, "sgemm: c", 1, &ldc);
    if (!c) return NULL;
    int64_t m = PyArray_DIM(a, trans_a ? 1 : 0), k = PyArray_DIM(a, trans_a ? 0 : 1);
    int64_t kb = PyArray_DIM(b, trans_b ? 1 : 0), n = PyArray_DIM(b, trans_b ? 0 : 1);
    if (kb != k) {
        PyErr_Format(PyExc_ValueError, "sgemm: op(a) is %ld x %ld but op(b) is %ld x %ld", (long)m, (long)k,
                     (long)kb, (long)n);
        return NULL;
    }
    npy_intp cdims[2] = {m, n};
    if (rc_check_shape(c, "sgemm: c", 2, cdims) < 0) return NULL;
    const float *bias = NULL;
    rc_gemm_bias kind = RC_GEMM_NO_BIAS;
    if (bias_obj != Py_None) {
        if (bias_axis != 0 && bias_axis != 1) {
            PyErr_Format(PyExc_ValueError, "sgemm: bias_axis must be 0 (one per row) or 1 (one per column), got %d", bias_axis);
            return NULL;
        }
        PyArrayObject *bias_arr = rc_check_array(bias_obj, "sgemm: bias", NPY_FLOAT32, 1);
        if (!bias_arr) return NULL;
        npy_intp bdims[1] = {bias_axis == 0 ? m : n};
        if (rc_check_shape(bias_arr, "sgemm: bias", 1, bdims) < 0) return NULL;
        bias = RC_DATA_F32(bias_arr);
        kind = bias_axis == 0 ? RC_GEMM_BIAS_ROW : RC_GEMM_BIAS_COL;
    }
    rc_status status;
    Py_BEGIN_ALLOW_THREADS
    status = rc_sgemm(trans_a, trans_b, m, n, k, alpha, RC_DATA_F32(a), lda, RC_DATA_F32(b), ldb, beta,
                      RC_DATA_F32(c), ldc, bias, kind);
    Py_END_ALLOW_THREADS
    if (rc_raise_status(status, "sgemm") < 0) return NULL;
    Py_INCREF(c_obj);
    return c_obj;
}

static PyObject *py_sgemm_config(PyObject *self, PyObject *noargs) {
    const rc_sgemm_config *cfg = rc_sgemm_active_config();
    return Py_BuildValue("{s:s,s:i,s:i,s:i,s:i,s:i}", "kernel", cfg->name, "mr", cfg->mr, "nr", cfg->nr,
                         "mc", cfg->mc, "kc", cfg->kc, "nc", cfg->nc);
}

PyMethodDef rc_conv_methods[] = {
    {"sgemm", (PyCFunction)(void (*)(void))py_sgemm, METH_VARARGS | METH_KEYWORDS,
     "sgemm(a, b, c, trans_a=False, trans_b=False, alpha=1, beta=0, bias=None, bias_axis=0) -> c\n"
     "c = alpha * op(a) @ op(b) + beta * c (+ bias per row or column), in place; returns c."},
    {"sgemm_config", py_sgemm_config, METH_NOARGS, "The microkernel and blocking of the active ISA."},
    {NULL, NULL, 0, NULL},
};
