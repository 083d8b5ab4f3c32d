/* resnetc._C bindings for the fused bottleneck block (csrc/nn/bottleneck.h).
 *
 * A block is described by a tuple of 3 layers (conv1, conv2, conv3) or 4 (and the downsample
 * branch), each layer a tuple
 *   (conv weight, bn weight, bn bias, running_mean or None, running_var or None, eps, momentum,
 *    (stride_h, stride_w), (pad_h, pad_w), (dilation_h, dilation_w), groups).
 * Everything is checked here (dtype, rank, shapes, contiguity, that the layers chain) before
 * the GIL is released. */
#include "python/binding.h"

#include "nn/bottleneck.h"

static const char *const layer_names[RC_BLOCK_LAYERS] = {"conv1", "conv2", "conv3", "downsample"};

typedef struct {
    rc_bottleneck_shape shape;
    rc_bottleneck_params params;
    int layers;
} block_args;

static int check_vector(PyObject *obj, const char *layer, const char *name, int64_t k, int writeable, int optional,
                        float **data) {
    *data = NULL;
    if (obj == Py_None && optional) return 0;
    char what[96];
    snprintf(what, sizeof what, "bottleneck: %s %s", layer, name);
    PyArrayObject *arr = writeable ? rc_check_output(obj, what, NPY_FLOAT32, 1) : rc_check_array(obj, what, NPY_FLOAT32, 1);
    npy_intp dims[1] = {(npy_intp)k};
    if (!arr || rc_check_shape(arr, what, 1, dims) < 0) return -1;
    *data = RC_DATA_F32(arr);
    return 0;
}

/* Fills layer i of `b` from its tuple; the convolution's input is (n, c, h, w). */
static int parse_layer(PyObject *item, int i, int64_t n, int64_t c, int64_t h, int64_t w, block_args *b) {
    const char *name = layer_names[i];
    PyObject *weight_obj, *gamma_obj, *beta_obj, *rmean_obj, *rvar_obj;
    double eps, momentum;
    long sh, sw, ph, pw, dh, dw, groups;
    if (!PyTuple_Check(item)) {
        PyErr_Format(PyExc_TypeError, "bottleneck: layer %s must be a tuple", name);
        return -1;
    }
    if (!PyArg_ParseTuple(item, "OOOOOdd(ll)(ll)(ll)l", &weight_obj, &gamma_obj, &beta_obj, &rmean_obj, &rvar_obj,
                          &eps, &momentum, &sh, &sw, &ph, &pw, &dh, &dw, &groups))
        return -1;
    char what[96];
    snprintf(what, sizeof what, "bottleneck: %s weight", name);
    PyArrayObject *weight = rc_check_array(weight_obj, what, NPY_FLOAT32, 4);
    if (!weight) return -1;
    rc_conv2d_shape *s = &b->shape.conv[i];
    *s = (rc_conv2d_shape){.n = n, .c = c, .h = h, .w = w, .k = PyArray_DIM(weight, 0),
                           .kh = PyArray_DIM(weight, 2), .kw = PyArray_DIM(weight, 3), .stride_h = sh,
                           .stride_w = sw, .pad_h = ph, .pad_w = pw, .dilation_h = dh, .dilation_w = dw,
                           .groups = groups};
    if (groups <= 0 || c % groups || PyArray_DIM(weight, 1) * groups != c) {
        PyErr_Format(PyExc_ValueError, "bottleneck: %s weight of shape (%ld, %ld, %ld, %ld) with groups=%ld does not "
                     "take %ld input channels", name, (long)PyArray_DIM(weight, 0), (long)PyArray_DIM(weight, 1),
                     (long)s->kh, (long)s->kw, groups, (long)c);
        return -1;
    }
    if (rc_conv2d_shape_init(s) != RC_OK) {
        PyErr_Format(PyExc_ValueError, "bottleneck: %s cannot convolve an input of size (%ld, %ld) with these "
                     "kernel, stride, padding, dilation and groups", name, (long)h, (long)w);
        return -1;
    }
    rc_bottleneck_params *p = &b->params;
    float *gamma, *beta;
    if (check_vector(gamma_obj, name, "bn weight", s->k, 0, 0, &gamma) < 0 ||
        check_vector(beta_obj, name, "bn bias", s->k, 0, 0, &beta) < 0 ||
        check_vector(rmean_obj, name, "running_mean", s->k, 1, 1, &p->running_mean[i]) < 0 ||
        check_vector(rvar_obj, name, "running_var", s->k, 1, 1, &p->running_var[i]) < 0)
        return -1;
    if ((p->running_mean[i] == NULL) != (p->running_var[i] == NULL)) {
        PyErr_Format(PyExc_ValueError, "bottleneck: %s running_mean and running_var must both be given or both None", name);
        return -1;
    }
    p->weight[i] = RC_DATA_F32(weight);
    p->gamma[i] = gamma;
    p->beta[i] = beta;
    p->eps[i] = (float)eps;
    p->momentum[i] = (float)momentum;
    return 0;
}

static int parse_block(PyObject *layers, PyArrayObject *x, block_args *b) {
    memset(b, 0, sizeof *b);
    if (!PyTuple_Check(layers) || (PyTuple_GET_SIZE(layers) != 3 && PyTuple_GET_SIZE(layers) != 4)) {
        PyErr_SetString(PyExc_ValueError, "bottleneck: layers must be a tuple of 3 or 4 layer tuples");
        return -1;
    }
    b->layers = (int)PyTuple_GET_SIZE(layers);
    b->shape.has_downsample = b->layers == 4;
    const int64_t n = PyArray_DIM(x, 0);
    int64_t c = PyArray_DIM(x, 1), h = PyArray_DIM(x, 2), w = PyArray_DIM(x, 3);
    for (int i = 0; i < b->layers; i++) {
        if (i == RC_BLOCK_DOWN) c = PyArray_DIM(x, 1), h = PyArray_DIM(x, 2), w = PyArray_DIM(x, 3);
        if (parse_layer(PyTuple_GET_ITEM(layers, i), i, n, c, h, w, b) < 0) return -1;
        const rc_conv2d_shape *s = &b->shape.conv[i];
        c = s->k, h = s->oh, w = s->ow;
    }
    if (rc_bottleneck_check(&b->shape) != RC_OK) {
        PyErr_SetString(PyExc_ValueError, "bottleneck: the layers do not chain (each convolution must take the "
                        "previous one's channels, and the residual must match the output's shape)");
        return -1;
    }
    return 0;
}

static void conv_out_dims(const rc_conv2d_shape *s, npy_intp dims[4]) {
    dims[0] = s->n, dims[1] = s->k, dims[2] = s->oh, dims[3] = s->ow;
}

/* A tuple of one new float32 array per layer: its conv output's shape when `conv_outputs`, else
 * its (K) channel vector. */
static PyObject *new_arrays(const block_args *b, int conv_outputs, int zero) {
    PyObject *tuple = PyTuple_New(b->layers);
    for (int i = 0; tuple && i < b->layers; i++) {
        npy_intp dims[4];
        conv_out_dims(&b->shape.conv[i], dims);
        PyArrayObject *arr = conv_outputs ? rc_new_array(4, dims, NPY_FLOAT32, zero) : rc_new_array(1, dims + 1, NPY_FLOAT32, zero);
        if (!arr) Py_CLEAR(tuple);
        else PyTuple_SET_ITEM(tuple, i, (PyObject *)arr);
    }
    return tuple;
}

static float *item_data(PyObject *tuple, int i) { return RC_DATA_F32((PyArrayObject *)PyTuple_GET_ITEM(tuple, i)); }

static PyObject *py_bottleneck_forward(PyObject *self, PyObject *args) {
    PyObject *x_obj, *layers;
    int batch_stats, save;
    if (!PyArg_ParseTuple(args, "OOpp", &x_obj, &layers, &batch_stats, &save)) return NULL;
    PyArrayObject *x = rc_check_array(x_obj, "bottleneck: input", NPY_FLOAT32, 4);
    block_args b;
    if (!x || parse_block(layers, x, &b) < 0) return NULL;
    for (int i = 0; i < b.layers && !batch_stats; i++) {
        if (!b.params.running_mean[i]) {
            PyErr_Format(PyExc_ValueError, "bottleneck: %s needs running_mean and running_var to normalise "
                         "without batch statistics", layer_names[i]);
            return NULL;
        }
    }
    npy_intp dims[4];
    conv_out_dims(&b.shape.conv[RC_BLOCK_CONV3], dims);
    PyArrayObject *out = rc_new_array(4, dims, NPY_FLOAT32, 0);
    PyObject *ys = save ? new_arrays(&b, 1, 0) : PyTuple_New(0);
    PyObject *means = new_arrays(&b, 0, 0), *vars = new_arrays(&b, 0, 0);
    if (!out || !ys || !means || !vars) goto fail;
    rc_bottleneck_saved saved = {0};
    for (int i = 0; i < b.layers; i++) {
        saved.y[i] = save ? item_data(ys, i) : NULL;
        saved.mean[i] = item_data(means, i);
        saved.var[i] = item_data(vars, i);
    }
    rc_status status;
    Py_BEGIN_ALLOW_THREADS
    status = rc_bottleneck_forward(RC_DATA_F32(out), RC_DATA_F32(x), &b.shape, &b.params, &saved, batch_stats);
    Py_END_ALLOW_THREADS
    if (rc_raise_status(status, "bottleneck forward") < 0) goto fail;
    return Py_BuildValue("N(NNN)", out, ys, means, vars);
fail:
    Py_XDECREF(out);
    Py_XDECREF(ys);
    Py_XDECREF(means);
    Py_XDECREF(vars);
    return NULL;
}

/* Checks a tuple of b->layers saved arrays (conv outputs or (K) vectors) and points `dst` at them. */
static int check_saved(PyObject *tuple, const block_args *b, int conv_outputs, const char *what, float **dst) {
    if (!PyTuple_Check(tuple) || PyTuple_GET_SIZE(tuple) != b->layers) {
        PyErr_Format(PyExc_ValueError, "bottleneck backward: saved %s must be a tuple of %d arrays", what, b->layers);
        return -1;
    }
    for (int i = 0; i < b->layers; i++) {
        char name[96];
        snprintf(name, sizeof name, "bottleneck backward: saved %s of %s", what, layer_names[i]);
        npy_intp dims[4];
        conv_out_dims(&b->shape.conv[i], dims);
        PyArrayObject *arr = rc_check_array(PyTuple_GET_ITEM(tuple, i), name, NPY_FLOAT32, conv_outputs ? 4 : 1);
        if (!arr || rc_check_shape(arr, name, conv_outputs ? 4 : 1, conv_outputs ? dims : dims + 1) < 0) return -1;
        dst[i] = RC_DATA_F32(arr);
    }
    return 0;
}

static PyObject *py_bottleneck_backward(PyObject *self, PyObject *args) {
    PyObject *dout_obj, *out_obj, *x_obj, *layers, *ys, *means, *vars;
    int batch_stats, need_dx, need_params;
    if (!PyArg_ParseTuple(args, "OOOO(OOO)ppp", &dout_obj, &out_obj, &x_obj, &layers, &ys, &means, &vars,
                          &batch_stats, &need_dx, &need_params))
        return NULL;
    PyArrayObject *x = rc_check_array(x_obj, "bottleneck backward: input", NPY_FLOAT32, 4);
    block_args b;
    if (!x || parse_block(layers, x, &b) < 0) return NULL;
    npy_intp dims[4];
    conv_out_dims(&b.shape.conv[RC_BLOCK_CONV3], dims);
    PyArrayObject *dout = rc_check_array(dout_obj, "bottleneck backward: grad_output", NPY_FLOAT32, 4);
    PyArrayObject *out = rc_check_array(out_obj, "bottleneck backward: output", NPY_FLOAT32, 4);
    if (!dout || !out || rc_check_shape(dout, "bottleneck backward: grad_output", 4, dims) < 0 ||
        rc_check_shape(out, "bottleneck backward: output", 4, dims) < 0)
        return NULL;
    rc_bottleneck_saved saved = {0};
    if (check_saved(ys, &b, 1, "conv output", saved.y) < 0 || check_saved(means, &b, 0, "mean", saved.mean) < 0 ||
        check_saved(vars, &b, 0, "var", saved.var) < 0)
        return NULL;

    PyArrayObject *dx = NULL;
    PyObject *dweights = NULL, *dgammas = NULL, *dbetas = NULL;
    if (need_dx && !(dx = rc_new_array(4, PyArray_DIMS(x), NPY_FLOAT32, 0))) goto fail;
    float *dweight[RC_BLOCK_LAYERS] = {0}, *dgamma[RC_BLOCK_LAYERS] = {0}, *dbeta[RC_BLOCK_LAYERS] = {0};
    if (need_params) {
        dweights = PyTuple_New(b.layers);
        if (!dweights || !(dgammas = new_arrays(&b, 0, 0)) || !(dbetas = new_arrays(&b, 0, 0))) goto fail;
        for (int i = 0; i < b.layers; i++) {
            PyArrayObject *w = (PyArrayObject *)PyTuple_GET_ITEM(PyTuple_GET_ITEM(layers, i), 0);
            PyArrayObject *dw = rc_new_array(4, PyArray_DIMS(w), NPY_FLOAT32, 1);
            if (!dw) goto fail;
            PyTuple_SET_ITEM(dweights, i, (PyObject *)dw);
            dweight[i] = RC_DATA_F32(dw);
            dgamma[i] = item_data(dgammas, i);
            dbeta[i] = item_data(dbetas, i);
        }
    }
    rc_status status;
    Py_BEGIN_ALLOW_THREADS
    status = rc_bottleneck_backward(dx ? RC_DATA_F32(dx) : NULL, need_params ? dweight : NULL,
                                    need_params ? dgamma : NULL, need_params ? dbeta : NULL, RC_DATA_F32(dout),
                                    RC_DATA_F32(out), RC_DATA_F32(x), &b.shape, &b.params, &saved, batch_stats);
    Py_END_ALLOW_THREADS
    if (rc_raise_status(status, "bottleneck backward") < 0) goto fail;
    if (!need_params) {
        dweights = Py_NewRef(Py_None), dgammas = Py_NewRef(Py_None), dbetas = Py_NewRef(Py_None);
    }
    return Py_BuildValue("NNNN", dx ? (PyObject *)dx : Py_NewRef(Py_None), dweights, dgammas, dbetas);
fail:
    Py_XDECREF(dx);
    Py_XDECREF(dweights);
    Py_XDECREF(dgammas);
    Py_XDECREF(dbetas);
    return NULL;
}

PyMethodDef rc_block_methods[] = {
    {"bottleneck_forward", py_bottleneck_forward, METH_VARARGS,
     "bottleneck_forward(x, layers, batch_stats, save) -> (out, (conv outputs, means, vars))"},
    {"bottleneck_backward", py_bottleneck_backward, METH_VARARGS,
     "bottleneck_backward(dout, out, x, layers, saved, batch_stats, need_dx, need_params) -> "
     "(dx, conv weight grads, bn weight grads, bn bias grads)"},
    {NULL, NULL, 0, NULL},
};
