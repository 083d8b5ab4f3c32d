/* Binding of csrc/nn's batchnorm, activation, pooling and loss kernels (resnetc._C.*).
 * Each function checks its arrays, allocates its outputs, and calls the kernel without the GIL.
 * The torch-level argument checks (and messages) live in resnetc/nn/functional; what is
 * checked here is what keeps the kernels inside their buffers. */
#include "python/binding.h"

#include "nn/activation.h"
#include "nn/batchnorm.h"
#include "nn/loss.h"
#include "nn/pool.h"

/* `obj` as a float32 array of `dims`, or NULL without error when obj is None and `optional`. */
static int get_vector(PyObject *obj, const char *what, int64_t n, int optional, PyArrayObject **out) {
    *out = NULL;
    if (obj == Py_None && optional) return 0;
    PyArrayObject *arr = rc_check_array(obj, what, NPY_FLOAT32, 1);
    if (!arr) return -1;
    npy_intp dims[1] = {(npy_intp)n};
    if (rc_check_shape(arr, what, 1, dims) < 0) return -1;
    *out = arr;
    return 0;
}

static const float *data_or_null(PyArrayObject *arr) { return arr ? RC_DATA_F32(arr) : NULL; }

/* An (N, C, *) float32 array split into N, C and the product of the rest. */
static PyArrayObject *get_nc_rest(PyObject *obj, const char *what, int64_t *N, int64_t *C, int64_t *HW) {
    PyArrayObject *arr = rc_check_array(obj, what, NPY_FLOAT32, -1);
    if (!arr) return NULL;
    if (PyArray_NDIM(arr) < 2) {
        PyErr_Format(PyExc_ValueError, "%s must have at least 2 dimensions (N, C, ...), got %d", what,
                     PyArray_NDIM(arr));
        return NULL;
    }
    *N = PyArray_DIM(arr, 0);
    *C = PyArray_DIM(arr, 1);
    *HW = 1;
    for (int i = 2; i < PyArray_NDIM(arr); i++) *HW *= PyArray_DIM(arr, i);
    return arr;
}

static int same_shape(PyArrayObject *arr, PyArrayObject *like, const char *what) {
    return rc_check_shape(arr, what, PyArray_NDIM(like), PyArray_DIMS(like));
}

/* ------------------------------------------------------------------ batchnorm */
static PyObject *py_batch_norm_stats(PyObject *self, PyObject *args) {
    PyObject *x_obj;
    if (!PyArg_ParseTuple(args, "O", &x_obj)) return NULL;
    int64_t N, C, HW;
    PyArrayObject *x = get_nc_rest(x_obj, "batch_norm_stats: input", &N, &C, &HW);
    if (!x) return NULL;
    npy_intp dims[1] = {(npy_intp)C};
    PyArrayObject *mean = rc_new_array(1, dims, NPY_FLOAT32, 0);
    PyArrayObject *var = rc_new_array(1, dims, NPY_FLOAT32, 0);
    if (!mean || !var) goto fail;
    Py_BEGIN_ALLOW_THREADS
    rc_batchnorm_stats(RC_DATA_F32(mean), RC_DATA_F32(var), RC_DATA_F32(x), N, C, HW);
    Py_END_ALLOW_THREADS
    return Py_BuildValue("NN", mean, var);
fail:
    Py_XDECREF(mean);
    Py_XDECREF(var);
    return NULL;
}

static PyObject *py_batch_norm_forward(PyObject *self, PyObject *args) {
    PyObject *x_obj, *mean_obj, *var_obj, *w_obj, *b_obj;
    float eps;
    if (!PyArg_ParseTuple(args, "OOOOOf", &x_obj, &mean_obj, &var_obj, &w_obj, &b_obj, &eps)) return NULL;
    int64_t N, C, HW;
    PyArrayObject *x = get_nc_rest(x_obj, "batch_norm_forward: input", &N, &C, &HW);
    PyArrayObject *mean, *var, *w, *b;
    if (!x || get_vector(mean_obj, "batch_norm_forward: mean", C, 0, &mean) < 0 ||
        get_vector(var_obj, "batch_norm_forward: var", C, 0, &var) < 0 ||
        get_vector(w_obj, "batch_norm_forward: weight", C, 1, &w) < 0 ||
        get_vector(b_obj, "batch_norm_forward: bias", C, 1, &b) < 0)
        return NULL;
    PyArrayObject *out = rc_new_array(PyArray_NDIM(x), PyArray_DIMS(x), NPY_FLOAT32, 0);
    if (!out) return NULL;
    Py_BEGIN_ALLOW_THREADS
    rc_batchnorm_forward(RC_DATA_F32(out), RC_DATA_F32(x), RC_DATA_F32(mean), RC_DATA_F32(var),
                         data_or_null(w), data_or_null(b), eps, N, C, HW);
    Py_END_ALLOW_THREADS
    return (PyObject *)out;
}

static PyObject *py_batch_norm_backward(PyObject *self, PyObject *args) {
    PyObject *dy_obj, *x_obj, *mean_obj, *var_obj, *w_obj;
    float eps;
    int training;
    if (!PyArg_ParseTuple(args, "OOOOOfp", &dy_obj, &x_obj, &mean_obj, &var_obj, &w_obj, &eps, &training))
        return NULL;
    int64_t N, C, HW;
    PyArrayObject *x = get_nc_rest(x_obj, "batch_norm_backward: input", &N, &C, &HW);
    if (!x) return NULL;
    PyArrayObject *dy = rc_check_array(dy_obj, "batch_norm_backward: grad_output", NPY_FLOAT32, -1);
    if (!dy || same_shape(dy, x, "batch_norm_backward: grad_output") < 0) return NULL;
    PyArrayObject *mean, *var, *w;
    if (get_vector(mean_obj, "batch_norm_backward: mean", C, 0, &mean) < 0 ||
        get_vector(var_obj, "batch_norm_backward: var", C, 0, &var) < 0 ||
        get_vector(w_obj, "batch_norm_backward: weight", C, 1, &w) < 0)
        return NULL;
    npy_intp cdims[1] = {(npy_intp)C};
    PyArrayObject *dx = rc_new_array(PyArray_NDIM(x), PyArray_DIMS(x), NPY_FLOAT32, 0);
    PyArrayObject *dw = rc_new_array(1, cdims, NPY_FLOAT32, 0);
    PyArrayObject *db = rc_new_array(1, cdims, NPY_FLOAT32, 0);
    if (!dx || !dw || !db) {
        Py_XDECREF(dx);
        Py_XDECREF(dw);
        Py_XDECREF(db);
        return NULL;
    }
    Py_BEGIN_ALLOW_THREADS
    rc_batchnorm_backward(RC_DATA_F32(dx), RC_DATA_F32(dw), RC_DATA_F32(db), RC_DATA_F32(dy), RC_DATA_F32(x),
                          RC_DATA_F32(mean), RC_DATA_F32(var), data_or_null(w), eps, training, N, C, HW);
    Py_END_ALLOW_THREADS
    return Py_BuildValue("NNN", dx, dw, db);
}

/* ------------------------------------------------------------------ activations */
static PyObject *py_relu_forward(PyObject *self, PyObject *args) {
    PyObject *x_obj;
    int inplace;
    if (!PyArg_ParseTuple(args, "Op", &x_obj, &inplace)) return NULL;
    PyArrayObject *x = inplace ? rc_check_output(x_obj, "relu: input", NPY_FLOAT32, -1)
                               : rc_check_array(x_obj, "relu: input", NPY_FLOAT32, -1);
    if (!x) return NULL;
    PyArrayObject *out = x;
    if (inplace) Py_INCREF(out);
    else if (!(out = rc_new_array(PyArray_NDIM(x), PyArray_DIMS(x), NPY_FLOAT32, 0))) return NULL;
    int64_t n = PyArray_SIZE(x);
    Py_BEGIN_ALLOW_THREADS
    rc_relu_forward(RC_DATA_F32(out), RC_DATA_F32(x), n);
    Py_END_ALLOW_THREADS
    return (PyObject *)out;
}

static PyObject *py_relu_backward(PyObject *self, PyObject *args) {
    PyObject *dy_obj, *y_obj;
    if (!PyArg_ParseTuple(args, "OO", &dy_obj, &y_obj)) return NULL;
    PyArrayObject *y = rc_check_array(y_obj, "relu_backward: output", NPY_FLOAT32, -1);
    PyArrayObject *dy = rc_check_array(dy_obj, "relu_backward: grad_output", NPY_FLOAT32, -1);
    if (!y || !dy || same_shape(dy, y, "relu_backward: grad_output") < 0) return NULL;
    PyArrayObject *dx = rc_new_array(PyArray_NDIM(y), PyArray_DIMS(y), NPY_FLOAT32, 0);
    if (!dx) return NULL;
    int64_t n = PyArray_SIZE(y);
    Py_BEGIN_ALLOW_THREADS
    rc_relu_backward(RC_DATA_F32(dx), RC_DATA_F32(dy), RC_DATA_F32(y), n);
    Py_END_ALLOW_THREADS
    return (PyObject *)dx;
}

static PyObject *py_masked_scale(PyObject *self, PyObject *args) {
    PyObject *x_obj, *mask_obj;
    float scale;
    int inplace;
    if (!PyArg_ParseTuple(args, "OOfp", &x_obj, &mask_obj, &scale, &inplace)) return NULL;
    PyArrayObject *x = inplace ? rc_check_output(x_obj, "dropout: input", NPY_FLOAT32, -1)
                               : rc_check_array(x_obj, "dropout: input", NPY_FLOAT32, -1);
    PyArrayObject *mask = rc_check_array(mask_obj, "dropout: mask", NPY_BOOL, -1);
    if (!x || !mask || same_shape(mask, x, "dropout: mask") < 0) return NULL;
    PyArrayObject *out = x;
    if (inplace) Py_INCREF(out);
    else if (!(out = rc_new_array(PyArray_NDIM(x), PyArray_DIMS(x), NPY_FLOAT32, 0))) return NULL;
    int64_t n = PyArray_SIZE(x);
    Py_BEGIN_ALLOW_THREADS
    rc_masked_scale(RC_DATA_F32(out), RC_DATA_F32(x), (const unsigned char *)PyArray_DATA(mask), scale, n);
    Py_END_ALLOW_THREADS
    return (PyObject *)out;
}

/* ------------------------------------------------------------------ pooling */
/* Reads ((kh, kw), (sh, sw), (ph, pw), (dh, dw), (oh, ow)). The kernels clip every window to the
 * input, so any positive geometry is memory-safe; torch's size rules are checked in Python. */
static int parse_geom(int64_t H, int64_t W, PyObject *args_tail, rc_pool2d_geom *g,
                      const char *what) {
    Py_ssize_t v[10];
    if (!PyArg_ParseTuple(args_tail, "(nn)(nn)(nn)(nn)(nn)", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
                          &v[6], &v[7], &v[8], &v[9]))
        return -1;
    g->H = H, g->W = W;
    g->KH = v[0], g->KW = v[1], g->SH = v[2], g->SW = v[3], g->PH = v[4], g->PW = v[5];
    g->DH = v[6], g->DW = v[7], g->OH = v[8], g->OW = v[9];
    if (g->KH < 1 || g->KW < 1 || g->SH < 1 || g->SW < 1 || g->DH < 1 || g->DW < 1 || g->PH < 0 ||
        g->PW < 0 || g->OH < 1 || g->OW < 1 || H < 1 || W < 1) {
        PyErr_Format(PyExc_ValueError, "%s: invalid pooling geometry", what);
        return -1;
    }
    return 0;
}

static PyArrayObject *get_nchw(PyObject *obj, const char *what) {
    return rc_check_array(obj, what, NPY_FLOAT32, 4);
}

static PyObject *py_max_pool2d_forward(PyObject *self, PyObject *args) {
    Py_ssize_t nargs = PyTuple_GET_SIZE(args);
    if (nargs != 6) {
        PyErr_SetString(PyExc_TypeError, "max_pool2d_forward(input, kernel, stride, padding, dilation, out_size)");
        return NULL;
    }
    PyArrayObject *x = get_nchw(PyTuple_GET_ITEM(args, 0), "max_pool2d: input");
    if (!x) return NULL;
    PyObject *tail = PyTuple_GetSlice(args, 1, 6);
    rc_pool2d_geom g;
    int bad = !tail || parse_geom(PyArray_DIM(x, 2), PyArray_DIM(x, 3), tail, &g, "max_pool2d") < 0;
    Py_XDECREF(tail);
    if (bad) return NULL;
    npy_intp dims[4] = {PyArray_DIM(x, 0), PyArray_DIM(x, 1), g.OH, g.OW};
    PyArrayObject *out = rc_new_array(4, dims, NPY_FLOAT32, 0);
    PyArrayObject *idx = rc_new_array(4, dims, NPY_INT64, 0);
    if (!out || !idx) {
        Py_XDECREF(out);
        Py_XDECREF(idx);
        return NULL;
    }
    int64_t P = dims[0] * dims[1];
    Py_BEGIN_ALLOW_THREADS
    rc_maxpool2d_forward(RC_DATA_F32(out), (int64_t *)PyArray_DATA(idx), RC_DATA_F32(x), P, &g);
    Py_END_ALLOW_THREADS
    return Py_BuildValue("NN", out, idx);
}

static PyObject *py_max_pool2d_backward(PyObject *self, PyObject *args) {
    PyObject *dy_obj, *idx_obj;
    Py_ssize_t H, W;
    if (!PyArg_ParseTuple(args, "OOnn", &dy_obj, &idx_obj, &H, &W)) return NULL;
    PyArrayObject *dy = get_nchw(dy_obj, "max_pool2d_backward: grad_output");
    PyArrayObject *idx = rc_check_array(idx_obj, "max_pool2d_backward: indices", NPY_INT64, 4);
    if (!dy || !idx || same_shape(idx, dy, "max_pool2d_backward: indices") < 0) return NULL;
    if (H < 1 || W < 1) {
        PyErr_Format(PyExc_ValueError, "max_pool2d_backward: input size (%ld, %ld) must be positive", (long)H, (long)W);
        return NULL;
    }
    const int64_t *ip = (const int64_t *)PyArray_DATA(idx);
    rc_pool2d_geom g = {.H = H, .W = W, .OH = PyArray_DIM(dy, 2), .OW = PyArray_DIM(dy, 3)};
    npy_intp dims[4] = {PyArray_DIM(dy, 0), PyArray_DIM(dy, 1), H, W};
    PyArrayObject *dx = rc_new_array(4, dims, NPY_FLOAT32, 0);
    if (!dx) return NULL;
    int64_t P = dims[0] * dims[1];
    Py_BEGIN_ALLOW_THREADS
    rc_maxpool2d_backward_overwrite(RC_DATA_F32(dx), RC_DATA_F32(dy), ip, P, &g);
    Py_END_ALLOW_THREADS
    return (PyObject *)dx;
}

/* avg_pool2d_forward(input, kernel, stride, padding, out_size, count_include_pad, divisor_override) */
static PyObject *py_avg_pool2d_forward(PyObject *self, PyObject *args) {
    PyObject *x_obj, *k, *s, *p, *o;
    int include_pad;
    Py_ssize_t divisor;
    if (!PyArg_ParseTuple(args, "OOOOOpn", &x_obj, &k, &s, &p, &o, &include_pad, &divisor)) return NULL;
    PyArrayObject *x = get_nchw(x_obj, "avg_pool2d: input");
    if (!x) return NULL;
    PyObject *tail = Py_BuildValue("(OOO(ii)O)", k, s, p, 1, 1, o);
    rc_pool2d_geom g;
    int bad = !tail || parse_geom(PyArray_DIM(x, 2), PyArray_DIM(x, 3), tail, &g, "avg_pool2d") < 0;
    Py_XDECREF(tail);
    if (bad) return NULL;
    npy_intp dims[4] = {PyArray_DIM(x, 0), PyArray_DIM(x, 1), g.OH, g.OW};
    PyArrayObject *out = rc_new_array(4, dims, NPY_FLOAT32, 0);
    if (!out) return NULL;
    int64_t P = dims[0] * dims[1];
    Py_BEGIN_ALLOW_THREADS
    rc_avgpool2d_forward(RC_DATA_F32(out), RC_DATA_F32(x), P, &g, include_pad, divisor);
    Py_END_ALLOW_THREADS
    return (PyObject *)out;
}

/* avg_pool2d_backward(grad_output, (H, W), kernel, stride, padding, count_include_pad, divisor_override) */
static PyObject *py_avg_pool2d_backward(PyObject *self, PyObject *args) {
    PyObject *dy_obj, *k, *s, *p;
    Py_ssize_t H, W, divisor;
    int include_pad;
    if (!PyArg_ParseTuple(args, "O(nn)OOOpn", &dy_obj, &H, &W, &k, &s, &p, &include_pad, &divisor)) return NULL;
    PyArrayObject *dy = get_nchw(dy_obj, "avg_pool2d_backward: grad_output");
    if (!dy) return NULL;
    PyObject *tail = Py_BuildValue("(OOO(ii)(nn))", k, s, p, 1, 1, (Py_ssize_t)PyArray_DIM(dy, 2),
                                   (Py_ssize_t)PyArray_DIM(dy, 3));
    rc_pool2d_geom g;
    int bad = !tail || parse_geom(H, W, tail, &g, "avg_pool2d_backward") < 0;
    Py_XDECREF(tail);
    if (bad) return NULL;
    npy_intp dims[4] = {PyArray_DIM(dy, 0), PyArray_DIM(dy, 1), H, W};
    PyArrayObject *dx = rc_new_array(4, dims, NPY_FLOAT32, 0);
    if (!dx) return NULL;
    int64_t P = dims[0] * dims[1];
    Py_BEGIN_ALLOW_THREADS
    rc_avgpool2d_backward(RC_DATA_F32(dx), RC_DATA_F32(dy), P, &g, include_pad, divisor);
    Py_END_ALLOW_THREADS
    return (PyObject *)dx;
}

static PyObject *py_adaptive_avg_pool2d_forward(PyObject *self, PyObject *args) {
    PyObject *x_obj;
    Py_ssize_t OH, OW;
    if (!PyArg_ParseTuple(args, "O(nn)", &x_obj, &OH, &OW)) return NULL;
    PyArrayObject *x = get_nchw(x_obj, "adaptive_avg_pool2d: input");
    if (!x) return NULL;
    int64_t H = PyArray_DIM(x, 2), W = PyArray_DIM(x, 3);
    if (OH < 1 || OW < 1 || H < 1 || W < 1) {
        PyErr_Format(PyExc_ValueError, "adaptive_avg_pool2d: output size (%ld, %ld) and input size (%ld, %ld) must be positive",
                     (long)OH, (long)OW, (long)H, (long)W);
        return NULL;
    }
    npy_intp dims[4] = {PyArray_DIM(x, 0), PyArray_DIM(x, 1), OH, OW};
    PyArrayObject *out = rc_new_array(4, dims, NPY_FLOAT32, 0);
    if (!out) return NULL;
    int64_t P = dims[0] * dims[1];
    Py_BEGIN_ALLOW_THREADS
    rc_adaptive_avgpool2d_forward(RC_DATA_F32(out), RC_DATA_F32(x), P, H, W, OH, OW);
    Py_END_ALLOW_THREADS
    return (PyObject *)out;
}

static PyObject *py_adaptive_avg_pool2d_backward(PyObject *self, PyObject *args) {
    PyObject *dy_obj;
    Py_ssize_t H, W;
    if (!PyArg_ParseTuple(args, "O(nn)", &dy_obj, &H, &W)) return NULL;
    PyArrayObject *dy = get_nchw(dy_obj, "adaptive_avg_pool2d_backward: grad_output");
    if (!dy) return NULL;
    int64_t OH = PyArray_DIM(dy, 2), OW = PyArray_DIM(dy, 3);
    if (OH < 1 || OW < 1 || H < 1 || W < 1) {
        PyErr_SetString(PyExc_ValueError, "adaptive_avg_pool2d_backward: sizes must be positive");
        return NULL;
    }
    npy_intp dims[4] = {PyArray_DIM(dy, 0), PyArray_DIM(dy, 1), H, W};
    PyArrayObject *dx = rc_new_array(4, dims, NPY_FLOAT32, 0);
    if (!dx) return NULL;
    int64_t P = dims[0] * dims[1];
    Py_BEGIN_ALLOW_THREADS
    rc_adaptive_avgpool2d_backward(RC_DATA_F32(dx), RC_DATA_F32(dy), P, H, W, OH, OW);
    Py_END_ALLOW_THREADS
    return (PyObject *)dx;
}

/* ------------------------------------------------------------------ softmax and losses */
typedef void (*rowwise_forward)(float *, const float *, int64_t, int64_t);
typedef void (*rowwise_backward)(float *, const float *, const float *, int64_t, int64_t);

static PyObject *rowwise_fwd(PyObject *args, rowwise_forward fn, const char *what) {
    PyObject *x_obj;
    if (!PyArg_ParseTuple(args, "O", &x_obj)) return NULL;
    PyArrayObject *x = rc_check_array(x_obj, what, NPY_FLOAT32, 2);
    if (!x) return NULL;
    PyArrayObject *out = rc_new_array(2, PyArray_DIMS(x), NPY_FLOAT32, 0);
    if (!out) return NULL;
    int64_t N = PyArray_DIM(x, 0), C = PyArray_DIM(x, 1);
    Py_BEGIN_ALLOW_THREADS
    fn(RC_DATA_F32(out), RC_DATA_F32(x), N, C);
    Py_END_ALLOW_THREADS
    return (PyObject *)out;
}

static PyObject *rowwise_bwd(PyObject *args, rowwise_backward fn, const char *what) {
    PyObject *dy_obj, *y_obj;
    if (!PyArg_ParseTuple(args, "OO", &dy_obj, &y_obj)) return NULL;
    PyArrayObject *y = rc_check_array(y_obj, what, NPY_FLOAT32, 2);
    PyArrayObject *dy = rc_check_array(dy_obj, what, NPY_FLOAT32, 2);
    if (!y || !dy || same_shape(dy, y, what) < 0) return NULL;
    PyArrayObject *dx = rc_new_array(2, PyArray_DIMS(y), NPY_FLOAT32, 0);
    if (!dx) return NULL;
    int64_t N = PyArray_DIM(y, 0), C = PyArray_DIM(y, 1);
    Py_BEGIN_ALLOW_THREADS
    fn(RC_DATA_F32(dx), RC_DATA_F32(dy), RC_DATA_F32(y), N, C);
    Py_END_ALLOW_THREADS
    return (PyObject *)dx;
}

static PyObject *py_log_softmax_forward(PyObject *self, PyObject *args) {
    return rowwise_fwd(args, rc_log_softmax_forward, "log_softmax: input");
}
static PyObject *py_log_softmax_backward(PyObject *self, PyObject *args) {
    return rowwise_bwd(args, rc_log_softmax_backward, "log_softmax_backward: arrays");
}
static PyObject *py_softmax_forward(PyObject *self, PyObject *args) {
    return rowwise_fwd(args, rc_softmax_forward, "softmax: input");
}
static PyObject *py_softmax_backward(PyObject *self, PyObject *args) {
    return rowwise_bwd(args, rc_softmax_backward, "softmax_backward: arrays");
}

/* Checks logits (N, C), targets (N) int64 within [0, C) or == ignore_index, weight (C) or None. */
static int get_xent_args(PyObject *x_obj, PyObject *t_obj, PyObject *w_obj, int64_t ignore_index,
                         PyArrayObject **x, PyArrayObject **t, PyArrayObject **w) {
    *x = rc_check_array(x_obj, "cross_entropy: input", NPY_FLOAT32, 2);
    if (!*x) return -1;
    int64_t N = PyArray_DIM(*x, 0), C = PyArray_DIM(*x, 1);
    *t = rc_check_array(t_obj, "cross_entropy: target", NPY_INT64, 1);
    npy_intp tdims[1] = {(npy_intp)N};
    if (!*t || rc_check_shape(*t, "cross_entropy: target", 1, tdims) < 0) return -1;
    if (get_vector(w_obj, "cross_entropy: weight", C, 1, w) < 0) return -1;
    const int64_t *tp = (const int64_t *)PyArray_DATA(*t);
    for (int64_t i = 0; i < N; i++) {
        if (tp[i] != ignore_index && (tp[i] < 0 || tp[i] >= C)) {
            PyErr_Format(PyExc_IndexError, "Target %lld is out of bounds.", (long long)tp[i]);
            return -1;
        }
    }
    return 0;
}

static PyObject *py_cross_entropy_forward(PyObject *self, PyObject *args) {
    PyObject *x_obj, *t_obj, *w_obj;
    long long ignore_index;
    float smoothing;
    if (!PyArg_ParseTuple(args, "OOOLf", &x_obj, &t_obj, &w_obj, &ignore_index, &smoothing)) return NULL;
    PyArrayObject *x, *t, *w;
    if (get_xent_args(x_obj, t_obj, w_obj, ignore_index, &x, &t, &w) < 0) return NULL;
    int64_t N = PyArray_DIM(x, 0), C = PyArray_DIM(x, 1);
    npy_intp dims[1] = {(npy_intp)N};
    PyArrayObject *loss = rc_new_array(1, dims, NPY_FLOAT32, 0);
    PyArrayObject *lse = rc_new_array(1, dims, NPY_FLOAT32, 0);
    if (!loss || !lse) {
        Py_XDECREF(loss);
        Py_XDECREF(lse);
        return NULL;
    }
    Py_BEGIN_ALLOW_THREADS
    rc_cross_entropy_forward(RC_DATA_F32(loss), RC_DATA_F32(lse), RC_DATA_F32(x), (const int64_t *)PyArray_DATA(t),
                             data_or_null(w), ignore_index, smoothing, N, C);
    Py_END_ALLOW_THREADS
    return Py_BuildValue("NN", loss, lse);
}

static PyObject *py_cross_entropy_backward(PyObject *self, PyObject *args) {
    PyObject *x_obj, *lse_obj, *t_obj, *w_obj, *s_obj;
    long long ignore_index;
    float smoothing;
    if (!PyArg_ParseTuple(args, "OOOOOLf", &x_obj, &lse_obj, &t_obj, &w_obj, &s_obj, &ignore_index, &smoothing))
        return NULL;
    PyArrayObject *x, *t, *w, *lse, *scale;
    if (get_xent_args(x_obj, t_obj, w_obj, ignore_index, &x, &t, &w) < 0) return NULL;
    int64_t N = PyArray_DIM(x, 0), C = PyArray_DIM(x, 1);
    if (get_vector(lse_obj, "cross_entropy_backward: lse", N, 0, &lse) < 0 ||
        get_vector(s_obj, "cross_entropy_backward: scale", N, 0, &scale) < 0)
        return NULL;
    PyArrayObject *dx = rc_new_array(2, PyArray_DIMS(x), NPY_FLOAT32, 0);
    if (!dx) return NULL;
    Py_BEGIN_ALLOW_THREADS
    rc_cross_entropy_backward(RC_DATA_F32(dx), RC_DATA_F32(x), RC_DATA_F32(lse), (const int64_t *)PyArray_DATA(t),
                              data_or_null(w), RC_DATA_F32(scale), ignore_index, smoothing, N, C);
    Py_END_ALLOW_THREADS
    return (PyObject *)dx;
}

PyMethodDef rc_nn_methods[] = {
    {"batch_norm_stats", py_batch_norm_stats, METH_VARARGS, "batch_norm_stats(x) -> (mean, biased var) per channel"},
    {"batch_norm_forward", py_batch_norm_forward, METH_VARARGS, "batch_norm_forward(x, mean, var, weight, bias, eps)"},
    {"batch_norm_backward", py_batch_norm_backward, METH_VARARGS,
     "batch_norm_backward(dy, x, mean, var, weight, eps, training) -> (dx, dweight, dbias)"},
    {"relu_forward", py_relu_forward, METH_VARARGS, "relu_forward(x, inplace) -> out"},
    {"relu_backward", py_relu_backward, METH_VARARGS, "relu_backward(dy, out) -> dx"},
    {"masked_scale", py_masked_scale, METH_VARARGS, "masked_scale(x, bool mask, scale, inplace) -> x * mask * scale"},
    {"max_pool2d_forward", py_max_pool2d_forward, METH_VARARGS,
     "max_pool2d_forward(x, (kh, kw), (sh, sw), (ph, pw), (dh, dw), (oh, ow)) -> (out, indices)"},
    {"max_pool2d_backward", py_max_pool2d_backward, METH_VARARGS, "max_pool2d_backward(dy, indices, H, W) -> dx"},
    {"avg_pool2d_forward", py_avg_pool2d_forward, METH_VARARGS,
     "avg_pool2d_forward(x, kernel, stride, padding, (oh, ow), count_include_pad, divisor_override) -> out"},
    {"avg_pool2d_backward", py_avg_pool2d_backward, METH_VARARGS,
     "avg_pool2d_backward(dy, (H, W), kernel, stride, padding, count_include_pad, divisor_override) -> dx"},
    {"adaptive_avg_pool2d_forward", py_adaptive_avg_pool2d_forward, METH_VARARGS,
     "adaptive_avg_pool2d_forward(x, (oh, ow)) -> out"},
    {"adaptive_avg_pool2d_backward", py_adaptive_avg_pool2d_backward, METH_VARARGS,
     "adaptive_avg_pool2d_backward(dy, (H, W)) -> dx"},
    {"log_softmax_forward", py_log_softmax_forward, METH_VARARGS, "log_softmax over dim 1 of an (N, C) array"},
    {"log_softmax_backward", py_log_softmax_backward, METH_VARARGS, "log_softmax_backward(dy, out) -> dx"},
    {"softmax_forward", py_softmax_forward, METH_VARARGS, "softmax over dim 1 of an (N, C) array"},
    {"softmax_backward", py_softmax_backward, METH_VARARGS, "softmax_backward(dy, out) -> dx"},
    {"cross_entropy_forward", py_cross_entropy_forward, METH_VARARGS,
     "cross_entropy_forward(x, target, weight, ignore_index, label_smoothing) -> (per-sample loss, logsumexp)"},
    {"cross_entropy_backward", py_cross_entropy_backward, METH_VARARGS,
     "cross_entropy_backward(x, lse, target, weight, scale, ignore_index, label_smoothing) -> dx"},
    {NULL, NULL, 0, NULL},
};
