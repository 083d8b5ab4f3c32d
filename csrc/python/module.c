/* resnetc._C: one module assembled from each area's method table. */
#define RESNETC_BINDING_IMPORTS_ARRAY
#include "python/binding.h"

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "resnetc._C",
    "resnetc's C kernels. Use the resnetc package: these functions trust its argument checks.",
    -1, NULL,
};

PyMODINIT_FUNC PyInit__C(void) {
    import_array();
    PyObject *m = PyModule_Create(&module_def);
    if (!m) return NULL;
    PyMethodDef *tables[] = {rc_core_methods, rc_conv_methods, rc_nn_methods, rc_block_methods, rc_optim_methods,
                             rc_image_methods};
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
        if (PyModule_AddFunctions(m, tables[i]) < 0) {
            Py_DECREF(m);
            return NULL;
        }
    }
    return m;
}
