/* resnetc._C bindings for the GEMM engine, convolution and linear layers.
 * resnetc.nn.functional._conv validates user-facing arguments with torch-like messages;
 * these functions check everything again (dtype, rank, shape, contiguity) because they trust
 * nothing, then release the GIL around the kernel. */
#include "python/binding.h"

#include "gemm/fma_peak.h"
#include "gemm/gemm.h"
#include "nn/conv.h"
#include "nn/conv_winograd.h"
#include "nn/linear.h"

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
    int ok = rows == 0 || cols == 0 ||
             (PyArray_ISALIGNED(arr) && (cols <= 1 || s1 == 4) && (rows <= 1 || (s0 % 4 == 0 && s0 >= 4 * cols)));
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
    static char *kwlist[] = {"a", "b", "c", "trans_a", "trans_b", "alpha", "beta", "bias", "bias_axis", "naive", NULL};
    PyObject *a_obj, *b_obj, *c_obj, *bias_obj = Py_None;
    int trans_a = 0, trans_b = 0, bias_axis = 0, naive = 0;
    float alpha = 1.0f, beta = 0.0f;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOO|ppffOip:sgemm", kwlist, &a_obj, &b_obj, &c_obj,
                                     &trans_a, &trans_b, &alpha, &beta, &bias_obj, &bias_axis, &naive))
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
    rc_status status = RC_OK;
    Py_BEGIN_ALLOW_THREADS
    if (naive)
        rc_sgemm_naive(trans_a, trans_b, m, n, k, alpha, RC_DATA_F32(a), lda, RC_DATA_F32(b), ldb, beta,
                       RC_DATA_F32(c), ldc, bias, kind);
    else
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

/* ------------------------------------------------------------------ conv2d */

/* Parses the (stride, padding, dilation, groups) tuple common to the conv2d functions and
 * fills the shape's hyper-parameters. */
static int parse_conv_params(PyObject *stride, PyObject *padding, PyObject *dilation, Py_ssize_t groups,
                             rc_conv2d_shape *s) {
    long v[6];
    PyObject *tuples[3] = {stride, padding, dilation};
    const char *names[3] = {"stride", "padding", "dilation"};
    for (int i = 0; i < 3; i++) {
        if (!PyArg_ParseTuple(tuples[i], "ll", &v[2 * i], &v[2 * i + 1])) {
            PyErr_Format(PyExc_TypeError, "conv2d: %s must be a tuple of 2 ints", names[i]);
            return -1;
        }
    }
    if (v[0] <= 0 || v[1] <= 0 || v[2] < 0 || v[3] < 0 || v[4] <= 0 || v[5] <= 0 || groups <= 0) {
        PyErr_Format(PyExc_ValueError,
                     "conv2d: need stride > 0, padding >= 0, dilation > 0, groups > 0; got stride (%ld, %ld), "
                     "padding (%ld, %ld), dilation (%ld, %ld), groups %ld",
                     v[0], v[1], v[2], v[3], v[4], v[5], (long)groups);
        return -1;
    }
    s->stride_h = v[0], s->stride_w = v[1], s->pad_h = v[2], s->pad_w = v[3];
    s->dilation_h = v[4], s->dilation_w = v[5], s->groups = groups;
    return 0;
}

static int init_conv_shape(rc_conv2d_shape *s) {
    if (s->c % s->groups || s->k % s->groups) {
        PyErr_Format(PyExc_ValueError, "conv2d: groups (%ld) must divide in_channels (%ld) and out_channels (%ld)",
                     (long)s->groups, (long)s->c, (long)s->k);
        return -1;
    }
    if (rc_conv2d_shape_init(s) != RC_OK) {
        PyErr_Format(PyExc_ValueError,
                     "conv2d: input (%ld, %ld, %ld, %ld) is too small for kernel (%ld, %ld) with padding (%ld, %ld) "
                     "and dilation (%ld, %ld)",
                     (long)s->n, (long)s->c, (long)s->h, (long)s->w, (long)s->kh, (long)s->kw, (long)s->pad_h,
                     (long)s->pad_w, (long)s->dilation_h, (long)s->dilation_w);
        return -1;
    }
    return 0;
}

static int parse_shape4(PyObject *obj, const char *what, int64_t out[4]) {
    long v[4];
    if (!PyArg_ParseTuple(obj, "llll", &v[0], &v[1], &v[2], &v[3])) {
        PyErr_Format(PyExc_TypeError, "%s must be a tuple of 4 ints", what);
        return -1;
    }
    for (int i = 0; i < 4; i++) {
        if (v[i] < (i == 0 ? 0 : 1)) {
            PyErr_Format(PyExc_ValueError, "%s has a non-positive size: (%ld, %ld, %ld, %ld)", what, v[0], v[1], v[2], v[3]);
            return -1;
        }
        out[i] = v[i];
    }
    return 0;
}

static PyObject *conv2d_forward(PyObject *args, int naive) {
    PyObject *x_obj, *w_obj, *b_obj, *stride, *padding, *dilation;
    Py_ssize_t groups;
    if (!PyArg_ParseTuple(args, "OOOOOOn:conv2d_forward", &x_obj, &w_obj, &b_obj, &stride, &padding, &dilation, &groups))
        return NULL;
    rc_conv2d_shape s = {0};
    if (parse_conv_params(stride, padding, dilation, groups, &s) < 0) return NULL;
    PyArrayObject *x = rc_check_array(x_obj, "conv2d: input", NPY_FLOAT32, 4);
    if (!x) return NULL;
    PyArrayObject *w = rc_check_array(w_obj, "conv2d: weight", NPY_FLOAT32, 4);
    if (!w) return NULL;
    s.n = PyArray_DIM(x, 0), s.c = PyArray_DIM(x, 1), s.h = PyArray_DIM(x, 2), s.w = PyArray_DIM(x, 3);
    s.k = PyArray_DIM(w, 0), s.kh = PyArray_DIM(w, 2), s.kw = PyArray_DIM(w, 3);
    npy_intp wdims[4] = {-1, s.c / (groups > 0 ? groups : 1), -1, -1};
    if (s.c % groups == 0 && rc_check_shape(w, "conv2d: weight", 4, wdims) < 0) return NULL;
    if (init_conv_shape(&s) < 0) return NULL;
    const float *bias = NULL;
    if (b_obj != Py_None) {
        PyArrayObject *b = rc_check_array(b_obj, "conv2d: bias", NPY_FLOAT32, 1);
        npy_intp bdims[1] = {s.k};
        if (!b || rc_check_shape(b, "conv2d: bias", 1, bdims) < 0) return NULL;
        bias = RC_DATA_F32(b);
    }
    npy_intp odims[4] = {s.n, s.k, s.oh, s.ow};
    PyArrayObject *out = rc_new_array(4, odims, NPY_FLOAT32, 0);
    if (!out) return NULL;
    rc_status status = RC_OK;
    Py_BEGIN_ALLOW_THREADS
    if (naive) rc_conv2d_forward_naive(RC_DATA_F32(out), RC_DATA_F32(x), RC_DATA_F32(w), bias, &s);
    else status = rc_conv2d_forward(RC_DATA_F32(out), RC_DATA_F32(x), RC_DATA_F32(w), bias, &s);
    Py_END_ALLOW_THREADS
    if (rc_raise_status(status, "conv2d forward") < 0) {
        Py_DECREF(out);
        return NULL;
    }
    return (PyObject *)out;
}

static PyObject *py_conv2d_forward(PyObject *self, PyObject *args) { return conv2d_forward(args, 0); }

static PyObject *py_conv2d_forward_naive(PyObject *self, PyObject *args) { return conv2d_forward(args, 1); }

/* With the input sizes and parameters of s set: takes K and the kernel size from the weight,
 * completes the shape, and checks weight and grad_output against it. */
static int check_backward_data(PyArrayObject *w, PyArrayObject *dy, rc_conv2d_shape *s) {
    s->k = PyArray_DIM(w, 0), s->kh = PyArray_DIM(w, 2), s->kw = PyArray_DIM(w, 3);
    if (init_conv_shape(s) < 0) return -1;
    npy_intp wdims[4] = {s->k, s->c / s->groups, s->kh, s->kw};
    npy_intp ydims[4] = {s->n, s->k, s->oh, s->ow};
    if (rc_check_shape(w, "conv2d backward: weight", 4, wdims) < 0 ||
        rc_check_shape(dy, "conv2d backward: grad_output", 4, ydims) < 0)
        return -1;
    return 0;
}

static PyObject *py_conv2d_backward_data(PyObject *self, PyObject *args) {
    PyObject *dy_obj, *w_obj, *shape_obj, *stride, *padding, *dilation;
    Py_ssize_t groups;
    if (!PyArg_ParseTuple(args, "OOOOOOn:conv2d_backward_data", &dy_obj, &w_obj, &shape_obj, &stride, &padding,
                          &dilation, &groups))
        return NULL;
    rc_conv2d_shape s = {0};
    int64_t xs[4];
    if (parse_conv_params(stride, padding, dilation, groups, &s) < 0) return NULL;
    if (parse_shape4(shape_obj, "conv2d backward: input_shape", xs) < 0) return NULL;
    PyArrayObject *w = rc_check_array(w_obj, "conv2d backward: weight", NPY_FLOAT32, 4);
    if (!w) return NULL;
    PyArrayObject *dy = rc_check_array(dy_obj, "conv2d backward: grad_output", NPY_FLOAT32, 4);
    if (!dy) return NULL;
    s.n = xs[0], s.c = xs[1], s.h = xs[2], s.w = xs[3];
    if (check_backward_data(w, dy, &s) < 0) return NULL;
    npy_intp xdims[4] = {s.n, s.c, s.h, s.w};
    PyArrayObject *dx = rc_new_array(4, xdims, NPY_FLOAT32, 0);
    if (!dx) return NULL;
    rc_status status;
    Py_BEGIN_ALLOW_THREADS
    status = rc_conv2d_backward_data_overwrite(RC_DATA_F32(dx), RC_DATA_F32(dy), RC_DATA_F32(w), &s);
    Py_END_ALLOW_THREADS
    if (rc_raise_status(status, "conv2d backward (input)") < 0) {
        Py_DECREF(dx);
        return NULL;
    }
    return (PyObject *)dx;
}

/* For tests of both C contracts into a given grad_input: accumulating (other C callers) and
 * overwriting without reading it (what the Python layer uses, into a fresh array). */
static PyObject *py_conv2d_backward_data_into(PyObject *self, PyObject *args) {
    PyObject *dx_obj, *dy_obj, *w_obj, *stride, *padding, *dilation;
    Py_ssize_t groups;
    int overwrite;
    if (!PyArg_ParseTuple(args, "OOOOOOnp:_conv2d_backward_data_into", &dx_obj, &dy_obj, &w_obj, &stride,
                          &padding, &dilation, &groups, &overwrite))
        return NULL;
    rc_conv2d_shape s = {0};
    if (parse_conv_params(stride, padding, dilation, groups, &s) < 0) return NULL;
    PyArrayObject *dx = rc_check_output(dx_obj, "conv2d backward: grad_input", NPY_FLOAT32, 4);
    PyArrayObject *w = dx ? rc_check_array(w_obj, "conv2d backward: weight", NPY_FLOAT32, 4) : NULL;
    PyArrayObject *dy = w ? rc_check_array(dy_obj, "conv2d backward: grad_output", NPY_FLOAT32, 4) : NULL;
    if (!dy) return NULL;
    s.n = PyArray_DIM(dx, 0), s.c = PyArray_DIM(dx, 1), s.h = PyArray_DIM(dx, 2), s.w = PyArray_DIM(dx, 3);
    if (check_backward_data(w, dy, &s) < 0) return NULL;
    rc_status status;
    Py_BEGIN_ALLOW_THREADS
    status = overwrite ? rc_conv2d_backward_data_overwrite(RC_DATA_F32(dx), RC_DATA_F32(dy), RC_DATA_F32(w), &s)
                       : rc_conv2d_backward_data(RC_DATA_F32(dx), RC_DATA_F32(dy), RC_DATA_F32(w), &s);
    Py_END_ALLOW_THREADS
    if (rc_raise_status(status, "conv2d backward (input)") < 0) return NULL;
    Py_RETURN_NONE;
}

/* New zeroed arrays for a weight gradient of shape wdims and, when need_bias, its bias's
 * (bias_len entries; else *db is NULL). Returns -1 with an exception set and nothing left
 * allocated. */
static int new_weight_grads(int nd, const npy_intp *wdims, npy_intp bias_len, int need_bias,
                            PyArrayObject **dw, PyArrayObject **db) {
    *dw = rc_new_array(nd, wdims, NPY_FLOAT32, 1);
    *db = need_bias ? rc_new_array(1, &bias_len, NPY_FLOAT32, 1) : NULL;
    if (!*dw || (need_bias && !*db)) {
        Py_CLEAR(*dw);
        Py_CLEAR(*db);
        return -1;
    }
    return 0;
}

/* (dw, db or None) after the kernel's `status`; on an error, `what`'s exception and both freed. */
static PyObject *weight_grads_result(rc_status status, const char *what, PyArrayObject *dw,
                                     PyArrayObject *db) {
    if (rc_raise_status(status, what) < 0) {
        Py_DECREF(dw);
        Py_XDECREF(db);
        return NULL;
    }
    if (!db) return Py_BuildValue("(NO)", dw, Py_None);
    return Py_BuildValue("(NN)", dw, db);
}

static PyObject *py_conv2d_backward_weight(PyObject *self, PyObject *args) {
    PyObject *dy_obj, *x_obj, *shape_obj, *stride, *padding, *dilation;
    Py_ssize_t groups;
    int need_bias;
    if (!PyArg_ParseTuple(args, "OOOOOOnp:conv2d_backward_weight", &dy_obj, &x_obj, &shape_obj, &stride, &padding,
                          &dilation, &groups, &need_bias))
        return NULL;
    rc_conv2d_shape s = {0};
    int64_t ws[4];
    if (parse_conv_params(stride, padding, dilation, groups, &s) < 0) return NULL;
    if (parse_shape4(shape_obj, "conv2d backward: weight_shape", ws) < 0) return NULL;
    PyArrayObject *x = rc_check_array(x_obj, "conv2d backward: input", NPY_FLOAT32, 4);
    if (!x) return NULL;
    PyArrayObject *dy = rc_check_array(dy_obj, "conv2d backward: grad_output", NPY_FLOAT32, 4);
    if (!dy) return NULL;
    s.n = PyArray_DIM(x, 0), s.c = PyArray_DIM(x, 1), s.h = PyArray_DIM(x, 2), s.w = PyArray_DIM(x, 3);
    s.k = ws[0], s.kh = ws[2], s.kw = ws[3];
    if (init_conv_shape(&s) < 0) return NULL;
    if (ws[1] != s.c / s.groups) {
        PyErr_Format(PyExc_ValueError, "conv2d backward: weight_shape[1] must be %ld (in_channels / groups), got %ld",
                     (long)(s.c / s.groups), (long)ws[1]);
        return NULL;
    }
    npy_intp ydims[4] = {s.n, s.k, s.oh, s.ow};
    if (rc_check_shape(dy, "conv2d backward: grad_output", 4, ydims) < 0) return NULL;
    npy_intp wdims[4] = {ws[0], ws[1], ws[2], ws[3]};
    PyArrayObject *dw, *db;
    if (new_weight_grads(4, wdims, s.k, need_bias, &dw, &db) < 0) return NULL;
    rc_status status;
    Py_BEGIN_ALLOW_THREADS
    status = rc_conv2d_backward_weight(RC_DATA_F32(dw), db ? RC_DATA_F32(db) : NULL, RC_DATA_F32(dy),
                                       RC_DATA_F32(x), &s);
    Py_END_ALLOW_THREADS
    return weight_grads_result(status, "conv2d backward (weight)", dw, db);
}

/* ------------------------------------------------------------------ linear */

static PyObject *py_linear_forward(PyObject *self, PyObject *args) {
    PyObject *x_obj, *w_obj, *b_obj;
    if (!PyArg_ParseTuple(args, "OOO:linear_forward", &x_obj, &w_obj, &b_obj)) return NULL;
    PyArrayObject *x = rc_check_array(x_obj, "linear: input", NPY_FLOAT32, 2);
    if (!x) return NULL;
    PyArrayObject *w = rc_check_array(w_obj, "linear: weight", NPY_FLOAT32, 2);
    if (!w) return NULL;
    int64_t n = PyArray_DIM(x, 0), in_f = PyArray_DIM(x, 1), out_f = PyArray_DIM(w, 0);
    npy_intp wdims[2] = {out_f, in_f};
    if (rc_check_shape(w, "linear: weight", 2, wdims) < 0) return NULL;
    const float *bias = NULL;
    if (b_obj != Py_None) {
        PyArrayObject *b = rc_check_array(b_obj, "linear: bias", NPY_FLOAT32, 1);
        npy_intp bdims[1] = {out_f};
        if (!b || rc_check_shape(b, "linear: bias", 1, bdims) < 0) return NULL;
        bias = RC_DATA_F32(b);
    }
    npy_intp odims[2] = {n, out_f};
    PyArrayObject *out = rc_new_array(2, odims, NPY_FLOAT32, 0);
    if (!out) return NULL;
    rc_status status;
    Py_BEGIN_ALLOW_THREADS
    status = rc_linear_forward(RC_DATA_F32(out), RC_DATA_F32(x), RC_DATA_F32(w), bias, n, in_f, out_f);
    Py_END_ALLOW_THREADS
    if (rc_raise_status(status, "linear forward") < 0) {
        Py_DECREF(out);
        return NULL;
    }
    return (PyObject *)out;
}

static PyObject *py_linear_backward_data(PyObject *self, PyObject *args) {
    PyObject *dy_obj, *w_obj;
    if (!PyArg_ParseTuple(args, "OO:linear_backward_data", &dy_obj, &w_obj)) return NULL;
    PyArrayObject *dy = rc_check_array(dy_obj, "linear backward: grad_output", NPY_FLOAT32, 2);
    if (!dy) return NULL;
    PyArrayObject *w = rc_check_array(w_obj, "linear backward: weight", NPY_FLOAT32, 2);
    if (!w) return NULL;
    int64_t n = PyArray_DIM(dy, 0), out_f = PyArray_DIM(w, 0), in_f = PyArray_DIM(w, 1);
    npy_intp ydims[2] = {n, out_f};
    if (rc_check_shape(dy, "linear backward: grad_output", 2, ydims) < 0) return NULL;
    npy_intp xdims[2] = {n, in_f};
    PyArrayObject *dx = rc_new_array(2, xdims, NPY_FLOAT32, 1);
    if (!dx) return NULL;
    rc_status status;
    Py_BEGIN_ALLOW_THREADS
    status = rc_linear_backward_data(RC_DATA_F32(dx), RC_DATA_F32(dy), RC_DATA_F32(w), n, in_f, out_f);
    Py_END_ALLOW_THREADS
    if (rc_raise_status(status, "linear backward (input)") < 0) {
        Py_DECREF(dx);
        return NULL;
    }
    return (PyObject *)dx;
}

static PyObject *py_linear_backward_weight(PyObject *self, PyObject *args) {
    PyObject *dy_obj, *x_obj;
    int need_bias;
    if (!PyArg_ParseTuple(args, "OOp:linear_backward_weight", &dy_obj, &x_obj, &need_bias)) return NULL;
    PyArrayObject *dy = rc_check_array(dy_obj, "linear backward: grad_output", NPY_FLOAT32, 2);
    if (!dy) return NULL;
    PyArrayObject *x = rc_check_array(x_obj, "linear backward: input", NPY_FLOAT32, 2);
    if (!x) return NULL;
    int64_t n = PyArray_DIM(x, 0), in_f = PyArray_DIM(x, 1), out_f = PyArray_DIM(dy, 1);
    npy_intp ydims[2] = {n, out_f};
    if (rc_check_shape(dy, "linear backward: grad_output", 2, ydims) < 0) return NULL;
    npy_intp wdims[2] = {out_f, in_f};
    PyArrayObject *dw, *db;
    if (new_weight_grads(2, wdims, out_f, need_bias, &dw, &db) < 0) return NULL;
    rc_status status;
    Py_BEGIN_ALLOW_THREADS
    status = rc_linear_backward_weight(RC_DATA_F32(dw), db ? RC_DATA_F32(db) : NULL, RC_DATA_F32(dy),
                                       RC_DATA_F32(x), n, in_f, out_f);
    Py_END_ALLOW_THREADS
    return weight_grads_result(status, "linear backward (weight)", dw, db);
}

static PyObject *py_fma_peak(PyObject *self, PyObject *arg) {
    long long iters = PyLong_AsLongLong(arg);
    if (iters == -1 && PyErr_Occurred()) return NULL;
    if (iters <= 0) {
        PyErr_Format(PyExc_ValueError, "fma_peak: iterations must be positive, got %lld", iters);
        return NULL;
    }
    double gflops;
    Py_BEGIN_ALLOW_THREADS
    gflops = rc_fma_peak_gflops((int64_t)iters);
    Py_END_ALLOW_THREADS
    return PyFloat_FromDouble(gflops);
}

static PyObject *py_sgemm_force_config(PyObject *self, PyObject *arg) {
    const char *name = NULL;
    if (arg != Py_None && !(name = PyUnicode_AsUTF8(arg))) return NULL;
    if (rc_sgemm_force_config(name) < 0) {
        PyErr_Format(PyExc_ValueError,
                     "sgemm: unknown or unsupported kernel '%s': expected 'generic_4x8', 'generic_14x32', "
                     "'avx2_6x16' or 'avx512_14x32' (within the active ISA)", name);
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *py_conv_winograd(PyObject *self, PyObject *arg) {
    int on = PyObject_IsTrue(arg);
    if (on < 0) return NULL;
    return PyBool_FromLong(rc_conv2d_winograd_set_enabled(on));
}

static PyObject *py_release_workspace(PyObject *self, PyObject *noargs) {
    Py_BEGIN_ALLOW_THREADS
    rc_workspace_release_all();
    Py_END_ALLOW_THREADS
    Py_RETURN_NONE;
}

PyMethodDef rc_conv_methods[] = {
    {"release_workspace", py_release_workspace, METH_NOARGS,
     "Frees the GEMM/conv scratch buffers (packing panels, im2col columns) of this thread and its "
     "OpenMP team; they grow back on the next call."},
    {"_sgemm_force_config", py_sgemm_force_config, METH_O,
     "For tests: use the named GEMM kernel config whatever the ISA, or None to follow the ISA."},
    {"_conv_winograd", py_conv_winograd, METH_O,
     "For tests: enable (True) or disable (False) the Winograd path of 3x3 stride-1 convolutions; "
     "returns the previous setting."},
    {"fma_peak", py_fma_peak, METH_O, "fma_peak(iterations) -> GFLOP/s of register-only FMA loops on all threads."},
    {"sgemm", (PyCFunction)(void (*)(void))py_sgemm, METH_VARARGS | METH_KEYWORDS,
     "sgemm(a, b, c, trans_a=False, trans_b=False, alpha=1, beta=0, bias=None, bias_axis=0, naive=False) -> c\n"
     "c = alpha * op(a) @ op(b) + beta * c (+ bias per row or column), in place; returns c.\n"
     "naive=True runs the triple-loop reference instead of the engine."},
    {"sgemm_config", py_sgemm_config, METH_NOARGS, "The microkernel and blocking of the active ISA."},
    {"conv2d_forward", py_conv2d_forward, METH_VARARGS,
     "conv2d_forward(input, weight, bias|None, (sh, sw), (ph, pw), (dh, dw), groups) -> output"},
    {"conv2d_forward_naive", py_conv2d_forward_naive, METH_VARARGS,
     "The direct seven-loop reference of conv2d_forward, same arguments."},
    {"conv2d_backward_data", py_conv2d_backward_data, METH_VARARGS,
     "conv2d_backward_data(grad_output, weight, input_shape, stride, padding, dilation, groups) -> grad_input"},
    {"_conv2d_backward_data_into", py_conv2d_backward_data_into, METH_VARARGS,
     "For tests: _conv2d_backward_data_into(grad_input, grad_output, weight, stride, padding, dilation, groups, "
     "overwrite): accumulates into grad_input, or overwrites it without reading it."},
    {"conv2d_backward_weight", py_conv2d_backward_weight, METH_VARARGS,
     "conv2d_backward_weight(grad_output, input, weight_shape, stride, padding, dilation, groups, need_bias)"
     " -> (grad_weight, grad_bias|None)"},
    {"linear_forward", py_linear_forward, METH_VARARGS, "linear_forward(input2d, weight, bias|None) -> output"},
    {"linear_backward_data", py_linear_backward_data, METH_VARARGS,
     "linear_backward_data(grad_output, weight) -> grad_input"},
    {"linear_backward_weight", py_linear_backward_weight, METH_VARARGS,
     "linear_backward_weight(grad_output, input, need_bias) -> (grad_weight, grad_bias|None)"},
    {NULL, NULL, 0, NULL},
};
