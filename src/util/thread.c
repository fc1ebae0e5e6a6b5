/*
 * thread — pthread wrappers. See thread.h.
 */
/* The build defines _GNU_SOURCE (pthread_setname_np); this keeps a hand
 * build of the file working. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "util/thread.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Linux keeps 16 bytes of a thread name, NUL included. */
#define NAME_MAX_LEN 15

static kafc_err_t map_err(int rc)
{
    switch (rc) {
    case 0:
        return KAFC_ERR_NONE;
    case EINVAL:
    case ESRCH:
    case EDEADLK:
        return KAFC_ERR__INVALID_ARG;
    default: /* EAGAIN, ENOMEM: out of resources */
        return KAFC_ERR__NO_MEMORY;
    }
}

kafc_err_t kafc__mutex_init(kafc__mutex_t *mtx)
{
    return map_err(pthread_mutex_init(&mtx->m, NULL));
}

void kafc__mutex_destroy(kafc__mutex_t *mtx)
{
    pthread_mutex_destroy(&mtx->m);
}

void kafc__mutex_lock(kafc__mutex_t *mtx)
{
    if (pthread_mutex_lock(&mtx->m) != 0)
        abort();
}

int kafc__mutex_trylock(kafc__mutex_t *mtx)
{
    return pthread_mutex_trylock(&mtx->m) == 0 ? 0 : -1;
}

void kafc__mutex_unlock(kafc__mutex_t *mtx)
{
    if (pthread_mutex_unlock(&mtx->m) != 0)
        abort();
}

kafc_err_t kafc__cond_init(kafc__cond_t *cond)
{
    pthread_condattr_t attr;
    int rc;

    rc = pthread_condattr_init(&attr);
    if (rc != 0)
        return map_err(rc);
    rc = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    if (rc == 0)
        rc = pthread_cond_init(&cond->c, &attr);
    pthread_condattr_destroy(&attr);
    return map_err(rc);
}

void kafc__cond_destroy(kafc__cond_t *cond)
{
    pthread_cond_destroy(&cond->c);
}

void kafc__cond_signal(kafc__cond_t *cond)
{
    pthread_cond_signal(&cond->c);
}

void kafc__cond_broadcast(kafc__cond_t *cond)
{
    pthread_cond_broadcast(&cond->c);
}

void kafc__cond_wait(kafc__cond_t *cond, kafc__mutex_t *mtx)
{
    if (pthread_cond_wait(&cond->c, &mtx->m) != 0)
        abort();
}

kafc_err_t kafc__cond_timedwait_ms(kafc__cond_t *cond, kafc__mutex_t *mtx, int64_t deadline_ms)
{
    struct timespec ts;
    int rc;

    if (deadline_ms == INT64_MAX) {
        kafc__cond_wait(cond, mtx);
        return KAFC_ERR_NONE;
    }
    if (deadline_ms < 0)
        deadline_ms = 0;
    ts.tv_sec = (time_t)(deadline_ms / 1000);
    ts.tv_nsec = (long)(deadline_ms % 1000) * 1000000L;
    rc = pthread_cond_timedwait(&cond->c, &mtx->m, &ts);
    if (rc == ETIMEDOUT)
        return KAFC_ERR__TIMED_OUT;
    if (rc != 0)
        abort();
    return KAFC_ERR_NONE;
}

/* What a new thread needs before it runs its body. */
struct start {
    kafc__thread_fn_t *fn;
    void *arg;
    char name[NAME_MAX_LEN + 1];
};

/* Names the thread from inside (so its body never sees the old name), then
 * runs the body. */
static void *trampoline(void *p)
{
    struct start st = *(struct start *)p;
    free(p);
    /* A name is a debugging aid: failing to set it is not an error. */
    if (st.name[0])
        (void)pthread_setname_np(pthread_self(), st.name);
    return st.fn(st.arg);
}

kafc_err_t kafc__thread_create(kafc__thread_t *thr, const char *name, kafc__thread_fn_t *fn,
                               void *arg)
{
    sigset_t all, old;
    int rc;
    struct start *st = calloc(1, sizeof(*st));

    if (!st)
        return KAFC_ERR__NO_MEMORY;
    st->fn = fn;
    st->arg = arg;
    if (name != NULL) {
        strncpy(st->name, name, NAME_MAX_LEN);
        st->name[NAME_MAX_LEN] = '\0';
    }
    /* The new thread inherits the creator's mask: block everything for the
     * create, then restore the caller's. */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    rc = pthread_create(&thr->t, NULL, trampoline, st);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        free(st);
        return map_err(rc);
    }
    return KAFC_ERR_NONE;
}

kafc_err_t kafc__thread_join(kafc__thread_t *thr, void **retp)
{
    void *ret = NULL;
    int rc = pthread_join(thr->t, &ret);
    if (rc != 0)
        return map_err(rc);
    if (retp != NULL)
        *retp = ret;
    return KAFC_ERR_NONE;
}
