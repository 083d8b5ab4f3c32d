/* Machine-wide settings: instruction set and thread count. */
#include "python/binding.h"

#include <omp.h>
#include <stdlib.h>

#include "core/cpu_features.h"

static PyObject *py_get_isa(PyObject *self, PyObject *noargs) {
    return PyUnicode_FromString(rc_isa_name(rc_isa_active()));
}

static PyObject *py_supported_isas(PyObject *self, PyObject *noargs) {
    rc_isa best = rc_isa_supported();
    PyObject *list = PyList_New(0);
    for (int isa = RC_ISA_GENERIC; list && isa <= (int)best; isa++) {
        PyObject *name = PyUnicode_FromString(rc_isa_name((rc_isa)isa));
        if (!name || PyList_Append(list, name) < 0) Py_CLEAR(list);
        Py_XDECREF(name);
    }
    return list;
}

static PyObject *py_set_isa(PyObject *self, PyObject *arg) {
    const char *name = PyUnicode_AsUTF8(arg);
    if (!name) return NULL;
    int isa = rc_isa_from_name(name);
    if (isa < 0) {
        PyErr_Format(PyExc_ValueError, "unknown ISA '%s': expected one of 'generic', 'avx2', 'avx512'", name);
        return NULL;
    }
    if (rc_isa_set((rc_isa)isa) < 0) {
        PyErr_Format(PyExc_ValueError, "this CPU does not support ISA '%s' (best: '%s')", name,
                     rc_isa_name(rc_isa_supported()));
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *py_set_num_threads(PyObject *self, PyObject *arg) {
    long n = PyLong_AsLong(arg);
    if (n == -1 && PyErr_Occurred()) return NULL;
    if (n < 1) {
        PyErr_Format(PyExc_ValueError, "number of threads must be >= 1, got %ld", n);
        return NULL;
    }
    omp_set_num_threads((int)n);
    Py_RETURN_NONE;
}

static PyObject *py_get_num_threads(PyObject *self, PyObject *noargs) {
    return PyLong_FromLong(omp_get_max_threads());
}

PyMethodDef rc_core_methods[] = {
    {"get_isa", py_get_isa, METH_NOARGS, "The instruction set the kernels use now."},
    {"supported_isas", py_supported_isas, METH_NOARGS, "Instruction sets this machine can run, lowest first."},
    {"set_isa", py_set_isa, METH_O, "Use the given instruction set ('generic', 'avx2', 'avx512')."},
    {"set_num_threads", py_set_num_threads, METH_O, "Threads used by the kernels."},
    {"get_num_threads", py_get_num_threads, METH_NOARGS, "Threads used by the kernels."},
    {NULL, NULL, 0, NULL},
};
