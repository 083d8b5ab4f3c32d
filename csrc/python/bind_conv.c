#include "python/binding.h"

PyMethodDef rc_conv_methods[] = {
    {NULL, NULL, 0, NULL},
};
