#define _POSIX_C_SOURCE 200809L
#include "core/thread_buffers.h"

#include <pthread.h>
#include <stdlib.h>

typedef struct {
    rc_thread_buffers owner[RC_BUFFER_OWNERS];
} thread_sets;

static pthread_key_t key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static int key_ok;

static void free_thread_sets(void *p) {
    thread_sets *sets = p;
    for (int o = 0; o < RC_BUFFER_OWNERS; o++)
        for (int i = 0; i < RC_THREAD_BUFFER_SLOTS; i++) free(sets->owner[o].ptr[i]);
    free(sets);
}

static void make_key(void) { key_ok = pthread_key_create(&key, free_thread_sets) == 0; }

rc_thread_buffers *rc_thread_buffers_get(int owner) {
    pthread_once(&key_once, make_key);
    if (!key_ok) return NULL;
    thread_sets *sets = pthread_getspecific(key);
    if (!sets) {
        sets = calloc(1, sizeof *sets);
        if (sets && pthread_setspecific(key, sets) != 0) {
            free(sets);
            sets = NULL;
        }
    }
    return sets ? &sets->owner[owner] : NULL;
}
