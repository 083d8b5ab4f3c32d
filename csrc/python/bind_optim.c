/* resnetc._C.optim_step: the fused optimizer update over a list of parameter tensors. */
#include "python/binding.h"

#include "optim/norms.h"
#include "optim/optim.h"

/* Item i of `list` (a list, or None when `required` is 0) as a float32 C-contiguous array of
 * `n` elements (n < 0: any, and *n is set). Returns its data, NULL with an exception set, or
 * NULL without one when the list is None. */
static float *list_item_data(PyObject *list, Py_ssize_t i, const char *name, int writeable, int64_t *n) {
    char what[96];
    snprintf(what, sizeof what, "optim_step: %s[%zd]", name, i);
    PyObject *item = PyList_GET_ITEM(list, i);
    PyArrayObject *arr = writeable ? rc_check_output(item, what, NPY_FLOAT32, -1)
                                   : rc_check_array(item, what, NPY_FLOAT32, -1);
    if (!arr) return NULL;
    int64_t size = (int64_t)PyArray_SIZE(arr);
    if (*n >= 0 && size != *n) {
        PyErr_Format(PyExc_ValueError, "%s must have %lld elements like params[%zd], got %lld", what,
                     (long long)*n, i, (long long)size);
        return NULL;
    }
    *n = size;
    return RC_DATA_F32(arr);
}

static int check_list(PyObject *obj, const char *name, Py_ssize_t len, int optional) {
    if (optional && obj == Py_None) return 0;
    if (!PyList_Check(obj)) {
        PyErr_Format(PyExc_TypeError, "optim_step: %s must be a list%s, got %s", name,
                     optional ? " or None" : "", Py_TYPE(obj)->tp_name);
        return -1;
    }
    if (len >= 0 && PyList_GET_SIZE(obj) != len) {
        PyErr_Format(PyExc_ValueError, "optim_step: %s must have %zd items like params, got %zd", name, len,
                     PyList_GET_SIZE(obj));
        return -1;
    }
    return 0;
}

static PyObject *py_optim_step(PyObject *self, PyObject *args, PyObject *kwargs) {
    static char *keywords[] = {"kind", "params", "grads", "state0", "state1", "state2", "coefs", "lr",
                               "weight_decay", "decoupled_weight_decay", "maximize", "beta1", "beta2",
                               "eps", "momentum", "dampening", "nesterov", "amsgrad", "centered", NULL};
    int kind;
    PyObject *params, *grads, *states[3], *coefs_obj;
    rc_optim_hparams h = {0};
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "iOOOOOO|ddppdddddppp", keywords, &kind, &params, &grads,
                                     &states[0], &states[1], &states[2], &coefs_obj, &h.lr,
                                     &h.weight_decay, &h.decoupled_weight_decay, &h.maximize, &h.beta1,
                                     &h.beta2, &h.eps, &h.momentum, &h.dampening, &h.nesterov, &h.amsgrad,
                                     &h.centered))
        return NULL;
    if (kind < 0 || kind >= RC_OPTIM_KIND_COUNT) {
        PyErr_Format(PyExc_ValueError, "optim_step: kind must be in [0, %d), got %d", RC_OPTIM_KIND_COUNT, kind);
        return NULL;
    }
    if (check_list(params, "params", -1, 0) < 0) return NULL;
    Py_ssize_t count = PyList_GET_SIZE(params);
    static const char *state_names[3] = {"state0", "state1", "state2"};
    if (check_list(grads, "grads", count, 0) < 0) return NULL;
    for (int s = 0; s < 3; s++)
        if (check_list(states[s], state_names[s], count, 1) < 0) return NULL;
    PyArrayObject *coefs = rc_check_array(coefs_obj, "optim_step: coefs", NPY_FLOAT64, 2);
    if (!coefs) return NULL;
    npy_intp coef_dims[2] = {count, RC_OPTIM_NCOEF};
    if (rc_check_shape(coefs, "optim_step: coefs", 2, coef_dims) < 0) return NULL;
    const double *coef = (const double *)PyArray_DATA(coefs);

    rc_optim_tensor *tensors = PyMem_Calloc(count ? (size_t)count : 1, sizeof *tensors);
    if (!tensors) return PyErr_NoMemory();
    for (Py_ssize_t i = 0; i < count; i++) {
        rc_optim_tensor *t = &tensors[i];
        t->n = -1;
        if (!(t->param = list_item_data(params, i, "params", 1, &t->n))) goto fail;
        if (!(t->grad = list_item_data(grads, i, "grads", 0, &t->n))) goto fail;
        float **slots[3] = {&t->state0, &t->state1, &t->state2};
        for (int s = 0; s < 3; s++) {
            if (states[s] == Py_None || PyList_GET_ITEM(states[s], i) == Py_None) continue;
            if (!(*slots[s] = list_item_data(states[s], i, state_names[s], 1, &t->n))) goto fail;
        }
        for (int k = 0; k < RC_OPTIM_NCOEF; k++) t->coef[k] = coef[i * RC_OPTIM_NCOEF + k];
    }
    /* Which state slots each kind reads: a missing one would be a NULL dereference in C. */
    for (Py_ssize_t i = 0; i < count; i++) {
        const rc_optim_tensor *t = &tensors[i];
        int need0 = kind != RC_OPTIM_SGD || h.momentum != 0;
        int need1 = kind == RC_OPTIM_ADAM || kind == RC_OPTIM_NADAM || kind == RC_OPTIM_RADAM ||
                    (kind == RC_OPTIM_RMSPROP && h.momentum > 0);
        int need2 = (kind == RC_OPTIM_ADAM && h.amsgrad) || (kind == RC_OPTIM_RMSPROP && h.centered);
        const char *missing = need0 && !t->state0 ? "state0" : need1 && !t->state1 ? "state1"
                            : need2 && !t->state2 ? "state2" : NULL;
        if (missing) {
            PyErr_Format(PyExc_ValueError, "optim_step: %s[%zd] is needed by this optimizer and its options",
                         missing, i);
            goto fail;
        }
    }
    rc_status status;
    Py_BEGIN_ALLOW_THREADS
    status = rc_optim_step((rc_optim_kind)kind, &h, tensors, (int64_t)count);
    Py_END_ALLOW_THREADS
    PyMem_Free(tensors);
    if (rc_raise_status(status, "optim_step") < 0) return NULL;
    Py_RETURN_NONE;
fail:
    PyMem_Free(tensors);
    return NULL;
}

static PyObject *py_sum_of_squares(PyObject *self, PyObject *arg) {
    PyArrayObject *x = rc_check_array(arg, "sum_of_squares: x", NPY_FLOAT32, -1);
    if (!x) return NULL;
    const float *data = RC_DATA_F32(x);
    int64_t n = (int64_t)PyArray_SIZE(x);
    double total;
    Py_BEGIN_ALLOW_THREADS
    total = rc_sum_of_squares(data, n);
    Py_END_ALLOW_THREADS
    return PyFloat_FromDouble(total);
}

PyMethodDef rc_optim_methods[] = {
    {"sum_of_squares", py_sum_of_squares, METH_O,
     "sum_of_squares(x) -> float\nSum of x**2 over a float32 C-contiguous array, accumulated in\n"
     "float64 (gradient norms without NumPy's BLAS threads or a float64 copy)."},
    {"optim_step", (PyCFunction)(void (*)(void))py_optim_step, METH_VARARGS | METH_KEYWORDS,
     "optim_step(kind, params, grads, state0, state1, state2, coefs, **hyperparameters)\n"
     "One fused update of every float32 tensor in `params` (in place) from `grads` and the\n"
     "state lists; coefs is float64 (len(params), 4) of per-tensor step-dependent scalars."},
    {NULL, NULL, 0, NULL},
};
