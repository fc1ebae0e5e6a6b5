/*
 * assignor — input validation, member ordering, range and roundrobin, and
 * the result; the sticky assignors are in assignor_sticky.c.
 */
#include "consumer/assignor.h"

#include <stdlib.h>
#include <string.h>

const char *kafc__assignor_name(kafc__assignor_type_t type)
{
    switch (type) {
    case KAFC__ASSIGNOR_RANGE:
        return "range";
    case KAFC__ASSIGNOR_ROUNDROBIN:
        return "roundrobin";
    case KAFC__ASSIGNOR_STICKY:
        return "sticky";
    case KAFC__ASSIGNOR_COOPERATIVE_STICKY:
        return "cooperative-sticky";
    }
    return NULL;
}

int kafc__assignor_is_cooperative(kafc__assignor_type_t type)
{
    return type == KAFC__ASSIGNOR_COOPERATIVE_STICKY;
}

static int topic_cmp(const void *a, const void *b)
{
    return strcmp(((const kafc__asg_topic_t *)a)->topic, ((const kafc__asg_topic_t *)b)->topic);
}

/* Sorted topic index of name, or -1. */
static int topic_find(const kafc__asg_ctx_t *ctx, const char *name)
{
    int lo = 0, hi = ctx->nt - 1;

    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        int c = strcmp(name, ctx->topics[mid].topic);
        if (c == 0)
            return mid;
        if (c < 0)
            hi = mid - 1;
        else
            lo = mid + 1;
    }
    return -1;
}

int32_t kafc__assignor_tp_index(const kafc__asg_ctx_t *ctx, const kafc__asg_tp_t *tp)
{
    int t;

    if (!tp->topic)
        return -1;
    t = topic_find(ctx, tp->topic);
    if (t < 0 || tp->partition < 0 || tp->partition >= ctx->topics[t].partition_cnt)
        return -1;
    return ctx->tbase[t] + tp->partition;
}

int kafc__assignor_topic_of(const kafc__asg_ctx_t *ctx, int32_t pidx)
{
    int lo = 0, hi = ctx->nt - 1;

    /* the last topic whose base is <= pidx: it cannot be empty */
    while (lo < hi) {
        int mid = lo + (hi - lo + 1) / 2;
        if (ctx->tbase[mid] <= pidx)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

/* Java's MemberInfo.compareTo: static members first, by instance id, then
 * the dynamic ones by member id. qsort needs the member array: sort pairs. */
typedef struct {
    const kafc__asg_member_t *m;
    int idx;
} mref_t;

static int member_cmp(const void *a, const void *b)
{
    const kafc__asg_member_t *x = ((const mref_t *)a)->m, *y = ((const mref_t *)b)->m;
    int c;

    if (x->instance_id && y->instance_id) {
        c = strcmp(x->instance_id, y->instance_id);
        if (c)
            return c;
    } else if (x->instance_id) {
        return -1;
    } else if (y->instance_id) {
        return 1;
    }
    /* equal instance ids (invalid anyway) fall back on member id: total order */
    return strcmp(x->member_id, y->member_id);
}

static int member_id_cmp(const void *a, const void *b)
{
    return strcmp(((const mref_t *)a)->m->member_id, ((const mref_t *)b)->m->member_id);
}

static void ctx_free(kafc__asg_ctx_t *ctx)
{
    free((void *)ctx->topics);
    free(ctx->tbase);
    free(ctx->tsubs);
    free(ctx->sub);
    free(ctx->order);
    free(ctx->rank);
    free(ctx->owner);
}

static kafc_err_t check_args(const kafc__asg_member_t *members, int nmembers,
                             const kafc__asg_topic_t *topics, int ntopics)
{
    if (nmembers < 0 || ntopics < 0 || (nmembers && !members) || (ntopics && !topics))
        return KAFC_ERR__INVALID_ARG;
    for (int i = 0; i < ntopics; i++)
        if (!topics[i].topic || !*topics[i].topic || topics[i].partition_cnt < 0)
            return KAFC_ERR__INVALID_ARG;
    for (int i = 0; i < nmembers; i++) {
        const kafc__asg_member_t *m = &members[i];
        if (!m->member_id || !*m->member_id || m->ntopics < 0 || m->nowned < 0 ||
            (m->ntopics && !m->topics) || (m->nowned && !m->owned))
            return KAFC_ERR__INVALID_ARG;
        for (int j = 0; j < m->ntopics; j++)
            if (!m->topics[j])
                return KAFC_ERR__INVALID_ARG;
    }
    return KAFC_ERR_NONE;
}

/* Builds everything but the assignment; on error the caller frees ctx. */
static kafc_err_t ctx_init(kafc__asg_ctx_t *ctx, const kafc__asg_member_t *members, int nm,
                           const kafc__asg_topic_t *topics, int nt)
{
    kafc__asg_topic_t *st;
    mref_t *refs;
    int64_t np = 0;

    memset(ctx, 0, sizeof(*ctx));
    ctx->members = members;
    ctx->nm = nm;
    ctx->nt = nt;
    st = malloc(sizeof(*st) * (size_t)(nt ? nt : 1));
    ctx->topics = st;
    ctx->tbase = malloc(sizeof(*ctx->tbase) * (size_t)(nt + 1));
    ctx->tsubs = calloc((size_t)(nt ? nt : 1), sizeof(*ctx->tsubs));
    ctx->sub = calloc((size_t)(nm && nt ? (size_t)nm * (size_t)nt : 1), 1);
    ctx->order = malloc(sizeof(*ctx->order) * (size_t)(nm ? nm : 1));
    ctx->rank = malloc(sizeof(*ctx->rank) * (size_t)(nm ? nm : 1));
    refs = malloc(sizeof(*refs) * (size_t)(nm ? nm : 1));
    if (!st || !ctx->tbase || !ctx->tsubs || !ctx->sub || !ctx->order || !ctx->rank || !refs) {
        free(refs);
        return KAFC_ERR__NO_MEMORY;
    }

    if (nt)
        memcpy(st, topics, sizeof(*st) * (size_t)nt);
    qsort(st, (size_t)nt, sizeof(*st), topic_cmp);
    for (int i = 0; i < nt; i++) {
        if (i && !strcmp(st[i - 1].topic, st[i].topic)) {
            free(refs);
            return KAFC_ERR__INVALID_ARG;
        }
        ctx->tbase[i] = (int32_t)np;
        np += st[i].partition_cnt;
        if (np > INT32_MAX / 2) {
            free(refs);
            return KAFC_ERR__INVALID_ARG;
        }
    }
    ctx->tbase[nt] = (int32_t)np;
    ctx->np = (int32_t)np;

    for (int i = 0; i < nm; i++) {
        refs[i].m = &members[i];
        refs[i].idx = i;
    }
    qsort(refs, (size_t)nm, sizeof(*refs), member_id_cmp);
    for (int i = 1; i < nm; i++) {
        if (!strcmp(refs[i - 1].m->member_id, refs[i].m->member_id)) {
            free(refs);
            return KAFC_ERR__INVALID_ARG;
        }
    }
    qsort(refs, (size_t)nm, sizeof(*refs), member_cmp);
    for (int i = 0; i < nm; i++) {
        ctx->order[i] = refs[i].idx;
        ctx->rank[refs[i].idx] = i;
    }
    free(refs);

    for (int m = 0; m < nm; m++) {
        for (int j = 0; j < members[m].ntopics; j++) {
            int t = topic_find(ctx, members[m].topics[j]);
            if (t < 0 || st[t].partition_cnt == 0)
                continue; /* no metadata: skipped, as Java does */
            if (!ctx->sub[(size_t)m * (size_t)nt + (size_t)t]) {
                ctx->sub[(size_t)m * (size_t)nt + (size_t)t] = 1;
                ctx->tsubs[t]++;
            }
        }
    }

    ctx->owner = malloc(sizeof(*ctx->owner) * (size_t)(np ? np : 1));
    if (!ctx->owner)
        return KAFC_ERR__NO_MEMORY;
    for (int32_t p = 0; p < ctx->np; p++)
        ctx->owner[p] = -1;
    return KAFC_ERR_NONE;
}

/* RangeAssignor: per topic, its subscribers in member order; the first
 * (n % k) of them get n / k + 1 consecutive partitions, the others n / k. */
static void assign_range(kafc__asg_ctx_t *ctx)
{
    for (int t = 0; t < ctx->nt; t++) {
        int k = ctx->tsubs[t], i = 0;
        int32_t n = ctx->topics[t].partition_cnt, per, extra, start = 0;

        if (!k)
            continue;
        per = n / k;
        extra = n % k;
        for (int r = 0; r < ctx->nm; r++) {
            int m = ctx->order[r];
            int32_t len;
            if (!ctx->sub[(size_t)m * (size_t)ctx->nt + (size_t)t])
                continue;
            len = per + (i < extra ? 1 : 0);
            for (int32_t p = start; p < start + len; p++)
                ctx->owner[ctx->tbase[t] + p] = m;
            start += len;
            i++;
        }
    }
}

/* RoundRobinAssignor: all subscribed partitions by topic then partition, dealt
 * to the members in order by one circular iterator that skips members not
 * subscribed to the partition's topic. */
static void assign_roundrobin(kafc__asg_ctx_t *ctx)
{
    int cur = 0;

    for (int t = 0; t < ctx->nt; t++) {
        if (!ctx->tsubs[t])
            continue;
        for (int32_t p = 0; p < ctx->topics[t].partition_cnt; p++) {
            while (!ctx->sub[(size_t)ctx->order[cur] * (size_t)ctx->nt + (size_t)t])
                cur = (cur + 1) % ctx->nm;
            ctx->owner[ctx->tbase[t] + p] = ctx->order[cur];
            cur = (cur + 1) % ctx->nm;
        }
    }
}

static kafc_err_t build_result(const kafc__asg_ctx_t *ctx, kafc__asg_assignment_t **resultp)
{
    kafc__asg_assignment_t *res = calloc((size_t)ctx->nm, sizeof(*res));
    int t = 0;

    if (!res)
        return KAFC_ERR__NO_MEMORY;
    for (int32_t p = 0; p < ctx->np; p++)
        if (ctx->owner[p] >= 0)
            res[ctx->owner[p]].cnt++;
    for (int m = 0; m < ctx->nm; m++) {
        if (!res[m].cnt)
            continue;
        res[m].tps = malloc(sizeof(*res[m].tps) * (size_t)res[m].cnt);
        if (!res[m].tps) {
            kafc__assignor_result_free(res, ctx->nm);
            return KAFC_ERR__NO_MEMORY;
        }
        res[m].cnt = 0;
    }
    for (int32_t p = 0; p < ctx->np; p++) {
        kafc__asg_assignment_t *a;
        while (ctx->tbase[t + 1] <= p)
            t++;
        if (ctx->owner[p] < 0)
            continue;
        a = &res[ctx->owner[p]];
        a->tps[a->cnt].topic = ctx->topics[t].topic;
        a->tps[a->cnt].partition = p - ctx->tbase[t];
        a->cnt++;
    }
    *resultp = res;
    return KAFC_ERR_NONE;
}

kafc_err_t kafc__assignor_assign(kafc__assignor_type_t type, const kafc__asg_member_t *members,
                                 int nmembers, const kafc__asg_topic_t *topics, int ntopics,
                                 kafc__asg_assignment_t **resultp)
{
    kafc__asg_ctx_t ctx;
    kafc_err_t err;

    if (!resultp || !kafc__assignor_name(type))
        return KAFC_ERR__INVALID_ARG;
    err = check_args(members, nmembers, topics, ntopics);
    if (err)
        return err;
    if (nmembers == 0) {
        *resultp = NULL;
        return KAFC_ERR_NONE;
    }

    err = ctx_init(&ctx, members, nmembers, topics, ntopics);
    if (!err) {
        switch (type) {
        case KAFC__ASSIGNOR_RANGE:
            assign_range(&ctx);
            break;
        case KAFC__ASSIGNOR_ROUNDROBIN:
            assign_roundrobin(&ctx);
            break;
        case KAFC__ASSIGNOR_STICKY:
        case KAFC__ASSIGNOR_COOPERATIVE_STICKY:
            err = kafc__assignor_sticky(&ctx, kafc__assignor_is_cooperative(type));
            break;
        }
    }
    if (!err)
        err = build_result(&ctx, resultp);
    ctx_free(&ctx);
    return err;
}

void kafc__assignor_result_free(kafc__asg_assignment_t *result, int nmembers)
{
    if (!result)
        return;
    for (int i = 0; i < nmembers; i++)
        free(result[i].tps);
    free(result);
}
