/*
 * kafc.Consumer over kafc_consumer_t.
 *
 * Messages from kafc_consumer_poll/_poll_batch are copied into Message
 * objects (key, value and headers as bytes) and destroyed at once.
 *
 * libkafc runs the rebalance and offset-commit callbacks inside
 * kafc_consumer_poll/_poll_batch/_close (and unsubscribe) on the calling
 * thread; the C callbacks here take the GIL back and call on_assign /
 * on_revoke / on_lost (given to subscribe()) with (consumer, [partitions]),
 * and on_commit (from the configuration) with (err, [partitions]). An
 * exception raised by one is kept and raised when that call returns;
 * messages the same call fetched are kept (stash) and handed out first by
 * the next poll()/consume(), so none is lost.
 */
#include "kafcmodule.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    PyObject_HEAD
    kafc_consumer_t *c;
    PyObject *on_assign, *on_revoke, *on_lost; /* from subscribe(), or NULL */
    PyObject *on_commit;                       /* from the configuration, or NULL */
    PyObject *exc;                             /* first exception from a callback */
    PyObject *stash;                           /* list of Messages not yet returned, or NULL */
    PyObject *topic_cache;
    kpy_log_ctx_t log;
    int closing; /* close/dealloc from the destructor: callbacks do nothing */
} KpyConsumer;

/* ---- callbacks from libkafc ----------------------------------------------------- */

static void rebalance_cb(kafc_consumer_t *c, kafc_rebalance_event_t event,
                         const kafc_topic_partition_list_t *parts, void *opaque)
{
    KpyConsumer *self = opaque;
    PyThreadState *ts = kpy_cb_enter();
    PyObject *cb = event == KAFC_REBALANCE_ASSIGNED  ? self->on_assign
                   : event == KAFC_REBALANCE_REVOKED ? self->on_revoke
                   : self->on_lost                   ? self->on_lost
                                                     : self->on_revoke;
    if (cb && !self->closing && !self->exc) {
        Py_INCREF(cb);
        PyObject *list = kpy_tplist_to_py(parts);
        PyObject *r = list ? PyObject_CallFunctionObjArgs(cb, (PyObject *)self, list, NULL) : NULL;
        if (r)
            Py_DECREF(r);
        else
            kpy_exc_store(&self->exc);
        Py_XDECREF(list);
        Py_DECREF(cb);
    }
    kpy_cb_leave(ts);
}

static void commit_cb(kafc_consumer_t *c, kafc_err_t err,
                      const kafc_topic_partition_list_t *offsets, void *opaque)
{
    KpyConsumer *self = opaque;
    PyThreadState *ts = kpy_cb_enter();
    PyObject *cb = self->on_commit;
    if (cb && !self->closing) {
        Py_INCREF(cb);
        PyObject *e = kpy_error_or_none(err);
        PyObject *list = e ? kpy_tplist_to_py(offsets) : NULL;
        PyObject *r = list ? PyObject_CallFunctionObjArgs(cb, e, list, NULL) : NULL;
        if (r)
            Py_DECREF(r);
        else
            kpy_exc_store(&self->exc);
        Py_XDECREF(list);
        Py_XDECREF(e);
        Py_DECREF(cb);
    }
    kpy_cb_leave(ts);
}

/* ---- construction ------------------------------------------------------------ */

static int conf_special(void *arg, const char *name, PyObject *value)
{
    KpyConsumer *self = arg;
    if (!strcmp(name, "on_commit"))
        return kpy_set_callable(&self->on_commit, value, name) < 0 ? -1 : 1;
    return kpy_conf_common(&self->log, name, value);
}

static int consumer_init(KpyConsumer *self, PyObject *args, PyObject *kwargs)
{
    PyObject *conf_dict = NULL;
    if (self->c) {
        PyErr_SetString(PyExc_RuntimeError, "Consumer already initialised");
        return -1;
    }
    if (!PyArg_ParseTuple(args, "|O:Consumer", &conf_dict))
        return -1;
    kafc_conf_t *conf = kpy_conf_from_dict(conf_dict, kwargs, conf_special, self);
    if (!conf)
        return -1;
    self->log.exc_slot = &self->exc;
    self->log.closing = &self->closing;
    kafc_conf_set_opaque(conf, self);
    kafc_conf_set_rebalance_cb(conf, rebalance_cb);
    kafc_conf_set_offset_commit_cb(conf, commit_cb);
    if (self->log.logger)
        kafc_conf_set_log_cb(conf, kpy_log_cb, &self->log);
    char errstr[512];
    errstr[0] = '\0';
    self->c = kafc_consumer_new(conf, errstr, sizeof(errstr));
    kafc_conf_destroy(conf);
    if (!self->c) {
        kpy_raise(KAFC_ERR__INVALID_ARG, errstr[0] ? errstr : "kafc_consumer_new failed");
        return -1;
    }
    if (kpy_exc_raise_stored(&self->exc) < 0)
        return -1;
    return 0;
}

static int consumer_traverse(KpyConsumer *self, visitproc visit, void *arg)
{
    Py_VISIT(self->on_assign);
    Py_VISIT(self->on_revoke);
    Py_VISIT(self->on_lost);
    Py_VISIT(self->on_commit);
    Py_VISIT(self->log.logger);
    Py_VISIT(self->exc);
    Py_VISIT(self->stash);
    return 0;
}

static int consumer_clear(KpyConsumer *self)
{
    Py_CLEAR(self->on_assign);
    Py_CLEAR(self->on_revoke);
    Py_CLEAR(self->on_lost);
    Py_CLEAR(self->on_commit);
    Py_CLEAR(self->log.logger);
    Py_CLEAR(self->exc);
    Py_CLEAR(self->stash);
    Py_CLEAR(self->topic_cache);
    return 0;
}

static void consumer_dealloc(KpyConsumer *self)
{
    PyObject_GC_UnTrack(self);
    if (self->c) {
        self->closing = 1;
        PyThreadState *prev = kpy_unlock();
        kafc_consumer_destroy(self->c);
        kpy_relock(prev);
        self->c = NULL;
    }
    consumer_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int check_open(KpyConsumer *self)
{
    if (!self->c) {
        PyErr_SetString(PyExc_RuntimeError, "Consumer closed");
        return -1;
    }
    return 0;
}

/* Raises what a callback raised during the call just made; -1 when it did. */
static int raise_stored(KpyConsumer *self)
{
    return kpy_exc_raise_stored(&self->exc);
}

static PyObject *raise_last(KpyConsumer *self, kafc_err_t err)
{
    char errstr[512] = "";
    kafc_consumer_last_error(self->c, errstr, sizeof(errstr));
    return kpy_raise(err, errstr[0] ? errstr : NULL);
}

/* ---- subscription and assignment ------------------------------------------------- */

static PyObject *consumer_subscribe(KpyConsumer *self, PyObject *args, PyObject *kwargs)
{
    static char *kws[] = {"topics", "on_assign", "on_revoke", "on_lost", NULL};
    PyObject *topics, *on_assign = NULL, *on_revoke = NULL, *on_lost = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O|OOO:subscribe", kws, &topics, &on_assign,
                                     &on_revoke, &on_lost) ||
        check_open(self) < 0)
        return NULL;
    if (PyUnicode_Check(topics)) {
        PyErr_SetString(PyExc_TypeError, "topics must be a list of str");
        return NULL;
    }
    PyObject *fast = PySequence_Fast(topics, "topics must be a list of str");
    if (!fast)
        return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(fast);
    const char **names = PyMem_Calloc(n > 0 ? (size_t)n : 1, sizeof(*names));
    if (!names) {
        Py_DECREF(fast);
        return PyErr_NoMemory();
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *t = PySequence_Fast_GET_ITEM(fast, i);
        if (!PyUnicode_Check(t) || !(names[i] = PyUnicode_AsUTF8(t))) {
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_TypeError, "topics must be a list of str");
            PyMem_Free(names);
            Py_DECREF(fast);
            return NULL;
        }
    }
    if (kpy_set_callable(&self->on_assign, on_assign, "on_assign") < 0 ||
        kpy_set_callable(&self->on_revoke, on_revoke, "on_revoke") < 0 ||
        kpy_set_callable(&self->on_lost, on_lost, "on_lost") < 0) {
        PyMem_Free(names);
        Py_DECREF(fast);
        return NULL;
    }
    char errstr[512] = "";
    PyThreadState *prev = kpy_unlock();
    kafc_err_t err = kafc_subscribe(self->c, names, (int)n, errstr, sizeof(errstr));
    kpy_relock(prev);
    PyMem_Free(names);
    Py_DECREF(fast);
    if (raise_stored(self) < 0)
        return NULL;
    if (err != KAFC_ERR_NONE)
        return kpy_raise(err, errstr[0] ? errstr : NULL);
    Py_RETURN_NONE;
}

static PyObject *consumer_unsubscribe(KpyConsumer *self, PyObject *unused)
{
    if (check_open(self) < 0)
        return NULL;
    PyThreadState *prev = kpy_unlock();
    kafc_err_t err = kafc_unsubscribe(self->c);
    kpy_relock(prev);
    if (raise_stored(self) < 0)
        return NULL;
    if (err != KAFC_ERR_NONE)
        return raise_last(self, err);
    Py_RETURN_NONE;
}

static PyObject *consumer_subscription(KpyConsumer *self, PyObject *unused)
{
    if (check_open(self) < 0)
        return NULL;
    kafc_topic_partition_list_t *l = kafc_subscription(self->c);
    PyObject *list = PyList_New(0);
    for (int i = 0; list && l && i < l->cnt; i++) {
        PyObject *t = PyUnicode_FromString(l->elems[i].topic);
        if (!t || PyList_Append(list, t) < 0)
            Py_CLEAR(list);
        Py_XDECREF(t);
    }
    kafc_topic_partition_list_destroy(l);
    return list;
}

typedef kafc_err_t(list_fn_t)(kafc_consumer_t *, const kafc_topic_partition_list_t *);

/* Calls fn with a kafc list made from a Python list (None: NULL). */
static PyObject *with_list(KpyConsumer *self, PyObject *seq, list_fn_t *fn)
{
    if (check_open(self) < 0)
        return NULL;
    kafc_topic_partition_list_t *l = NULL;
    if (seq && seq != Py_None && !(l = kpy_tplist_from_py(seq)))
        return NULL;
    PyThreadState *prev = kpy_unlock();
    kafc_err_t err = fn(self->c, l);
    kpy_relock(prev);
    kafc_topic_partition_list_destroy(l);
    if (raise_stored(self) < 0)
        return NULL;
    if (err != KAFC_ERR_NONE)
        return raise_last(self, err);
    Py_RETURN_NONE;
}

static PyObject *consumer_assign(KpyConsumer *self, PyObject *seq)
{
    return with_list(self, seq, kafc_assign);
}

static PyObject *consumer_unassign(KpyConsumer *self, PyObject *unused)
{
    return with_list(self, Py_None, kafc_assign);
}

static PyObject *consumer_incremental_assign(KpyConsumer *self, PyObject *seq)
{
    return with_list(self, seq, kafc_incremental_assign);
}

static PyObject *consumer_incremental_unassign(KpyConsumer *self, PyObject *seq)
{
    return with_list(self, seq, kafc_incremental_unassign);
}

static PyObject *consumer_pause(KpyConsumer *self, PyObject *seq)
{
    return with_list(self, seq, kafc_pause);
}

static PyObject *consumer_resume(KpyConsumer *self, PyObject *seq)
{
    return with_list(self, seq, kafc_resume);
}

static PyObject *consumer_assignment(KpyConsumer *self, PyObject *unused)
{
    if (check_open(self) < 0)
        return NULL;
    kafc_topic_partition_list_t *l = kafc_assignment(self->c);
    if (!l)
        return PyErr_NoMemory();
    PyObject *r = kpy_tplist_to_py(l);
    kafc_topic_partition_list_destroy(l);
    return r;
}

static PyObject *consumer_rebalance_protocol(KpyConsumer *self, PyObject *unused)
{
    if (check_open(self) < 0)
        return NULL;
    return PyUnicode_FromString(kafc_rebalance_protocol(self->c));
}

/* ---- consuming --------------------------------------------------------------------- */

/* Moves the first stashed message out, or returns NULL. */
static PyObject *stash_pop(KpyConsumer *self)
{
    if (!self->stash || PyList_GET_SIZE(self->stash) == 0)
        return NULL;
    PyObject *m = Py_NewRef(PyList_GET_ITEM(self->stash, 0));
    if (PyList_SetSlice(self->stash, 0, 1, NULL) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}

static int stash_push(KpyConsumer *self, PyObject *msg)
{
    if (!self->stash && !(self->stash = PyList_New(0)))
        return -1;
    return PyList_Append(self->stash, msg);
}

/* Converts n kafc messages into Messages appended to out (or stashed
 * when out is NULL), destroying every one of them. */
static int take_messages(KpyConsumer *self, kafc_message_t **msgs, int n, PyObject *out)
{
    int rc = 0;
    if (!out && !self->stash && !(self->stash = PyList_New(0)))
        rc = -1;
    for (int i = 0; i < n; i++) {
        if (rc == 0) {
            PyObject *m = kpy_message_from_c(msgs[i], 1, &self->topic_cache);
            if (m) {
                ((KpyMessage *)m)->leader_epoch = kafc_message_leader_epoch(msgs[i]);
                rc = PyList_Append(out ? out : self->stash, m);
                Py_DECREF(m);
            } else {
                rc = -1;
            }
        }
        kafc_message_destroy(msgs[i]);
    }
    return rc;
}

static PyObject *consumer_poll(KpyConsumer *self, PyObject *args, PyObject *kwargs)
{
    static char *kws[] = {"timeout", NULL};
    PyObject *tmo = NULL;
    int timeout_ms;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|O:poll", kws, &tmo) ||
        kpy_timeout_ms(tmo, &timeout_ms) < 0 || check_open(self) < 0)
        return NULL;
    PyObject *m = stash_pop(self);
    if (m || PyErr_Occurred())
        return m;
    int64_t deadline = kpy_deadline(timeout_ms);
    for (;;) {
        int left = kpy_remaining(deadline);
        int slice = left < 0 || left > KPY_SLICE_MS ? KPY_SLICE_MS : left;
        PyThreadState *prev = kpy_unlock();
        kafc_message_t *km = kafc_consumer_poll(self->c, slice);
        kpy_relock(prev);
        if (km) {
            m = kpy_message_from_c(km, 1, &self->topic_cache);
            if (m)
                ((KpyMessage *)m)->leader_epoch = kafc_message_leader_epoch(km);
            kafc_message_destroy(km);
            if (!m)
                return NULL;
        }
        if (self->exc) {
            if (m && stash_push(self, m) < 0)
                PyErr_WriteUnraisable((PyObject *)self);
            Py_XDECREF(m);
            raise_stored(self);
            return NULL;
        }
        if (m)
            return m;
        kafc_err_t err = kafc_consumer_last_error(self->c, NULL, 0);
        if (err == KAFC_ERR__STATE)
            return raise_last(self, err);
        if (kpy_remaining(deadline) == 0)
            Py_RETURN_NONE;
        if (PyErr_CheckSignals() < 0)
            return NULL;
    }
}

static PyObject *consumer_consume(KpyConsumer *self, PyObject *args, PyObject *kwargs)
{
    static char *kws[] = {"num_messages", "timeout", NULL};
    int num = 1, timeout_ms;
    PyObject *tmo = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|iO:consume", kws, &num, &tmo) ||
        kpy_timeout_ms(tmo, &timeout_ms) < 0 || check_open(self) < 0)
        return NULL;
    if (num < 0 || num > 1000000) {
        PyErr_SetString(PyExc_ValueError, "num_messages must be between 0 and 1000000");
        return NULL;
    }
    PyObject *out = PyList_New(0);
    if (!out)
        return NULL;
    while (PyList_GET_SIZE(out) < num) {
        PyObject *m = stash_pop(self);
        if (!m)
            break;
        int rc = PyList_Append(out, m);
        Py_DECREF(m);
        if (rc < 0)
            goto fail;
    }
    if (PyErr_Occurred())
        goto fail;
    int want = num - (int)PyList_GET_SIZE(out);
    kafc_message_t **msgs = want > 0 ? PyMem_Malloc((size_t)want * sizeof(*msgs)) : NULL;
    if (want > 0 && !msgs) {
        PyErr_NoMemory();
        goto fail;
    }
    int64_t deadline = kpy_deadline(timeout_ms);
    while (want > 0) {
        int left = kpy_remaining(deadline);
        int slice = left < 0 || left > KPY_SLICE_MS ? KPY_SLICE_MS : left;
        PyThreadState *prev = kpy_unlock();
        int n = kafc_consumer_poll_batch(self->c, msgs, want, slice);
        kpy_relock(prev);
        if (n > 0 && take_messages(self, msgs, n, self->exc ? NULL : out) < 0) {
            PyMem_Free(msgs);
            goto fail;
        }
        if (self->exc)
            break;
        want -= n > 0 ? n : 0;
        if (n == 0 && kafc_consumer_last_error(self->c, NULL, 0) == KAFC_ERR__STATE) {
            PyMem_Free(msgs);
            Py_DECREF(out);
            return raise_last(self, KAFC_ERR__STATE);
        }
        if (want == 0 || kpy_remaining(deadline) == 0)
            break;
        if (PyErr_CheckSignals() < 0) {
            PyMem_Free(msgs);
            goto fail;
        }
    }
    PyMem_Free(msgs);
    if (self->exc) {
        /* What this call fetched goes back first in line. */
        if (PyList_GET_SIZE(out) > 0) {
            if (!self->stash && !(self->stash = PyList_New(0)))
                PyErr_WriteUnraisable((PyObject *)self);
            else if (PyList_SetSlice(self->stash, 0, 0, out) < 0)
                PyErr_WriteUnraisable((PyObject *)self);
        }
        Py_DECREF(out);
        raise_stored(self);
        return NULL;
    }
    return out;
fail:
    Py_DECREF(out);
    return NULL;
}

/* ---- offsets ----------------------------------------------------------------------- */

static PyObject *consumer_commit(KpyConsumer *self, PyObject *args, PyObject *kwargs)
{
    static char *kws[] = {"message", "offsets", "asynchronous", NULL};
    PyObject *message = Py_None, *offsets = Py_None;
    int asynchronous = 1;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|OOp:commit", kws, &message, &offsets,
                                     &asynchronous) ||
        check_open(self) < 0)
        return NULL;
    if (message != Py_None && offsets != Py_None) {
        PyErr_SetString(PyExc_ValueError, "give message or offsets, not both");
        return NULL;
    }
    kafc_topic_partition_list_t *l = NULL;
    if (message != Py_None) {
        if (!PyObject_TypeCheck(message, &KpyMessageType)) {
            PyErr_SetString(PyExc_TypeError, "message must be a Message");
            return NULL;
        }
        KpyMessage *m = (KpyMessage *)message;
        const char *topic = m->topic != Py_None ? PyUnicode_AsUTF8(m->topic) : NULL;
        if (!topic) {
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_ValueError, "the message has no topic");
            return NULL;
        }
        kafc_topic_partition_t *e;
        if (!(l = kafc_topic_partition_list_new(1)) ||
            !(e = kafc_topic_partition_list_add(l, topic, m->partition))) {
            kafc_topic_partition_list_destroy(l);
            return PyErr_NoMemory();
        }
        e->offset = m->offset + 1;
        e->leader_epoch = m->leader_epoch;
    } else if (offsets != Py_None) {
        if (!(l = kpy_tplist_from_py(offsets)))
            return NULL;
    }
    kafc_err_t err;
    PyThreadState *prev = kpy_unlock();
    if (asynchronous)
        err = kafc_commit_async(self->c, l);
    else
        err = kafc_commit(self->c, l);
    kpy_relock(prev);
    PyObject *result = NULL;
    if (raise_stored(self) < 0)
        goto out;
    if (err != KAFC_ERR_NONE) {
        raise_last(self, err);
        goto out;
    }
    if (asynchronous || !l)
        result = Py_NewRef(Py_None);
    else
        result = kpy_tplist_to_py(l);
out:
    kafc_topic_partition_list_destroy(l);
    return result;
}

static PyObject *consumer_committed(KpyConsumer *self, PyObject *args, PyObject *kwargs)
{
    static char *kws[] = {"partitions", "timeout", NULL};
    PyObject *parts, *tmo = NULL;
    int timeout_ms;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O|O:committed", kws, &parts, &tmo) ||
        kpy_timeout_ms(tmo, &timeout_ms) < 0 || check_open(self) < 0)
        return NULL;
    kafc_topic_partition_list_t *l = kpy_tplist_from_py(parts);
    if (!l)
        return NULL;
    PyThreadState *prev = kpy_unlock();
    kafc_err_t err = kafc_committed(self->c, l, timeout_ms);
    kpy_relock(prev);
    PyObject *r = NULL;
    if (raise_stored(self) == 0) {
        if (err != KAFC_ERR_NONE)
            raise_last(self, err);
        else
            r = kpy_tplist_to_py(l);
    }
    kafc_topic_partition_list_destroy(l);
    return r;
}

static PyObject *consumer_position(KpyConsumer *self, PyObject *parts)
{
    if (check_open(self) < 0)
        return NULL;
    kafc_topic_partition_list_t *l = kpy_tplist_from_py(parts);
    if (!l)
        return NULL;
    kafc_err_t err = kafc_position(self->c, l);
    PyObject *r = err != KAFC_ERR_NONE ? raise_last(self, err) : kpy_tplist_to_py(l);
    kafc_topic_partition_list_destroy(l);
    return r;
}

static PyObject *consumer_seek(KpyConsumer *self, PyObject *arg)
{
    if (check_open(self) < 0)
        return NULL;
    if (!PyObject_TypeCheck(arg, &KpyTopicPartitionType)) {
        PyErr_SetString(PyExc_TypeError, "seek() takes a TopicPartition");
        return NULL;
    }
    KpyTopicPartition *tp = (KpyTopicPartition *)arg;
    const char *topic = PyUnicode_AsUTF8(tp->topic);
    if (!topic)
        return NULL;
    PyThreadState *prev = kpy_unlock();
    kafc_err_t err = kafc_seek(self->c, topic, tp->partition, tp->offset);
    kpy_relock(prev);
    if (err != KAFC_ERR_NONE)
        return raise_last(self, err);
    Py_RETURN_NONE;
}

static PyObject *consumer_get_watermark_offsets(KpyConsumer *self, PyObject *args, PyObject *kwargs)
{
    static char *kws[] = {"partition", "timeout", "cached", NULL};
    PyObject *tpo, *tmo = NULL;
    int cached = 0, timeout_ms;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O!|Op:get_watermark_offsets", kws,
                                     &KpyTopicPartitionType, &tpo, &tmo, &cached) ||
        kpy_timeout_ms(tmo, &timeout_ms) < 0 || check_open(self) < 0)
        return NULL;
    KpyTopicPartition *tp = (KpyTopicPartition *)tpo;
    const char *topic = PyUnicode_AsUTF8(tp->topic);
    if (!topic)
        return NULL;
    int64_t lo = -1, hi = -1;
    PyThreadState *prev = kpy_unlock();
    kafc_err_t err =
        kafc_query_watermark_offsets(self->c, topic, tp->partition, &lo, &hi, timeout_ms);
    kpy_relock(prev);
    if (err != KAFC_ERR_NONE)
        return raise_last(self, err);
    return Py_BuildValue("(LL)", (long long)lo, (long long)hi);
}

/* ---- close ------------------------------------------------------------------------ */

static PyObject *consumer_close(KpyConsumer *self, PyObject *unused)
{
    if (!self->c)
        Py_RETURN_NONE; /* closing twice is harmless */
    PyThreadState *prev = kpy_unlock();
    kafc_err_t err = kafc_consumer_close(self->c, 10000);
    kafc_consumer_destroy(self->c);
    kpy_relock(prev);
    self->c = NULL;
    Py_CLEAR(self->stash);
    if (raise_stored(self) < 0)
        return NULL;
    if (err != KAFC_ERR_NONE && err != KAFC_ERR__NO_OFFSET)
        return kpy_raise(err, NULL);
    Py_RETURN_NONE;
}

static PyMethodDef consumer_methods[] = {
    {"subscribe", (PyCFunction)(void (*)(void))consumer_subscribe, METH_VARARGS | METH_KEYWORDS,
     "subscribe(topics, on_assign=None, on_revoke=None, on_lost=None)\n\nJoins group.id's "
     "group for the topics (names; '^' starts a regex). The callbacks get (consumer, "
     "[TopicPartition]) inside poll(): kafc applies the assignment itself."},
    {"unsubscribe", (PyCFunction)consumer_unsubscribe, METH_NOARGS,
     "unsubscribe(): leaves the group."},
    {"subscription", (PyCFunction)consumer_subscription, METH_NOARGS, "subscription() -> [str]"},
    {"assign", (PyCFunction)consumer_assign, METH_O,
     "assign(partitions): replaces the assignment with a list of TopicPartition (offset: "
     "where to start)."},
    {"unassign", (PyCFunction)consumer_unassign, METH_NOARGS, "unassign(): drops the assignment."},
    {"incremental_assign", (PyCFunction)consumer_incremental_assign, METH_O,
     "incremental_assign(partitions): adds partitions to the assignment."},
    {"incremental_unassign", (PyCFunction)consumer_incremental_unassign, METH_O,
     "incremental_unassign(partitions): removes partitions from the assignment."},
    {"assignment", (PyCFunction)consumer_assignment, METH_NOARGS,
     "assignment() -> [TopicPartition]"},
    {"rebalance_protocol", (PyCFunction)consumer_rebalance_protocol, METH_NOARGS,
     "rebalance_protocol() -> 'EAGER' | 'COOPERATIVE' | 'NONE'"},
    {"poll", (PyCFunction)(void (*)(void))consumer_poll, METH_VARARGS | METH_KEYWORDS,
     "poll(timeout=None) -> Message or None\n\nThe next message or event (check "
     "msg.error()), waiting up to timeout seconds (None: forever)."},
    {"consume", (PyCFunction)(void (*)(void))consumer_consume, METH_VARARGS | METH_KEYWORDS,
     "consume(num_messages=1, timeout=None) -> [Message]\n\nUp to num_messages, waiting "
     "until there are that many or timeout seconds pass."},
    {"commit", (PyCFunction)(void (*)(void))consumer_commit, METH_VARARGS | METH_KEYWORDS,
     "commit(message=None, offsets=None, asynchronous=True)\n\nCommits the message's offset "
     "+ 1, the given offsets, or the current positions. Synchronous commits return the "
     "offsets given with per-partition errors (None when none were given)."},
    {"committed", (PyCFunction)(void (*)(void))consumer_committed, METH_VARARGS | METH_KEYWORDS,
     "committed(partitions, timeout=None) -> [TopicPartition]: the group's committed "
     "offsets (OFFSET_INVALID when none)."},
    {"position", (PyCFunction)consumer_position, METH_O,
     "position(partitions) -> [TopicPartition]: the offset of the next message poll() "
     "would return."},
    {"seek", (PyCFunction)consumer_seek, METH_O,
     "seek(partition): moves an assigned TopicPartition to its offset."},
    {"pause", (PyCFunction)consumer_pause, METH_O, "pause(partitions): stops fetching them."},
    {"resume", (PyCFunction)consumer_resume, METH_O, "resume(partitions): fetches them again."},
    {"get_watermark_offsets", (PyCFunction)(void (*)(void))consumer_get_watermark_offsets,
     METH_VARARGS | METH_KEYWORDS,
     "get_watermark_offsets(partition, timeout=None, cached=False) -> (low, high)"},
    {"close", (PyCFunction)consumer_close, METH_NOARGS,
     "close(): commits (with enable.auto.commit), leaves the group and frees the consumer."},
    {NULL, NULL, 0, NULL},
};

PyTypeObject KpyConsumerType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "kafc.Consumer",
    .tp_basicsize = sizeof(KpyConsumer),
    .tp_dealloc = (destructor)consumer_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "Consumer(config)\n\nA Kafka consumer. config: a dict of libkafc property names "
              "(see CONFIGURATION.md) to values, plus 'on_commit' (callback(err, "
              "[TopicPartition])) and 'logger'.",
    .tp_traverse = (traverseproc)consumer_traverse,
    .tp_clear = (inquiry)consumer_clear,
    .tp_methods = consumer_methods,
    .tp_init = (initproc)consumer_init,
    .tp_new = PyType_GenericNew,
};

int kpy_consumer_init(PyObject *m)
{
    if (PyType_Ready(&KpyConsumerType) < 0)
        return -1;
    return PyModule_AddObjectRef(m, "Consumer", (PyObject *)&KpyConsumerType);
}
