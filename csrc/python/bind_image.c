#include "python/binding.h"

PyMethodDef rc_image_methods[] = {
    {NULL, NULL, 0, NULL},
};
