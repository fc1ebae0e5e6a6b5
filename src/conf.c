/*
 * conf — parsing, formatting and the public kafc_conf_* functions (see
 * conf.h; the property table is in conf_props.c).
 */
#include "conf.h"

#include <assert.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* One property's value. STR and LIST keep their text in s (owned; NULL
 * while at the default, whose text is the table's def); INT and BOOL keep
 * the number in i, ENUM the index of the value, LIST the mask. */
struct value {
    int64_t i;
    char *s;
    int is_set;
};

struct kafc_conf_s {
    struct value v[KAFC__P__COUNT];
    kafc_log_cb_t *log_cb;
    void *log_opaque;
    kafc__conf_cbs_t cbs; /* plain pointers: copied by dup's memcpy */
};

/* ---- small helpers ------------------------------------------------------- */

/* printf into errstr when the caller gave room; vsnprintf truncates safely
 * and always NUL-terminates. */
static void seterr(char *errstr, size_t errstr_size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void seterr(char *errstr, size_t errstr_size, const char *fmt, ...)
{
    va_list ap;

    if (!errstr || errstr_size == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(errstr, errstr_size, fmt, ap);
    va_end(ap);
}

/* A fixed-size text builder that truncates instead of overflowing. */
struct sbuf {
    char buf[1024];
    size_t len;
};

static void sb_add(struct sbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sb_add(struct sbuf *sb, const char *fmt, ...)
{
    va_list ap;
    size_t room = sizeof(sb->buf) - sb->len;

    if (room <= 1)
        return;
    va_start(ap, fmt);
    int n = vsnprintf(sb->buf + sb->len, room, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    sb->len += (size_t)n < room ? (size_t)n : room - 1;
}

static char *dupstr(const char *s, size_t len)
{
    char *d = malloc(len + 1);
    if (d) {
        memcpy(d, s, len);
        d[len] = '\0';
    }
    return d;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t';
}

/* ---- allowed-value descriptions (errors and docs) ------------------------ */

static void add_values(struct sbuf *sb, const kafc__prop_t *p)
{
    for (size_t i = 0; p->values[i]; i++)
        sb_add(sb, "%s%s", i ? ", " : "", p->values[i]);
}

static void add_aliases(struct sbuf *sb, const kafc__prop_t *p)
{
    if (!p->aliases || !p->aliases[0].alias)
        return;
    sb_add(sb, " (aliases: ");
    for (size_t i = 0; p->aliases[i].alias; i++)
        sb_add(sb, "%s%s = %s", i ? ", " : "", p->aliases[i].alias, p->values[p->aliases[i].index]);
    sb_add(sb, ")");
}

/* What a property accepts, as the end of "expected ...". */
static void expected_text(struct sbuf *sb, const kafc__prop_t *p)
{
    switch (p->type) {
    case KAFC__PT_STR:
        sb_add(sb, "a string");
        break;
    case KAFC__PT_INT:
        sb_add(sb, "an integer in %lld..%lld", (long long)p->min, (long long)p->max);
        break;
    case KAFC__PT_BOOL:
        sb_add(sb, "true or false (also 1/0, yes/no, on/off)");
        break;
    case KAFC__PT_ENUM:
        sb_add(sb, "one of ");
        add_values(sb, p);
        add_aliases(sb, p);
        break;
    case KAFC__PT_LIST:
        sb_add(sb, "a comma-separated list of ");
        if (p->values)
            add_values(sb, p);
        else if (p->list_entries)
            sb_add(sb, "%s", p->list_entries());
        break;
    }
}

/* ---- parsing ------------------------------------------------------------- */

/* Strict decimal: an optional '-', then digits only; no spaces, no '+', no
 * trailing junk; overflow of int64_t is an error. */
static int parse_i64(const char *s, int64_t *out)
{
    const char *p = s;
    int neg = 0;
    uint64_t acc = 0;

    if (*p == '-') {
        neg = 1;
        p++;
    }
    if (*p == '\0')
        return -1;
    uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; *p; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        unsigned d = (unsigned)(*p - '0');
        if (acc > (limit - d) / 10)
            return -1;
        acc = acc * 10 + d;
    }
    if (!neg)
        *out = (int64_t)acc;
    else if (acc == (uint64_t)INT64_MAX + 1)
        *out = INT64_MIN;
    else
        *out = -(int64_t)acc;
    return 0;
}

static int parse_bool(const char *s, int64_t *out)
{
    static const char *const yes[] = {"true", "1", "yes", "on"};
    static const char *const no[] = {"false", "0", "no", "off"};

    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            *out = 1;
            return 0;
        }
        if (strcasecmp(s, no[i]) == 0) {
            *out = 0;
            return 0;
        }
    }
    return -1;
}

/* Index of the value (or alias) matching s[0..len), case-insensitively, or
 * -1. */
static int find_value(const kafc__prop_t *p, const char *s, size_t len)
{
    for (int i = 0; p->values[i]; i++)
        if (strlen(p->values[i]) == len && strncasecmp(p->values[i], s, len) == 0)
            return i;
    for (size_t i = 0; p->aliases && p->aliases[i].alias; i++)
        if (strlen(p->aliases[i].alias) == len && strncasecmp(p->aliases[i].alias, s, len) == 0)
            return p->aliases[i].index;
    return -1;
}

static kafc_err_t invalid(const kafc__prop_t *p, const char *value, const char *why, char *errstr,
                          size_t errstr_size)
{
    struct sbuf sb = {.len = 0};

    sb.buf[0] = '\0';
    expected_text(&sb, p);
    seterr(errstr, errstr_size, "Invalid value \"%s\" for \"%s\": %s%sexpected %s", value, p->name,
           why ? why : "", why ? "; " : "", sb.buf);
    return KAFC_ERR__INVALID_CONFIG_VALUE;
}

/* Splits a comma-separated list into trimmed, non-empty entries: calls
 * fn(entry, len, arg) for each until fn returns non-zero, which is then
 * returned. */
static int each_entry(const char *list, int (*fn)(const char *, size_t, void *), void *arg)
{
    const char *p = list;

    while (*p) {
        while (is_space(*p) || *p == ',')
            p++;
        if (!*p)
            break;
        const char *start = p;
        while (*p && *p != ',')
            p++;
        size_t len = (size_t)(p - start);
        while (len > 0 && is_space(start[len - 1]))
            len--;
        int r = fn(start, len, arg);
        if (r)
            return r;
    }
    return 0;
}

struct list_state {
    const kafc__prop_t *p;
    int64_t mask;
    struct sbuf norm; /* normalised list */
    const char *bad;  /* entry that failed */
    size_t bad_len;
    int dup; /* bad is a duplicate, not unknown */
};

static int list_entry(const char *s, size_t len, void *arg)
{
    struct list_state *st = arg;

    if (st->p->values) {
        int idx = find_value(st->p, s, len);
        if (idx < 0 || (st->mask & (INT64_C(1) << idx))) {
            st->bad = s;
            st->bad_len = len;
            st->dup = idx >= 0;
            return 1;
        }
        st->mask |= INT64_C(1) << idx;
        sb_add(&st->norm, "%s%s", st->norm.len ? "," : "", st->p->values[idx]);
        return 0;
    }
    sb_add(&st->norm, "%s", st->norm.len ? "," : "");
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        sb_add(&st->norm, "%c", c);
    }
    return 0;
}

static kafc_err_t parse_list(const kafc__prop_t *p, const char *value, int64_t *ip, char **sp,
                             char *errstr, size_t errstr_size)
{
    struct list_state st = {.p = p};
    char why[256];

    st.norm.buf[0] = '\0';
    each_entry(value, list_entry, &st);
    if (st.bad) {
        snprintf(why, sizeof(why), "%s entry \"%.*s\"", st.dup ? "duplicate" : "unknown",
                 (int)st.bad_len, st.bad);
        return invalid(p, value, why, errstr, errstr_size);
    }
    if (st.norm.len + 1 >= sizeof(st.norm.buf))
        return invalid(p, value, "too long", errstr, errstr_size);
    if (p->values) {
        if (st.mask == 0)
            return invalid(p, value, "empty list", errstr, errstr_size);
        *ip = st.mask;
    } else if (p->parse_list) {
        kafc_err_t err = p->parse_list(value, ip, errstr, errstr_size);
        if (err != KAFC_ERR_NONE) {
            /* The checker's message names the entry; keep it, but make sure
             * it names the property as every other error does. */
            if (errstr && errstr_size > 0 && !strstr(errstr, p->name))
                return invalid(p, value, NULL, errstr, errstr_size);
            return err;
        }
    } else {
        *ip = 0;
    }
    if (sp) {
        *sp = dupstr(st.norm.buf, st.norm.len);
        if (!*sp)
            return KAFC_ERR__NO_MEMORY;
    }
    return KAFC_ERR_NONE;
}

/* Parses value for property p into *ip and, for STR and LIST when sp is not
 * NULL, a newly allocated *sp. */
static kafc_err_t parse(const kafc__prop_t *p, const char *value, int64_t *ip, char **sp,
                        char *errstr, size_t errstr_size)
{
    int idx;

    switch (p->type) {
    case KAFC__PT_STR:
        *ip = 0;
        if (sp) {
            *sp = dupstr(value, strlen(value));
            if (!*sp)
                return KAFC_ERR__NO_MEMORY;
        }
        return KAFC_ERR_NONE;
    case KAFC__PT_INT:
        if (parse_i64(value, ip) != 0 || *ip < p->min || *ip > p->max)
            return invalid(p, value, NULL, errstr, errstr_size);
        return KAFC_ERR_NONE;
    case KAFC__PT_BOOL:
        if (parse_bool(value, ip) != 0)
            return invalid(p, value, NULL, errstr, errstr_size);
        return KAFC_ERR_NONE;
    case KAFC__PT_ENUM:
        idx = find_value(p, value, strlen(value));
        if (idx < 0)
            return invalid(p, value, NULL, errstr, errstr_size);
        *ip = idx;
        return KAFC_ERR_NONE;
    case KAFC__PT_LIST:
        return parse_list(p, value, ip, sp, errstr, errstr_size);
    }
    return KAFC_ERR__INVALID_ARG;
}

/* The stored number of a property at its default. The defaults are checked
 * by the unit tests; a bad one is a bug in conf_props.c, so abort. */
static int64_t default_int(const kafc__prop_t *p)
{
    int64_t i = 0;
    char err[256];

    if (parse(p, p->def, &i, NULL, err, sizeof(err)) != KAFC_ERR_NONE) {
        fprintf(stderr, "kafc: bad default in the property table: %s\n", err);
        abort();
    }
    return i;
}

/* ---- property lookup ----------------------------------------------------- */

static int find_prop(const char *name)
{
    for (int id = 0; id < KAFC__P__COUNT; id++)
        if (strcmp(kafc__props[id].name, name) == 0 ||
            (kafc__props[id].name_alias && strcmp(kafc__props[id].name_alias, name) == 0))
            return id;
    return -1;
}

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Optimal-string-alignment distance (edits: insert, delete, substitute,
 * swap two neighbours), case-insensitive; both strings under 128 chars. */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    size_t rows[3][129];
    size_t *prev2 = rows[0], *prev = rows[1], *cur = rows[2];

    for (size_t j = 0; j <= lb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1;
            size_t d = prev[j] + 1;
            if (cur[j - 1] + 1 < d)
                d = cur[j - 1] + 1;
            if (prev[j - 1] + cost < d)
                d = prev[j - 1] + cost;
            if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) &&
                lower(a[i - 2]) == lower(b[j - 1]) && prev2[j - 2] + 1 < d)
                d = prev2[j - 2] + 1;
            cur[j] = d;
        }
        size_t *t = prev2;
        prev2 = prev;
        prev = cur;
        cur = t;
    }
    return prev[lb];
}

/* The property name closest to name, when close enough to be a likely typo;
 * else NULL. */
static const char *suggest(const char *name)
{
    const char *best = NULL;
    size_t best_d = (size_t)-1;

    for (size_t i = 0; kafc__prop_hints[i].other; i++)
        if (strcmp(kafc__prop_hints[i].other, name) == 0)
            return kafc__props[kafc__prop_hints[i].id].name;
    if (strlen(name) > 128)
        return NULL;
    for (int id = 0; id < KAFC__P__COUNT; id++) {
        const char *cand = kafc__props[id].name;
        size_t len = strlen(cand);
        size_t limit = len <= 4 ? 1 : len <= 10 ? 2 : 3;
        size_t d = edit_distance(name, cand);
        if (d <= limit && d < best_d) {
            best = cand;
            best_d = d;
        }
    }
    return best;
}

/* ---- values as text ------------------------------------------------------ */

/* The current value of property id as text: a pointer into conf or the
 * table, or into tmp. */
static const char *value_text(const kafc_conf_t *conf, int id, char tmp[32])
{
    const kafc__prop_t *p = &kafc__props[id];
    const struct value *v = &conf->v[id];

    switch (p->type) {
    case KAFC__PT_STR:
    case KAFC__PT_LIST:
        return v->s ? v->s : p->def;
    case KAFC__PT_INT:
        snprintf(tmp, 32, "%lld", (long long)v->i);
        return tmp;
    case KAFC__PT_BOOL:
        return v->i ? "true" : "false";
    case KAFC__PT_ENUM:
        return p->values[v->i];
    }
    return "";
}

/* ---- public API ---------------------------------------------------------- */

KAFC_EXTERN kafc_conf_t *kafc_conf_new(void)
{
    kafc_conf_t *conf = calloc(1, sizeof(*conf));

    if (!conf)
        return NULL;
    for (int id = 0; id < KAFC__P__COUNT; id++)
        conf->v[id].i = default_int(&kafc__props[id]);
    return conf;
}

KAFC_EXTERN void kafc_conf_destroy(kafc_conf_t *conf)
{
    if (!conf)
        return;
    for (int id = 0; id < KAFC__P__COUNT; id++)
        free(conf->v[id].s);
    free(conf);
}

KAFC_EXTERN kafc_conf_t *kafc_conf_dup(const kafc_conf_t *conf)
{
    kafc_conf_t *d;

    if (!conf)
        return NULL;
    d = malloc(sizeof(*d));
    if (!d)
        return NULL;
    memcpy(d, conf, sizeof(*d));
    for (int id = 0; id < KAFC__P__COUNT; id++)
        d->v[id].s = NULL;
    for (int id = 0; id < KAFC__P__COUNT; id++) {
        if (!conf->v[id].s)
            continue;
        d->v[id].s = dupstr(conf->v[id].s, strlen(conf->v[id].s));
        if (!d->v[id].s) {
            kafc_conf_destroy(d);
            return NULL;
        }
    }
    return d;
}

KAFC_EXTERN kafc_err_t kafc_conf_set(kafc_conf_t *conf, const char *name, const char *value,
                                     char *errstr, size_t errstr_size)
{
    int64_t i = 0;
    char *s = NULL;

    if (!conf || !name) {
        seterr(errstr, errstr_size, "kafc_conf_set: conf and name must not be NULL");
        return KAFC_ERR__INVALID_ARG;
    }
    int id = find_prop(name);
    if (id < 0) {
        const char *hint = suggest(name);
        if (hint)
            seterr(errstr, errstr_size,
                   "Unknown configuration property \"%s\" (did you mean \"%s\"?)", name, hint);
        else
            seterr(errstr, errstr_size, "Unknown configuration property \"%s\"", name);
        return KAFC_ERR__UNKNOWN_CONFIG;
    }

    const kafc__prop_t *p = &kafc__props[id];
    struct value *v = &conf->v[id];
    if (!value) {
        free(v->s);
        v->s = NULL;
        v->i = default_int(p);
        v->is_set = 0;
        seterr(errstr, errstr_size, "%s", "");
        return KAFC_ERR_NONE;
    }

    kafc_err_t err = parse(p, value, &i, &s, errstr, errstr_size);
    if (err == KAFC_ERR__NO_MEMORY)
        seterr(errstr, errstr_size, "Out of memory setting \"%s\"", p->name);
    if (err != KAFC_ERR_NONE)
        return err;
    free(v->s);
    v->s = s;
    v->i = i;
    v->is_set = 1;
    seterr(errstr, errstr_size, "%s", "");
    return KAFC_ERR_NONE;
}

KAFC_EXTERN kafc_err_t kafc_conf_get(const kafc_conf_t *conf, const char *name, char *dest,
                                     size_t *dest_size)
{
    char tmp[32];

    if (!conf || !name || !dest_size)
        return KAFC_ERR__INVALID_ARG;
    int id = find_prop(name);
    if (id < 0)
        return KAFC_ERR__UNKNOWN_CONFIG;

    const char *text = value_text(conf, id, tmp);
    size_t need = strlen(text) + 1;
    size_t have = *dest_size;
    *dest_size = need;
    if (!dest)
        return KAFC_ERR_NONE;
    if (have < need) {
        if (have > 0)
            dest[0] = '\0';
        return KAFC_ERR__BUF_OVERFLOW;
    }
    memcpy(dest, text, need);
    return KAFC_ERR_NONE;
}

KAFC_EXTERN const char **kafc_conf_dump(const kafc_conf_t *conf, size_t *countp)
{
    char tmp[32];
    size_t bytes = 0;

    if (countp)
        *countp = 0;
    if (!conf || !countp)
        return NULL;

    /* One allocation: the pointer array, then the strings. */
    for (int id = 0; id < KAFC__P__COUNT; id++)
        bytes += strlen(kafc__props[id].name) + 1 + strlen(value_text(conf, id, tmp)) + 1;
    size_t ptrs = 2 * (size_t)KAFC__P__COUNT * sizeof(char *);
    char **arr = malloc(ptrs + bytes);
    if (!arr)
        return NULL;

    char *w = (char *)arr + ptrs;
    for (int id = 0; id < KAFC__P__COUNT; id++) {
        const char *strs[2] = {kafc__props[id].name, value_text(conf, id, tmp)};
        for (int k = 0; k < 2; k++) {
            size_t len = strlen(strs[k]) + 1;
            memcpy(w, strs[k], len);
            arr[2 * id + k] = w;
            w += len;
        }
    }
    *countp = KAFC__P__COUNT;
    return (const char **)arr;
}

KAFC_EXTERN void kafc_conf_dump_free(const char **arr, size_t count)
{
    (void)count; /* one allocation holds the array and every string */
    free((void *)arr);
}

KAFC_EXTERN void kafc_conf_set_log_cb(kafc_conf_t *conf, kafc_log_cb_t *cb, void *opaque)
{
    if (!conf)
        return;
    conf->log_cb = cb;
    conf->log_opaque = opaque;
}

/* ---- internal accessors -------------------------------------------------- */

int64_t kafc__conf_int(const kafc_conf_t *conf, kafc__prop_id_t id)
{
    const kafc__prop_t *p = &kafc__props[id];

    assert(p->type != KAFC__PT_STR);
    if (p->type == KAFC__PT_ENUM && p->ivals)
        return p->ivals[conf->v[id].i];
    return conf->v[id].i;
}

const char *kafc__conf_str(const kafc_conf_t *conf, kafc__prop_id_t id)
{
    const kafc__prop_t *p = &kafc__props[id];

    assert(p->type == KAFC__PT_STR || p->type == KAFC__PT_ENUM || p->type == KAFC__PT_LIST);
    switch (p->type) {
    case KAFC__PT_STR:
    case KAFC__PT_LIST:
        return conf->v[id].s ? conf->v[id].s : p->def;
    case KAFC__PT_ENUM:
        return p->values[conf->v[id].i];
    case KAFC__PT_INT:
    case KAFC__PT_BOOL:
        break;
    }
    return "";
}

int kafc__conf_is_set(const kafc_conf_t *conf, kafc__prop_id_t id)
{
    return conf->v[id].is_set;
}

void kafc__conf_adjust_int(kafc_conf_t *conf, kafc__prop_id_t id, int64_t value)
{
    const kafc__prop_t *p = &kafc__props[id];

    switch (p->type) {
    case KAFC__PT_INT:
        assert(value >= p->min && value <= p->max);
        conf->v[id].i = value;
        break;
    case KAFC__PT_BOOL:
        conf->v[id].i = value != 0;
        break;
    case KAFC__PT_ENUM:
        for (size_t i = 0; p->values[i]; i++) {
            if ((p->ivals ? p->ivals[i] : (int64_t)i) == value) {
                conf->v[id].i = (int64_t)i;
                return;
            }
        }
        assert(!"kafc__conf_adjust_int: value not in the enum");
        break;
    case KAFC__PT_STR:
    case KAFC__PT_LIST:
        assert(!"kafc__conf_adjust_int: not a numeric property");
        break;
    }
}

KAFC_EXTERN void kafc_conf_set_dr_cb(kafc_conf_t *conf, kafc_dr_cb_t *cb)
{
    if (conf)
        conf->cbs.dr_cb = cb;
}

KAFC_EXTERN void kafc_conf_set_rebalance_cb(kafc_conf_t *conf, kafc_rebalance_cb_t *cb)
{
    if (conf)
        conf->cbs.rebalance_cb = cb;
}

KAFC_EXTERN void kafc_conf_set_offset_commit_cb(kafc_conf_t *conf, kafc_offset_commit_cb_t *cb)
{
    if (conf)
        conf->cbs.commit_cb = cb;
}

KAFC_EXTERN void kafc_conf_set_opaque(kafc_conf_t *conf, void *opaque)
{
    if (conf)
        conf->cbs.opaque = opaque;
}

KAFC_EXTERN void kafc_conf_set_partitioner_cb(kafc_conf_t *conf, kafc_partitioner_cb_t *cb,
                                              void *opaque)
{
    if (conf) {
        conf->cbs.partitioner_cb = cb;
        conf->cbs.partitioner_opaque = opaque;
    }
}

KAFC_EXTERN kafc_err_t kafc_conf_add_interceptor(kafc_conf_t *conf, kafc_on_send_cb_t *on_send,
                                                 kafc_on_ack_cb_t *on_ack, void *ic_opaque)
{
    if (!conf || (!on_send && !on_ack) || conf->cbs.ninterceptors >= KAFC__MAX_INTERCEPTORS)
        return KAFC_ERR__INVALID_ARG;
    conf->cbs.interceptors[conf->cbs.ninterceptors].on_send = on_send;
    conf->cbs.interceptors[conf->cbs.ninterceptors].on_ack = on_ack;
    conf->cbs.interceptors[conf->cbs.ninterceptors].opaque = ic_opaque;
    conf->cbs.ninterceptors++;
    return KAFC_ERR_NONE;
}

const kafc__conf_cbs_t *kafc__conf_cbs(const kafc_conf_t *conf)
{
    return &conf->cbs;
}

kafc_log_cb_t *kafc__conf_log_cb(const kafc_conf_t *conf, void **opaquep)
{
    if (opaquep)
        *opaquep = conf->log_opaque;
    return conf->log_cb;
}

/* ---- CONFIGURATION.md ---------------------------------------------------- */

/* Writes s as a markdown table cell: '|' escaped, newlines flattened. */
static void md_cell(FILE *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '|')
            fputs("\\|", out);
        else if (*s == '\n')
            fputc(' ', out);
        else
            fputc(*s, out);
    }
}

static const char *type_name(kafc__prop_type_t t)
{
    switch (t) {
    case KAFC__PT_STR:
        return "string";
    case KAFC__PT_INT:
        return "integer";
    case KAFC__PT_BOOL:
        return "boolean";
    case KAFC__PT_ENUM:
        return "enum";
    case KAFC__PT_LIST:
        return "list";
    }
    return "?";
}

static void doc_row(FILE *out, const kafc__prop_t *p)
{
    struct sbuf sb = {.len = 0};

    sb.buf[0] = '\0';
    switch (p->type) {
    case KAFC__PT_STR:
        break;
    case KAFC__PT_INT:
        sb_add(&sb, "%lld .. %lld", (long long)p->min, (long long)p->max);
        break;
    case KAFC__PT_BOOL:
        sb_add(&sb, "true, false");
        break;
    case KAFC__PT_ENUM:
        add_values(&sb, p);
        add_aliases(&sb, p);
        break;
    case KAFC__PT_LIST:
        if (p->values)
            add_values(&sb, p);
        else if (p->list_entries)
            sb_add(&sb, "%s", p->list_entries());
        break;
    }

    fprintf(out, "| `%s` | %s | ", p->name, type_name(p->type));
    if (p->def[0]) {
        fputc('`', out);
        md_cell(out, p->def);
        fputc('`', out);
    } else {
        fputs("*(empty)*", out);
    }
    fputs(" | ", out);
    md_cell(out, sb.buf);
    fputs(" | ", out);
    md_cell(out, p->doc);
    if (p->name_alias)
        fprintf(out, " Also accepted as `%s`.", p->name_alias);
    if (p->flags & KAFC__PF_SENSITIVE)
        fputs(" Sensitive: keep it out of logs.", out);
    fputs(" |\n", out);
}

void kafc__conf_doc_markdown(FILE *out)
{
    static const struct {
        unsigned scope;
        const char *title;
    } sections[] = {
        {KAFC__SCOPE_ALL, "All clients"},
        {KAFC__SCOPE_PRODUCER | KAFC__SCOPE_CONSUMER, "Producer and consumer"},
        {KAFC__SCOPE_PRODUCER, "Producer"},
        {KAFC__SCOPE_CONSUMER, "Consumer"},
        {KAFC__SCOPE_ADMIN, "Admin client"},
    };

    fputs("# kafc configuration properties\n"
          "\n"
          "Generated by `kafc-conf-doc` from `src/conf_props.c`: do not edit by hand, "
          "run `scripts/gen`.\n"
          "\n"
          "Set properties with `kafc_conf_set(conf, name, value, errstr, errstr_size)`; a NULL "
          "value restores the default. Booleans take `true`/`false` (also `1`/`0`, `yes`/`no`, "
          "`on`/`off`); integers are plain decimal within the range shown; enum values and list "
          "entries are matched case-insensitively; lists are comma-separated.\n",
          out);
    for (size_t s = 0; s < sizeof(sections) / sizeof(sections[0]); s++) {
        int any = 0;
        for (int id = 0; id < KAFC__P__COUNT; id++) {
            if (kafc__props[id].scope != sections[s].scope)
                continue;
            if (!any) {
                fprintf(out,
                        "\n## %s\n\n"
                        "| Property | Type | Default | Allowed | Description |\n"
                        "|---|---|---|---|---|\n",
                        sections[s].title);
                any = 1;
            }
            doc_row(out, &kafc__props[id]);
        }
    }
}
