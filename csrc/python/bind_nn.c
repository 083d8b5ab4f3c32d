#include "python/binding.h"

PyMethodDef rc_nn_methods[] = {
    {NULL, NULL, 0, NULL},
};
