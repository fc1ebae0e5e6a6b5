/*
 * calls — the consumer API calls that need the I/O thread: commit,
 * committed, offsets for times, watermarks, subscribe/unsubscribe. Each is
 * a client op (kafc__consumer_call); the calling thread waits for it on
 * c->cond unless it is asynchronous. Part of the consumer module
 * (consumer.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consumer/consumer.h"
#include "util/clock.h"

/* ---- calls into the I/O thread ----------------------------------------------------- */

typedef struct call {
    kafc__op_t op;
    kafc_consumer_t *c;
    enum kafc__call_kind kind;
    atomic_int refs; /* the caller's and the I/O thread's */
    int async;
    kafc_topic_partition_list_t *list; /* in/out; owned by the call */
    int64_t deadline;
    int pending; /* CALL_LIST_OFFSETS: answers still due (I/O thread) */
    int done;    /* under c->lock */
    kafc_err_t err;
} call_t;

static void call_unref(call_t *k)
{
    if (atomic_fetch_sub(&k->refs, 1) != 1)
        return;
    kafc_topic_partition_list_destroy(k->list);
    free(k);
}

/* The commit callback for an asynchronous (or automatic) commit. */
typedef struct commit_ev {
    kafc__event_t ev;
    kafc_consumer_t *c;
    kafc_err_t err;
    kafc_topic_partition_list_t *list;
} commit_ev_t;

static void commit_ev_serve(kafc_client_t *cl, kafc__event_t *ev)
{
    commit_ev_t *e = (commit_ev_t *)ev;
    (void)cl;
    if (e->c->cbs->commit_cb)
        e->c->cbs->commit_cb(e->c, e->err, e->list, e->c->cbs->opaque);
    kafc_topic_partition_list_destroy(e->list);
    free(e);
}

static void commit_ev_drop(kafc_client_t *cl, kafc__event_t *ev)
{
    commit_ev_t *e = (commit_ev_t *)ev;
    (void)cl;
    kafc_topic_partition_list_destroy(e->list);
    free(e);
}

void kafc__consumer_commit_report(kafc_consumer_t *c, kafc_err_t err,
                                  kafc_topic_partition_list_t *list)
{
    commit_ev_t *e = c->cbs->commit_cb ? calloc(1, sizeof(*e)) : NULL;
    if (!e) {
        kafc_topic_partition_list_destroy(list);
        return;
    }
    e->ev.serve = commit_ev_serve;
    e->ev.drop = commit_ev_drop;
    e->ev.count = 1;
    e->c = c;
    e->err = err;
    e->list = list;
    kafc__client_push_event(c->client, &e->ev);
}

static void call_finish(call_t *k, kafc_err_t err)
{
    kafc_consumer_t *c = k->c;
    if (k->async) {
        kafc__consumer_commit_report(c, err, k->list);
        k->list = NULL;
    }
    kafc__mutex_lock(&c->lock);
    k->err = err;
    k->done = 1;
    kafc__cond_broadcast(&c->cond);
    kafc__mutex_unlock(&c->lock);
    call_unref(k);
}

static void call_list_done(kafc_consumer_t *c, void *arg, kafc_err_t err,
                           kafc_topic_partition_list_t *list)
{
    call_t *k = arg;
    (void)c;
    kafc_topic_partition_list_destroy(k->list);
    k->list = list;
    call_finish(k, err);
}

/* One ListOffsets answer fewer to wait for; finishes at zero. */
static void lo_step(call_t *k)
{
    if (--k->pending > 0)
        return;
    kafc_err_t first = KAFC_ERR_NONE;
    for (int i = 0; i < k->list->cnt && !first; i++)
        first = k->list->elems[i].err;
    call_finish(k, first);
}

static void lo_answer(call_t *k, kafc_err_t err, int64_t offset, int idx)
{
    kafc_topic_partition_t *e = &k->list->elems[idx];
    e->err = err;
    e->offset = err ? KAFC_OFFSET_INVALID : offset;
    lo_step(k);
}

/* kafc__lo_cb_t carries one pointer: each answer gets a small slot. */
typedef struct lo_slot {
    call_t *k;
    int idx;
} lo_slot_t;

static void lo_slot_cb(void *arg, kafc_err_t err, int64_t offset, int64_t timestamp)
{
    lo_slot_t *s = arg;
    call_t *k = s->k;
    int idx = s->idx;
    (void)timestamp;
    free(s);
    lo_answer(k, err, offset, idx);
}

static void call_run(kafc_client_t *cl, kafc__op_t *op, int destroying)
{
    call_t *k = (call_t *)op;
    kafc_consumer_t *c = k->c;
    (void)cl;
    if (destroying) {
        call_finish(k, KAFC_ERR__DESTROY);
        return;
    }
    kafc_topic_partition_list_t *l = k->list;
    switch (k->kind) {
    case CALL_COMMIT:
        k->list = NULL;
        kafc__group_commit(c, l, k->deadline, call_list_done, k);
        return;
    case CALL_COMMITTED:
        k->list = NULL;
        kafc__group_committed(c, l, k->deadline, call_list_done, k);
        return;
    case CALL_LEAVE:
        kafc__group_leave(c, k->deadline, call_list_done, k);
        return;
    case CALL_SUBSCRIBE:
        kafc__group_subscription_changed(c);
        call_finish(k, KAFC_ERR_NONE);
        return;
    case CALL_LIST_OFFSETS:
        k->pending = 1; /* held until every request is out */
        for (int i = 0; i < l->cnt; i++) {
            lo_slot_t *s = malloc(sizeof(*s));
            if (!s) {
                l->elems[i].err = KAFC_ERR__NO_MEMORY;
                continue;
            }
            s->k = k;
            s->idx = i;
            k->pending++;
            kafc__fetcher_list_offset(c, l->elems[i].topic, l->elems[i].partition,
                                      l->elems[i].offset, k->deadline, lo_slot_cb, s);
        }
        lo_step(k); /* releases the hold */
        return;
    }
}

/* Runs a call on the I/O thread; waits for it unless async. Takes list.
 * Returns the call's error; *outp (may be NULL) gets the resulting list. */
kafc_err_t kafc__consumer_call(kafc_consumer_t *c, enum kafc__call_kind kind,
                               kafc_topic_partition_list_t *list, int timeout_ms, int async,
                               kafc_topic_partition_list_t **outp)
{
    call_t *k = calloc(1, sizeof(*k));
    if (!k) {
        kafc_topic_partition_list_destroy(list);
        return kafc__consumer_set_err(c, KAFC_ERR__NO_MEMORY, NULL);
    }
    k->op.run = call_run;
    k->c = c;
    k->kind = kind;
    k->async = async;
    k->list = list;
    k->deadline = kafc__deadline_ms(timeout_ms);
    atomic_init(&k->refs, 2);
    kafc__client_submit(c->client, &k->op);
    if (async) {
        call_unref(k);
        return KAFC_ERR_NONE;
    }
    /* The I/O side completes by the deadline; the margin covers a busy
     * loop. Serving events meanwhile would run callbacks out of poll, so
     * they wait. */
    int64_t bound = k->deadline == INT64_MAX ? INT64_MAX : k->deadline + 5000;
    kafc__mutex_lock(&c->lock);
    while (!k->done)
        if (kafc__cond_timedwait_ms(&c->cond, &c->lock, bound) == KAFC_ERR__TIMED_OUT)
            break;
    int done = k->done;
    kafc_err_t err = k->err;
    kafc__mutex_unlock(&c->lock);
    if (!done)
        err = KAFC_ERR__TIMED_OUT;
    if (outp && done) {
        *outp = k->list;
        k->list = NULL;
    }
    call_unref(k);
    return err;
}

/* ---- offsets ------------------------------------------------------------------------- */

static kafc_err_t need_group(kafc_consumer_t *c, const char *what)
{
    if (!c->group_id)
        return kafc__consumer_set_err(c, KAFC_ERR__STATE, "%s needs group.id", what);
    return KAFC_ERR_NONE;
}

/* A copy of offsets to commit, or the positions when offsets is NULL.
 * In a group only assigned partitions may be committed. */
static kafc_err_t commit_list(kafc_consumer_t *c, const kafc_topic_partition_list_t *offsets,
                              kafc_topic_partition_list_t **outp)
{
    *outp = NULL;
    if (need_group(c, "commit"))
        return c->last_err;
    if (!offsets) {
        *outp = kafc__consumer_positions_to_commit(c, NULL);
        return *outp ? KAFC_ERR_NONE
                     : kafc__consumer_set_err(c, KAFC_ERR__NO_OFFSET, "no new position to commit");
    }
    if (kafc__consumer_check_list(c, offsets))
        return c->last_err;
    if (offsets->cnt == 0)
        return kafc__consumer_set_err(c, KAFC_ERR__NO_OFFSET, "empty offset list");
    kafc__mutex_lock(&c->lock);
    for (int i = 0; c->subscribed && i < offsets->cnt; i++) {
        kafc__cpart_t *p =
            kafc__cpart_find(c, offsets->elems[i].topic, offsets->elems[i].partition);
        if (!p || !p->assigned) {
            kafc__mutex_unlock(&c->lock);
            return kafc__consumer_set_err(
                c, KAFC_ERR__INVALID_ARG,
                "%s [%d] is not assigned to this group member: not committed",
                offsets->elems[i].topic, offsets->elems[i].partition);
        }
    }
    kafc__mutex_unlock(&c->lock);
    for (int i = 0; i < offsets->cnt; i++)
        if (offsets->elems[i].offset < 0)
            return kafc__consumer_set_err(c, KAFC_ERR__INVALID_ARG,
                                          "%s [%d]: cannot commit offset %lld",
                                          offsets->elems[i].topic, offsets->elems[i].partition,
                                          (long long)offsets->elems[i].offset);
    *outp = kafc_topic_partition_list_copy(offsets);
    return *outp ? KAFC_ERR_NONE : kafc__consumer_set_err(c, KAFC_ERR__NO_MEMORY, NULL);
}

/* Copies per-partition results from src into dst (same topic/partition). */
static void copy_results(kafc_topic_partition_list_t *dst, const kafc_topic_partition_list_t *src,
                         int offsets_too)
{
    for (int i = 0; dst && src && i < dst->cnt; i++) {
        kafc_topic_partition_t *d = &dst->elems[i];
        const kafc_topic_partition_t *s =
            kafc_topic_partition_list_find(src, d->topic, d->partition);
        if (!s)
            continue;
        d->err = s->err;
        if (offsets_too) {
            d->offset = s->offset;
            d->leader_epoch = s->leader_epoch;
            free(d->metadata);
            d->metadata = s->metadata ? strdup(s->metadata) : NULL;
        }
    }
}

kafc_err_t kafc__consumer_first_err(const kafc_topic_partition_list_t *l)
{
    for (int i = 0; l && i < l->cnt; i++)
        if (l->elems[i].err)
            return l->elems[i].err;
    return KAFC_ERR_NONE;
}

KAFC_EXTERN kafc_err_t kafc_commit(kafc_consumer_t *c, kafc_topic_partition_list_t *offsets)
{
    if (!c)
        return KAFC_ERR__INVALID_ARG;
    kafc_topic_partition_list_t *l, *out = NULL;
    if (commit_list(c, offsets, &l))
        return c->last_err;
    kafc_err_t err = kafc__consumer_call(c, CALL_COMMIT, l, (int)c->request_timeout_ms, 0, &out);
    copy_results(offsets, out, 0);
    if (!err)
        err = kafc__consumer_first_err(out);
    kafc_topic_partition_list_destroy(out);
    return err ? kafc__consumer_set_err(c, err, "commit failed: %s", kafc_err_str(err))
               : KAFC_ERR_NONE;
}

KAFC_EXTERN kafc_err_t kafc_commit_async(kafc_consumer_t *c,
                                         const kafc_topic_partition_list_t *offsets)
{
    if (!c)
        return KAFC_ERR__INVALID_ARG;
    kafc_topic_partition_list_t *l;
    if (commit_list(c, offsets, &l))
        return c->last_err;
    return kafc__consumer_call(c, CALL_COMMIT, l, (int)c->request_timeout_ms, 1, NULL);
}

KAFC_EXTERN kafc_err_t kafc_committed(kafc_consumer_t *c, kafc_topic_partition_list_t *parts,
                                      int timeout_ms)
{
    if (!c || !parts)
        return KAFC_ERR__INVALID_ARG;
    if (need_group(c, "kafc_committed") || kafc__consumer_check_list(c, parts))
        return c->last_err;
    kafc_topic_partition_list_t *l = kafc_topic_partition_list_copy(parts), *out = NULL;
    if (!l)
        return kafc__consumer_set_err(c, KAFC_ERR__NO_MEMORY, NULL);
    kafc_err_t err = kafc__consumer_call(c, CALL_COMMITTED, l, timeout_ms, 0, &out);
    copy_results(parts, out, 1);
    kafc_topic_partition_list_destroy(out);
    return err ? kafc__consumer_set_err(c, err, "committed offsets: %s", kafc_err_str(err))
               : KAFC_ERR_NONE;
}

KAFC_EXTERN kafc_err_t kafc_offsets_for_times(kafc_consumer_t *c,
                                              kafc_topic_partition_list_t *parts, int timeout_ms)
{
    if (!c || !parts)
        return KAFC_ERR__INVALID_ARG;
    if (kafc__consumer_check_list(c, parts))
        return c->last_err;
    kafc_topic_partition_list_t *l = kafc_topic_partition_list_copy(parts), *out = NULL;
    if (!l)
        return kafc__consumer_set_err(c, KAFC_ERR__NO_MEMORY, NULL);
    kafc_err_t err = kafc__consumer_call(c, CALL_LIST_OFFSETS, l, timeout_ms, 0, &out);
    for (int i = 0; out && i < parts->cnt && i < out->cnt; i++) {
        parts->elems[i].err = out->elems[i].err;
        parts->elems[i].offset = out->elems[i].offset;
    }
    kafc_topic_partition_list_destroy(out);
    return err ? kafc__consumer_set_err(c, err, "offsets for times: %s", kafc_err_str(err))
               : KAFC_ERR_NONE;
}

KAFC_EXTERN kafc_err_t kafc_query_watermark_offsets(kafc_consumer_t *c, const char *topic,
                                                    int32_t partition, int64_t *low, int64_t *high,
                                                    int timeout_ms)
{
    if (!c || !topic || !*topic || partition < 0)
        return KAFC_ERR__INVALID_ARG;
    kafc_topic_partition_list_t *l = kafc_topic_partition_list_new(2), *out = NULL;
    if (!l || !kafc_topic_partition_list_add(l, topic, partition) ||
        !kafc_topic_partition_list_add(l, topic, partition)) {
        kafc_topic_partition_list_destroy(l);
        return kafc__consumer_set_err(c, KAFC_ERR__NO_MEMORY, NULL);
    }
    l->elems[0].offset = -2; /* earliest */
    l->elems[1].offset = -1; /* latest */
    kafc_err_t err = kafc__consumer_call(c, CALL_LIST_OFFSETS, l, timeout_ms, 0, &out);
    if (!err && out) {
        if (low)
            *low = out->elems[0].offset;
        if (high)
            *high = out->elems[1].offset;
    }
    kafc_topic_partition_list_destroy(out);
    return err ? kafc__consumer_set_err(c, err, "watermark offsets of %s [%d]: %s", topic,
                                        partition, kafc_err_str(err))
               : KAFC_ERR_NONE;
}

/* ---- subscription --------------------------------------------------------------------- */

void kafc__consumer_sub_clear(kafc_consumer_t *c)
{
    for (int i = 0; i < c->nsub; i++)
        free(c->sub_names[i]);
    for (int i = 0; i < c->nre; i++) {
        regfree(&c->sub_re[i]);
        free(c->sub_re_src[i]);
    }
    free(c->sub_names);
    free(c->sub_re);
    free(c->sub_re_src);
    c->sub_names = NULL;
    c->sub_re = NULL;
    c->sub_re_src = NULL;
    c->nsub = c->nre = 0;
}

KAFC_EXTERN kafc_err_t kafc_subscribe(kafc_consumer_t *c, const char *const *topics, int ntopics,
                                      char *errstr, size_t errstr_size)
{
    char dummy[1];
    if (!errstr || !errstr_size) {
        errstr = dummy;
        errstr_size = sizeof(dummy);
    }
    errstr[0] = '\0';
    if (!c)
        return KAFC_ERR__INVALID_ARG;
    if (!c->group_id) {
        snprintf(errstr, errstr_size, "kafc_subscribe needs group.id");
        return kafc__consumer_set_err(c, KAFC_ERR__STATE, "%s", errstr);
    }
    if (atomic_load(&c->closed)) {
        snprintf(errstr, errstr_size, "the consumer is closed");
        return kafc__consumer_set_err(c, KAFC_ERR__STATE, "%s", errstr);
    }
    if (!topics || ntopics <= 0) {
        snprintf(errstr, errstr_size, "empty subscription (use kafc_unsubscribe)");
        return kafc__consumer_set_err(c, KAFC_ERR__INVALID_ARG, "%s", errstr);
    }
    char **names = calloc((size_t)ntopics, sizeof(*names));
    char **srcs = calloc((size_t)ntopics, sizeof(*srcs));
    regex_t *res = calloc((size_t)ntopics, sizeof(*res));
    int nn = 0, nr = 0;
    kafc_err_t err = KAFC_ERR_NONE;
    if (!names || !srcs || !res)
        err = KAFC_ERR__NO_MEMORY;
    for (int i = 0; !err && i < ntopics; i++) {
        const char *t = topics[i];
        if (!t || !*t) {
            snprintf(errstr, errstr_size, "topic %d is empty", i);
            err = KAFC_ERR__INVALID_ARG;
        } else if (t[0] == '^') {
            int rc = regcomp(&res[nr], t, REG_EXTENDED | REG_NOSUB);
            if (rc != 0) {
                char why[128];
                regerror(rc, &res[nr], why, sizeof(why));
                snprintf(errstr, errstr_size, "invalid regular expression \"%s\": %s", t, why);
                err = KAFC_ERR__INVALID_ARG;
            } else if (!(srcs[nr++] = strdup(t))) {
                err = KAFC_ERR__NO_MEMORY;
            }
        } else if (!(names[nn++] = strdup(t))) {
            err = KAFC_ERR__NO_MEMORY;
        }
    }
    if (!err) {
        kafc__mutex_lock(&c->lock);
        if (c->manual) {
            snprintf(errstr, errstr_size, "a manual assignment is in place (kafc_assign)");
            err = KAFC_ERR__STATE;
        } else {
            kafc__consumer_sub_clear(c);
            c->sub_names = names;
            c->nsub = nn;
            c->sub_re = res;
            c->sub_re_src = srcs;
            c->nre = nr;
            c->subscribed = 1;
            atomic_fetch_add(&c->sub_version, 1);
            names = NULL;
            srcs = NULL;
            res = NULL;
            nn = nr = 0;
        }
        kafc__mutex_unlock(&c->lock);
    }
    for (int i = 0; i < nn; i++)
        free(names ? names[i] : NULL);
    for (int i = 0; res && i < nr; i++) {
        regfree(&res[i]);
        free(srcs[i]);
    }
    free(names);
    free(srcs);
    free(res);
    if (err) {
        if (!errstr[0])
            snprintf(errstr, errstr_size, "%s", kafc_err_str(err));
        return kafc__consumer_set_err(c, err, "%s", errstr);
    }
    return kafc__consumer_call(c, CALL_SUBSCRIBE, NULL, -1, 0, NULL);
}

KAFC_EXTERN kafc_topic_partition_list_t *kafc_subscription(kafc_consumer_t *c)
{
    if (!c)
        return NULL;
    kafc__mutex_lock(&c->lock);
    kafc_topic_partition_list_t *l = NULL;
    if (c->subscribed && (l = kafc_topic_partition_list_new(c->nsub + c->nre))) {
        for (int i = 0; i < c->nsub; i++)
            kafc_topic_partition_list_add(l, c->sub_names[i], -1);
        for (int i = 0; i < c->nre; i++)
            kafc_topic_partition_list_add(l, c->sub_re_src[i], -1);
    }
    kafc__mutex_unlock(&c->lock);
    return l;
}

/* Gives up the whole group assignment on this thread: commits positions
 * (auto-commit), tells the rebalance callback, unassigns. */
void kafc__consumer_revoke_all(kafc_consumer_t *c)
{
    kafc_topic_partition_list_t *l = kafc__consumer_assignment(c);
    if (l && l->cnt > 0) {
        if (c->auto_commit)
            kafc__consumer_commit_positions(c, l);
        if (c->cbs->rebalance_cb)
            c->cbs->rebalance_cb(c, KAFC_REBALANCE_REVOKED, l, c->cbs->opaque);
        kafc__mutex_lock(&c->lock);
        kafc__consumer_assign_remove(c, l);
        kafc__mutex_unlock(&c->lock);
    }
    kafc_topic_partition_list_destroy(l);
}

void kafc__consumer_commit_positions(kafc_consumer_t *c, const kafc_topic_partition_list_t *only)
{
    kafc_topic_partition_list_t *pos = kafc__consumer_positions_to_commit(c, only), *out = NULL;
    if (!pos)
        return;
    kafc__consumer_call(c, CALL_COMMIT, pos, (int)c->request_timeout_ms, 0, &out);
    kafc_topic_partition_list_destroy(out);
}

KAFC_EXTERN kafc_err_t kafc_unsubscribe(kafc_consumer_t *c)
{
    if (!c)
        return KAFC_ERR__INVALID_ARG;
    kafc__mutex_lock(&c->lock);
    int was = c->subscribed;
    kafc__mutex_unlock(&c->lock);
    if (!was)
        return KAFC_ERR_NONE;
    kafc__consumer_revoke_all(c);
    kafc__mutex_lock(&c->lock);
    kafc__consumer_sub_clear(c);
    c->subscribed = 0;
    atomic_fetch_add(&c->sub_version, 1);
    kafc__mutex_unlock(&c->lock);
    return kafc__consumer_call(c, CALL_SUBSCRIBE, NULL, -1, 0, NULL);
}
