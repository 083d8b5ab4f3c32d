#include "python/binding.h"

PyMethodDef rc_optim_methods[] = {
    {NULL, NULL, 0, NULL},
};
