/* Per-thread scratch buffers (see scratch.h), owned through a pthread key whose destructor
 * frees them when the thread exits (DataLoader worker threads come and go). */
#define _POSIX_C_SOURCE 200809L
#include "image/scratch.h"

#include <pthread.h>
#include <stdlib.h>

typedef struct {
    void *ptr[RC_SCRATCH_SLOTS];
    size_t cap[RC_SCRATCH_SLOTS];
} thread_scratch;

static pthread_key_t key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static int key_ok;

static void free_thread_scratch(void *p) {
    thread_scratch *s = p;
    for (int i = 0; i < RC_SCRATCH_SLOTS; i++) free(s->ptr[i]);
    free(s);
}

static void make_key(void) { key_ok = pthread_key_create(&key, free_thread_scratch) == 0; }

static thread_scratch *this_thread(void) {
    pthread_once(&key_once, make_key);
    if (!key_ok) return NULL;
    thread_scratch *s = pthread_getspecific(key);
    if (!s) {
        s = calloc(1, sizeof *s);
        if (s && pthread_setspecific(key, s) != 0) {
            free(s);
            s = NULL;
        }
    }
    return s;
}

void *rc_scratch_acquire(int slot, size_t size) {
    if (size == 0) size = 1;
    thread_scratch *s = size <= RC_SCRATCH_KEEP ? this_thread() : NULL;
    if (!s) return malloc(size);
    if (s->cap[slot] < size) {
        free(s->ptr[slot]);
        s->ptr[slot] = malloc(size);
        s->cap[slot] = s->ptr[slot] ? size : 0;
    }
    return s->ptr[slot];
}

void rc_scratch_release(int slot, void *ptr) {
    if (!ptr) return;
    pthread_once(&key_once, make_key);
    thread_scratch *s = key_ok ? pthread_getspecific(key) : NULL;
    if (!s || s->ptr[slot] != ptr) free(ptr);
}
