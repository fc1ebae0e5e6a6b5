/*
 * offsets — the group's offset requests on the I/O thread: OffsetCommit
 * (application commits, auto-commit), OffsetFetch (committed offsets for
 * the application, and start positions of partitions assigned with
 * KAFC_OFFSET_STORED/INVALID). Requests wait in a queue until the group
 * coordinator is known and are retried on coordinator errors until their
 * deadline. Declared in group.h / consumer.h.
 */
#include <stdlib.h>
#include <string.h>

#include "consumer/group.h"
#include "error.h"
#include "proto/proto.h"
#include "util/clock.h"

#define COMMIT_MIN 2
#define COMMIT_MAX 8
#define FETCH_MIN 1
#define FETCH_MAX 7

enum { OP_COMMIT, OP_FETCH };

struct kafc__goffop {
    kafc__goffop_t *next;
    kafc__group_t *g; /* gone once completing with KAFC_ERR__DESTROY */
    kafc_consumer_t *c;
    int kind;
    kafc_topic_partition_list_t *list; /* sorted */
    int64_t deadline;
    kafc__commit_done_t *done;
    void *arg;
};

static void op_finish(kafc__goffop_t *op, kafc_err_t err)
{
    kafc__commit_done_t *done = op->done;
    kafc_consumer_t *c = op->c;
    void *arg = op->arg;
    kafc_topic_partition_list_t *l = op->list;
    free(op);
    done(c, arg, err, l);
}

static void op_queue(kafc__group_t *g, kafc__goffop_t *op)
{
    kafc__goffop_t **pp = &g->ops;
    while (*pp)
        pp = &(*pp)->next;
    op->next = NULL;
    *pp = op;
}

static kafc__goffop_t *op_new(kafc__group_t *g, int kind, kafc_topic_partition_list_t *l,
                              int64_t deadline, kafc__commit_done_t *done, void *arg)
{
    kafc__goffop_t *op = calloc(1, sizeof(*op));
    if (!op)
        return NULL;
    op->g = g;
    op->c = g->c;
    op->kind = kind;
    op->list = l;
    op->deadline = deadline;
    op->done = done;
    op->arg = arg;
    kafc_topic_partition_list_sort(l);
    return op;
}

/* Topic runs of a sorted list: calls fn for each [from, to). */
static int topic_runs(const kafc_topic_partition_list_t *l, int *starts, int max)
{
    int n = 0;
    for (int i = 0; i < l->cnt && n < max; i++)
        if (i == 0 || strcmp(l->elems[i].topic, l->elems[i - 1].topic) != 0)
            starts[n++] = i;
    return n;
}

/* ---- OffsetCommit ------------------------------------------------------------ */

static kafc_err_t commit_encode(kafc__request_t *req, int16_t version, kafc__wbuf_t *w)
{
    kafc__goffop_t *op = req->arg;
    kafc__group_t *g = op->g;
    const kafc_topic_partition_list_t *l = op->list;
    kafc__offset_commit_request_t m;
    kafc__offset_commit_request_init(&m);
    m.group_id = kafc__proto_str(g->c->group_id);
    int member = g->generation >= 0 && g->member_id[0];
    m.generation_id_or_member_epoch = member ? g->generation : -1;
    m.member_id = kafc__proto_str(member ? g->member_id : "");
    m.group_instance_id =
        member && g->instance_id ? kafc__proto_str(g->instance_id) : (kafc__slice_t){NULL, -1};
    m.retention_time_ms = -1;
    int *starts = calloc((size_t)(l->cnt ? l->cnt : 1), sizeof(int));
    kafc__offset_commit_request_topic_t *topics =
        calloc((size_t)(l->cnt ? l->cnt : 1), sizeof(*topics));
    kafc__offset_commit_request_partition_t *parts =
        calloc((size_t)(l->cnt ? l->cnt : 1), sizeof(*parts));
    if (!starts || !topics || !parts) {
        free(starts);
        free(topics);
        free(parts);
        return KAFC_ERR__NO_MEMORY;
    }
    int nt = topic_runs(l, starts, l->cnt);
    for (int t = 0; t < nt; t++) {
        int from = starts[t], to = t + 1 < nt ? starts[t + 1] : l->cnt;
        kafc__offset_commit_request_topic_init(&topics[t]);
        topics[t].name = kafc__proto_str(l->elems[from].topic);
        topics[t].partitions.items = &parts[from];
        topics[t].partitions.count = to - from;
        for (int i = from; i < to; i++) {
            kafc__offset_commit_request_partition_init(&parts[i]);
            parts[i].partition_index = l->elems[i].partition;
            parts[i].committed_offset = l->elems[i].offset;
            parts[i].committed_leader_epoch = l->elems[i].leader_epoch;
            parts[i].committed_metadata =
                kafc__proto_str(l->elems[i].metadata ? l->elems[i].metadata : "");
        }
    }
    m.topics.items = topics;
    m.topics.count = nt;
    kafc_err_t err = kafc__offset_commit_request_encode(&m, version, w);
    free(starts);
    free(topics);
    free(parts);
    return err;
}

static void commit_done(kafc__request_t *req, kafc_err_t err, kafc__rbuf_t *body)
{
    kafc__goffop_t *op = req->arg;
    kafc__group_t *g = op->g;
    kafc_consumer_t *c = g->c;
    if (err == KAFC_ERR__DESTROY) {
        op_finish(op, err);
        return;
    }
    kafc__arena_t a;
    kafc__arena_init(&a);
    kafc__offset_commit_response_t m;
    if (err == KAFC_ERR_NONE)
        err = kafc__offset_commit_response_decode(&m, req->version, body, &a);
    kafc_err_t first = err;
    if (err == KAFC_ERR_NONE) {
        for (int i = 0; i < op->list->cnt; i++)
            op->list->elems[i].err = KAFC_ERR__BAD_MSG; /* unless answered */
        for (int32_t t = 0; t < m.topics.count; t++) {
            const kafc__offset_commit_response_topic_t *tr = &m.topics.items[t];
            char *name =
                strndup((const char *)tr->name.ptr, tr->name.len > 0 ? (size_t)tr->name.len : 0);
            for (int32_t i = 0; name && i < tr->partitions.count; i++) {
                kafc_topic_partition_t *e = kafc_topic_partition_list_find(
                    op->list, name, tr->partitions.items[i].partition_index);
                if (e)
                    e->err = tr->partitions.items[i].error_code;
            }
            free(name);
        }
        for (int i = 0; i < op->list->cnt && !first; i++)
            first = op->list->elems[i].err;
    }
    kafc__arena_destroy(&a);
    if (first != KAFC_ERR_NONE && kafc__group_err_coord(first)) {
        kafc__group_coord_dead(g, first);
        if (kafc__clock_ms() < op->deadline) {
            op_queue(g, op); /* again, once the coordinator is known */
            kafc__consumer_wake_io(c);
            return;
        }
    }
    /* Remember what is committed, so auto-commit skips it next time. */
    kafc__mutex_lock(&c->lock);
    for (int i = 0; i < op->list->cnt; i++) {
        kafc_topic_partition_t *e = &op->list->elems[i];
        kafc__cpart_t *p = e->err ? NULL : kafc__cpart_find(c, e->topic, e->partition);
        if (p && p->assigned)
            p->committed = e->offset;
    }
    kafc__mutex_unlock(&c->lock);
    if (first != KAFC_ERR_NONE)
        kafc__log(&c->client->log, KAFC_LOG_WARNING, "cgrp", "group %s: commit failed: %s",
                  c->group_id, kafc_err_name(first));
    op_finish(op, first);
}

/* ---- OffsetFetch ------------------------------------------------------------- */

static kafc_err_t fetch_encode(kafc__request_t *req, int16_t version, kafc__wbuf_t *w)
{
    kafc__goffop_t *op = req->arg;
    const kafc_topic_partition_list_t *l = op->list;
    kafc__offset_fetch_request_t m;
    kafc__offset_fetch_request_init(&m);
    m.group_id = kafc__proto_str(op->g->c->group_id);
    int *starts = calloc((size_t)(l->cnt ? l->cnt : 1), sizeof(int));
    int32_t *pids = calloc((size_t)(l->cnt ? l->cnt : 1), sizeof(int32_t));
    kafc__offset_fetch_request_topic_t *topics =
        calloc((size_t)(l->cnt ? l->cnt : 1), sizeof(*topics));
    if (!starts || !pids || !topics) {
        free(starts);
        free(pids);
        free(topics);
        return KAFC_ERR__NO_MEMORY;
    }
    int nt = topic_runs(l, starts, l->cnt);
    for (int t = 0; t < nt; t++) {
        int from = starts[t], to = t + 1 < nt ? starts[t + 1] : l->cnt;
        kafc__offset_fetch_request_topic_init(&topics[t]);
        topics[t].name = kafc__proto_str(l->elems[from].topic);
        topics[t].partition_indexes.items = &pids[from];
        topics[t].partition_indexes.count = to - from;
        for (int i = from; i < to; i++)
            pids[i] = l->elems[i].partition;
    }
    m.topics.items = topics;
    m.topics.count = nt;
    m.require_stable = op->g->c->read_committed;
    kafc_err_t err = kafc__offset_fetch_request_encode(&m, version, w);
    free(starts);
    free(pids);
    free(topics);
    return err;
}

static void fetch_done(kafc__request_t *req, kafc_err_t err, kafc__rbuf_t *body)
{
    kafc__goffop_t *op = req->arg;
    kafc__group_t *g = op->g;
    if (err == KAFC_ERR__DESTROY) {
        op_finish(op, err);
        return;
    }
    kafc__arena_t a;
    kafc__arena_init(&a);
    kafc__offset_fetch_response_t m;
    if (err == KAFC_ERR_NONE)
        err = kafc__offset_fetch_response_decode(&m, req->version, body, &a);
    if (err == KAFC_ERR_NONE)
        err = m.error_code;
    if (err == KAFC_ERR_NONE) {
        for (int i = 0; i < op->list->cnt; i++) {
            op->list->elems[i].err = KAFC_ERR_NONE;
            op->list->elems[i].offset = KAFC_OFFSET_INVALID;
        }
        for (int32_t t = 0; t < m.topics.count; t++) {
            const kafc__offset_fetch_response_topic_t *tr = &m.topics.items[t];
            char *name =
                strndup((const char *)tr->name.ptr, tr->name.len > 0 ? (size_t)tr->name.len : 0);
            for (int32_t i = 0; name && i < tr->partitions.count; i++) {
                const kafc__offset_fetch_response_partition_t *pr = &tr->partitions.items[i];
                kafc_topic_partition_t *e =
                    kafc_topic_partition_list_find(op->list, name, pr->partition_index);
                if (!e)
                    continue;
                e->err = pr->error_code;
                if (e->err && !err)
                    err = e->err;
                e->offset = pr->committed_offset >= 0 ? pr->committed_offset : KAFC_OFFSET_INVALID;
                e->leader_epoch = pr->committed_leader_epoch;
                free(e->metadata);
                e->metadata = pr->metadata.len >= 0
                                  ? strndup(pr->metadata.ptr ? (const char *)pr->metadata.ptr : "",
                                            (size_t)pr->metadata.len)
                                  : NULL;
            }
            free(name);
        }
    }
    kafc__arena_destroy(&a);
    if (err != KAFC_ERR_NONE &&
        (kafc__group_err_coord(err) || err == KAFC_ERR_UNSTABLE_OFFSET_COMMIT) &&
        kafc__clock_ms() < op->deadline) {
        if (kafc__group_err_coord(err))
            kafc__group_coord_dead(g, err);
        op_queue(g, op);
        kafc__consumer_wake_io(g->c);
        return;
    }
    op_finish(op, err);
}

/* ---- the queue ------------------------------------------------------------------ */

static void send_op(kafc__group_t *g, kafc__goffop_t *op, kafc__netclient_t *coord)
{
    kafc__request_t *req = op->kind == OP_COMMIT
                               ? kafc__request_new(KAFC__API_OFFSET_COMMIT, COMMIT_MIN, COMMIT_MAX,
                                                   commit_encode, commit_done, op)
                               : kafc__request_new(KAFC__API_OFFSET_FETCH, FETCH_MIN, FETCH_MAX,
                                                   fetch_encode, fetch_done, op);
    if (!req) {
        op_queue(g, op);
        return;
    }
    /* A caller's deadline shorter than request.timeout.ms bounds the
     * request too (INT64_MAX: none). */
    int64_t left = op->deadline == INT64_MAX ? INT64_MAX : op->deadline - kafc__clock_ms();
    if (left < op->c->request_timeout_ms)
        req->timeout_ms = left > 1 ? left : 1;
    kafc__netclient_send(coord, req);
}

/* Start positions from the group for partitions assigned without one. */
static void apply_committed(kafc_consumer_t *c, void *arg, kafc_err_t err,
                            kafc_topic_partition_list_t *l)
{
    kafc__group_t *g = c->grp;
    (void)arg;
    if (g)
        g->fetch_inflight = 0;
    if (err == KAFC_ERR__DESTROY || !l) {
        kafc_topic_partition_list_destroy(l);
        return;
    }
    kafc__mutex_lock(&c->lock);
    for (int i = 0; i < l->cnt; i++) {
        kafc_topic_partition_t *e = &l->elems[i];
        kafc__cpart_t *p = kafc__cpart_find(c, e->topic, e->partition);
        if (!p || !p->assigned || p->state != KAFC__CP_NEED_COMMITTED)
            continue;
        if (err != KAFC_ERR_NONE || e->err != KAFC_ERR_NONE) {
            p->retry_at_ms = kafc__clock_ms() + c->retry_backoff_ms;
            continue;
        }
        if (e->offset >= 0) {
            p->state = KAFC__CP_ACTIVE;
            p->fetch_pos = e->offset;
            p->fetch_epoch = -1;
            p->committed = e->offset;
            atomic_store(&p->app_pos, e->offset);
            kafc__log(&c->client->log, KAFC_LOG_DEBUG, "cgrp",
                      "%s [%d]: starting at committed offset %lld", p->topic, p->partition,
                      (long long)e->offset);
        } else if (c->auto_reset == KAFC__AUTO_OFFSET_RESET_NONE) {
            p->state = KAFC__CP_FAILED;
            kafc__consumer_event(c, p, KAFC_ERR__NO_OFFSET, -1,
                                 "%s [%d]: no committed offset and auto.offset.reset is none",
                                 p->topic, p->partition);
        } else {
            p->state = KAFC__CP_NEED_RESET;
            p->reset_to = c->auto_reset == KAFC__AUTO_OFFSET_RESET_EARLIEST ? KAFC_OFFSET_BEGINNING
                                                                            : KAFC_OFFSET_END;
        }
    }
    kafc__mutex_unlock(&c->lock);
    kafc_topic_partition_list_destroy(l);
    kafc__consumer_wake_io(c);
}

static void autocommit_done(kafc_consumer_t *c, void *arg, kafc_err_t err,
                            kafc_topic_partition_list_t *l)
{
    (void)arg;
    if (c->grp)
        c->grp->autocommit_inflight = 0;
    if (err == KAFC_ERR__DESTROY) {
        kafc_topic_partition_list_destroy(l);
        return;
    }
    kafc__consumer_commit_report(c, err, l);
}

static void otick(void *arg)
{
    (void)arg;
}

void kafc__offsets_run(kafc__group_t *g, int64_t now)
{
    kafc_consumer_t *c = g->c;
    /* Partitions waiting for their committed offset. */
    if (!g->fetch_inflight) {
        kafc_topic_partition_list_t *l = kafc_topic_partition_list_new(0);
        int64_t wait = INT64_MAX;
        kafc__mutex_lock(&c->lock);
        for (kafc__cpart_t *p = c->parts; l && p; p = p->next) {
            if (!p->assigned || p->state != KAFC__CP_NEED_COMMITTED)
                continue;
            if (p->retry_at_ms > now) {
                wait = p->retry_at_ms < wait ? p->retry_at_ms : wait;
                continue;
            }
            kafc_topic_partition_list_add(l, p->topic, p->partition);
        }
        kafc__mutex_unlock(&c->lock);
        if (wait != INT64_MAX)
            kafc__timer_start_at(&c->client->sel, &g->otimer, wait, otick, g);
        kafc__goffop_t *op =
            l && l->cnt ? op_new(g, OP_FETCH, l, INT64_MAX, apply_committed, NULL) : NULL;
        if (op) {
            g->fetch_inflight = 1;
            op_queue(g, op);
        } else {
            kafc_topic_partition_list_destroy(l);
        }
    }
    /* Auto-commit what the application was given. */
    if (c->auto_commit) {
        if (g->next_autocommit_ms == INT64_MAX)
            g->next_autocommit_ms = now + g->auto_commit_interval_ms;
        if (now >= g->next_autocommit_ms && !g->autocommit_inflight) {
            g->next_autocommit_ms = now + g->auto_commit_interval_ms;
            kafc_topic_partition_list_t *l = kafc__consumer_positions_to_commit(c, NULL);
            kafc__goffop_t *op =
                l ? op_new(g, OP_COMMIT, l, now + c->request_timeout_ms, autocommit_done, NULL)
                  : NULL;
            if (op) {
                g->autocommit_inflight = 1;
                op_queue(g, op);
            } else {
                kafc_topic_partition_list_destroy(l);
            }
        }
        kafc__timer_start_at(&c->client->sel, &g->otimer, g->next_autocommit_ms, otick, g);
    }
    /* Send what waits, once the coordinator is known; time out the rest. */
    if (!g->ops)
        return;
    kafc__netclient_t *coord = kafc__group_coordinator(g);
    kafc__goffop_t *list = g->ops;
    g->ops = NULL;
    while (list) {
        kafc__goffop_t *op = list;
        list = op->next;
        if (now >= op->deadline)
            op_finish(op, KAFC_ERR__TIMED_OUT);
        else if (coord)
            send_op(g, op, coord);
        else
            op_queue(g, op);
    }
}

void kafc__offsets_destroy(kafc__group_t *g)
{
    if (g->c->client)
        kafc__timer_stop(&g->c->client->sel, &g->otimer);
    while (g->ops) {
        kafc__goffop_t *op = g->ops;
        g->ops = op->next;
        op_finish(op, KAFC_ERR__DESTROY);
    }
}

void kafc__group_commit(kafc_consumer_t *c, kafc_topic_partition_list_t *offsets,
                        int64_t deadline_ms, kafc__commit_done_t *done, void *arg)
{
    kafc__group_t *g = c->grp;
    kafc__goffop_t *op = g ? op_new(g, OP_COMMIT, offsets, deadline_ms, done, arg) : NULL;
    if (!op) {
        done(c, arg, g ? KAFC_ERR__NO_MEMORY : KAFC_ERR__STATE, offsets);
        return;
    }
    op_queue(g, op);
    kafc__offsets_run(g, kafc__clock_ms());
}

void kafc__group_committed(kafc_consumer_t *c, kafc_topic_partition_list_t *partitions,
                           int64_t deadline_ms, kafc__commit_done_t *done, void *arg)
{
    kafc__group_t *g = c->grp;
    kafc__goffop_t *op = g ? op_new(g, OP_FETCH, partitions, deadline_ms, done, arg) : NULL;
    if (!op) {
        done(c, arg, g ? KAFC_ERR__NO_MEMORY : KAFC_ERR__STATE, partitions);
        return;
    }
    op_queue(g, op);
    kafc__offsets_run(g, kafc__clock_ms());
}

void kafc__group_fetch_committed(kafc_consumer_t *c)
{
    if (c->grp)
        kafc__offsets_run(c->grp, kafc__clock_ms());
}

void kafc__group_rebalance_done(kafc_consumer_t *c, int32_t gen)
{
    (void)gen;
    if (c->grp && c->grp->waiting_app > 0)
        c->grp->waiting_app--;
}
