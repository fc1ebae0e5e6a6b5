/*
 * kafc.Producer over kafc_producer_t.
 *
 * Each produce() with a delivery callback (its own on_delivery, else the
 * "on_delivery" given in the configuration) hands libkafc a new reference to
 * that callable as the message's opaque; the delivery report callback
 * (dr_cb, run by libkafc inside kafc_producer_poll/flush on the thread that
 * called poll()/flush()) takes the GIL back, calls it with (err, msg) and
 * drops the reference. Messages without a callback cost no GIL round trip.
 *
 * When a callback raises, the exception is kept and raised when the
 * poll()/flush() returns; reports served after it within the same call are
 * not run then but queued (backlog) and run first by the next poll()/flush(),
 * so each callback still runs exactly once and no Python code runs after an
 * exception in the same call.
 */
#include "kafcmodule.h"

#include <string.h>

typedef struct {
    PyObject_HEAD
    kafc_producer_t *p;
    PyObject *default_cb; /* "on_delivery" from the configuration, or NULL */
    PyObject *exc;        /* first exception from a callback in this call */
    PyObject *backlog;    /* list of (callable, Message) not yet run, or NULL */
    PyObject *topic_cache;
    kpy_log_ctx_t log;
    int closing; /* dealloc: callbacks only drop their references */
} KpyProducer;

/* ---- the delivery report callback ------------------------------------------ */

static void dr_cb(kafc_producer_t *p, const kafc_message_t *m, void *opaque)
{
    PyObject *cb = kafc_message_opaque(m);
    KpyProducer *self = opaque;
    if (!cb)
        return; /* nobody to tell: no GIL needed */
    PyThreadState *ts = kpy_cb_enter();
    if (self->closing) {
        Py_DECREF(cb);
        kpy_cb_leave(ts);
        return;
    }
    PyObject *msg = kpy_message_from_c(m, 1, &self->topic_cache);
    if (!msg) {
        kpy_exc_store(&self->exc);
    } else if (self->exc) {
        PyObject *pair = PyTuple_Pack(2, cb, msg);
        if (!self->backlog)
            self->backlog = PyList_New(0);
        if (!pair || !self->backlog || PyList_Append(self->backlog, pair) < 0)
            PyErr_WriteUnraisable(cb);
        Py_XDECREF(pair);
    } else {
        PyObject *args[2] = {((KpyMessage *)msg)->error, msg};
        PyObject *r = PyObject_Vectorcall(cb, args, 2, NULL);
        if (r)
            Py_DECREF(r);
        else
            kpy_exc_store(&self->exc);
    }
    Py_XDECREF(msg);
    Py_DECREF(cb);
    kpy_cb_leave(ts);
}

/* Runs queued reports until one raises. Returns the number run, -1 when a
 * callback raised (exception set). */
static Py_ssize_t run_backlog(KpyProducer *self)
{
    Py_ssize_t ran = 0;
    while (self->backlog && PyList_GET_SIZE(self->backlog) > 0) {
        PyObject *pair = Py_NewRef(PyList_GET_ITEM(self->backlog, 0));
        if (PyList_SetSlice(self->backlog, 0, 1, NULL) < 0) {
            Py_DECREF(pair);
            return -1;
        }
        PyObject *cb = PyTuple_GET_ITEM(pair, 0);
        KpyMessage *msg = (KpyMessage *)PyTuple_GET_ITEM(pair, 1);
        PyObject *args[2] = {msg->error, (PyObject *)msg};
        PyObject *r = PyObject_Vectorcall(cb, args, 2, NULL);
        Py_DECREF(pair);
        ran++;
        if (!r)
            return -1;
        Py_DECREF(r);
    }
    return ran;
}

static Py_ssize_t backlog_len(KpyProducer *self)
{
    return self->backlog ? PyList_GET_SIZE(self->backlog) : 0;
}

/* ---- construction ----------------------------------------------------------- */

static int conf_special(void *arg, const char *name, PyObject *value)
{
    KpyProducer *self = arg;
    if (!strcmp(name, "on_delivery") || !strcmp(name, "delivery.report.callback"))
        return kpy_set_callable(&self->default_cb, value, name) < 0 ? -1 : 1;
    return kpy_conf_common(&self->log, name, value);
}

static int producer_init(KpyProducer *self, PyObject *args, PyObject *kwargs)
{
    PyObject *conf_dict = NULL;
    if (self->p) {
        PyErr_SetString(PyExc_RuntimeError, "Producer already initialised");
        return -1;
    }
    if (!PyArg_ParseTuple(args, "|O:Producer", &conf_dict))
        return -1;
    kafc_conf_t *conf = kpy_conf_from_dict(conf_dict, kwargs, conf_special, self);
    if (!conf)
        return -1;
    self->log.exc_slot = &self->exc;
    self->log.closing = &self->closing;
    kafc_conf_set_dr_cb(conf, dr_cb);
    kafc_conf_set_opaque(conf, self);
    if (self->log.logger)
        kafc_conf_set_log_cb(conf, kpy_log_cb, &self->log);
    char errstr[512];
    errstr[0] = '\0';
    self->p = kafc_producer_new(conf, errstr, sizeof(errstr));
    kafc_conf_destroy(conf);
    if (!self->p) {
        kpy_raise(KAFC_ERR__INVALID_ARG, errstr[0] ? errstr : "kafc_producer_new failed");
        return -1;
    }
    if (kpy_exc_raise_stored(&self->exc) < 0)
        return -1;
    return 0;
}

static int producer_traverse(KpyProducer *self, visitproc visit, void *arg)
{
    Py_VISIT(self->default_cb);
    Py_VISIT(self->log.logger);
    Py_VISIT(self->backlog);
    Py_VISIT(self->exc);
    return 0;
}

static int producer_clear(KpyProducer *self)
{
    Py_CLEAR(self->default_cb);
    Py_CLEAR(self->log.logger);
    Py_CLEAR(self->backlog);
    Py_CLEAR(self->exc);
    Py_CLEAR(self->topic_cache);
    return 0;
}

static void producer_dealloc(KpyProducer *self)
{
    PyObject_GC_UnTrack(self);
    if (self->p) {
        /* Messages not flushed fail now (as with confluent-kafka, flush()
         * first to deliver them); their callbacks are not run. */
        self->closing = 1;
        PyThreadState *prev = kpy_unlock();
        kafc_producer_destroy(self->p, 0);
        kpy_relock(prev);
        self->p = NULL;
    }
    producer_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int check_open(KpyProducer *self)
{
    if (!self->p) {
        PyErr_SetString(PyExc_RuntimeError, "Producer not initialised");
        return -1;
    }
    return 0;
}

/* ---- produce ---------------------------------------------------------------- */

enum { A_TOPIC, A_VALUE, A_KEY, A_PARTITION, A_ON_DELIVERY, A_TIMESTAMP, A_HEADERS, A_N };
static const char *const produce_names[A_N] = {"topic",       "value",     "key",    "partition",
                                               "on_delivery", "timestamp", "headers"};
static PyObject *produce_kw[A_N];
static PyObject *kw_callback; /* confluent-kafka's older name for on_delivery */

static int kw_index(PyObject *name)
{
    for (int i = 0; i < A_N; i++)
        if (name == produce_kw[i])
            return i;
    if (name == kw_callback)
        return A_ON_DELIVERY;
    for (int i = 0; i < A_N; i++)
        if (PyUnicode_Compare(name, produce_kw[i]) == 0)
            return i;
    if (PyUnicode_Compare(name, kw_callback) == 0)
        return A_ON_DELIVERY;
    return -1;
}

/* A payload: bytes, str (UTF-8) or any buffer. */
typedef struct {
    const void *ptr;
    size_t len;
    Py_buffer view;
    int has_view;
} payload_t;

static int payload_get(PyObject *o, payload_t *pl, const char *what)
{
    pl->has_view = 0;
    if (!o || o == Py_None) {
        pl->ptr = NULL;
        pl->len = 0;
    } else if (PyBytes_CheckExact(o)) {
        pl->ptr = PyBytes_AS_STRING(o);
        pl->len = (size_t)PyBytes_GET_SIZE(o);
    } else if (PyUnicode_Check(o)) {
        Py_ssize_t n;
        pl->ptr = PyUnicode_AsUTF8AndSize(o, &n);
        if (!pl->ptr)
            return -1;
        pl->len = (size_t)n;
    } else if (PyObject_CheckBuffer(o)) {
        if (PyObject_GetBuffer(o, &pl->view, PyBUF_SIMPLE) < 0)
            return -1;
        pl->has_view = 1;
        pl->ptr = pl->view.buf ? pl->view.buf : "";
        pl->len = (size_t)pl->view.len;
    } else {
        PyErr_Format(PyExc_TypeError, "%s must be bytes, str, a buffer or None, not %.100s", what,
                     Py_TYPE(o)->tp_name);
        return -1;
    }
    return 0;
}

static void payload_release(payload_t *pl)
{
    if (pl->has_view)
        PyBuffer_Release(&pl->view);
    pl->has_view = 0;
}

static int header_add(kafc_headers_t *h, PyObject *name, PyObject *value)
{
    const char *n;
    if (PyUnicode_Check(name)) {
        n = PyUnicode_AsUTF8(name);
    } else if (PyBytes_Check(name)) {
        n = PyBytes_AS_STRING(name);
    } else {
        PyErr_Format(PyExc_TypeError, "header names must be str, not %.100s",
                     Py_TYPE(name)->tp_name);
        return -1;
    }
    if (!n)
        return -1;
    payload_t pl;
    if (payload_get(value, &pl, "a header value") < 0)
        return -1;
    kafc_err_t err = kafc_headers_add(h, n, pl.ptr, pl.len);
    payload_release(&pl);
    if (err != KAFC_ERR_NONE) {
        kpy_raise(err, *n ? NULL : "header names must not be empty");
        return -1;
    }
    return 0;
}

/* kafc headers from a dict or a sequence of (name, value) pairs; *hp NULL
 * for None or empty. */
static int headers_from_py(PyObject *o, kafc_headers_t **hp)
{
    *hp = NULL;
    if (!o || o == Py_None)
        return 0;
    kafc_headers_t *h = kafc_headers_new();
    if (!h) {
        PyErr_NoMemory();
        return -1;
    }
    if (PyDict_Check(o)) {
        PyObject *k, *v;
        Py_ssize_t pos = 0;
        while (PyDict_Next(o, &pos, &k, &v))
            if (header_add(h, k, v) < 0)
                goto fail;
    } else {
        PyObject *fast = PySequence_Fast(o, "headers must be a dict or a list of (name, value)");
        if (!fast)
            goto fail;
        for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(fast); i++) {
            PyObject *pair = PySequence_Fast_GET_ITEM(fast, i);
            if (!PyTuple_Check(pair) || PyTuple_GET_SIZE(pair) != 2) {
                PyErr_SetString(PyExc_TypeError, "headers must be a dict or a list of (name, "
                                                 "value) tuples");
                Py_DECREF(fast);
                goto fail;
            }
            if (header_add(h, PyTuple_GET_ITEM(pair, 0), PyTuple_GET_ITEM(pair, 1)) < 0) {
                Py_DECREF(fast);
                goto fail;
            }
        }
        Py_DECREF(fast);
    }
    if (kafc_headers_count(h) == 0)
        kafc_headers_destroy(h);
    else
        *hp = h;
    return 0;
fail:
    kafc_headers_destroy(h);
    return -1;
}

static PyObject *producer_produce(KpyProducer *self, PyObject *const *args, Py_ssize_t nargs,
                                  PyObject *kwnames)
{
    PyObject *a[A_N] = {NULL};
    if (check_open(self) < 0)
        return NULL;
    if (nargs > A_N) {
        PyErr_Format(PyExc_TypeError, "produce() takes at most %d arguments", A_N);
        return NULL;
    }
    for (Py_ssize_t i = 0; i < nargs; i++)
        a[i] = args[i];
    Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
    for (Py_ssize_t i = 0; i < nkw; i++) {
        PyObject *name = PyTuple_GET_ITEM(kwnames, i);
        int k = kw_index(name);
        if (k < 0) {
            PyErr_Format(PyExc_TypeError, "produce() got an unexpected keyword argument '%U'",
                         name);
            return NULL;
        }
        if (a[k]) {
            PyErr_Format(PyExc_TypeError, "produce() got multiple values for argument '%s'",
                         produce_names[k]);
            return NULL;
        }
        a[k] = args[nargs + i];
    }
    if (!a[A_TOPIC] || !PyUnicode_Check(a[A_TOPIC])) {
        PyErr_SetString(PyExc_TypeError, "produce() needs a topic (str)");
        return NULL;
    }
    const char *topic = PyUnicode_AsUTF8(a[A_TOPIC]);
    if (!topic)
        return NULL;
    int32_t partition = KAFC_PARTITION_ANY;
    if (a[A_PARTITION] && a[A_PARTITION] != Py_None) {
        long v = PyLong_AsLong(a[A_PARTITION]);
        if (v == -1 && PyErr_Occurred())
            return NULL;
        if (v < INT32_MIN || v > INT32_MAX)
            return kpy_raise(KAFC_ERR__INVALID_ARG, "partition out of range");
        partition = (int32_t)v;
    }
    int64_t timestamp = 0;
    if (a[A_TIMESTAMP] && a[A_TIMESTAMP] != Py_None) {
        timestamp = PyLong_AsLongLong(a[A_TIMESTAMP]);
        if (timestamp == -1 && PyErr_Occurred())
            return NULL;
    }
    PyObject *cb =
        a[A_ON_DELIVERY] && a[A_ON_DELIVERY] != Py_None ? a[A_ON_DELIVERY] : self->default_cb;
    if (cb && !PyCallable_Check(cb)) {
        PyErr_SetString(PyExc_TypeError, "on_delivery must be callable");
        return NULL;
    }
    payload_t key, value;
    if (payload_get(a[A_VALUE], &value, "value") < 0)
        return NULL;
    if (payload_get(a[A_KEY], &key, "key") < 0) {
        payload_release(&value);
        return NULL;
    }
    kafc_headers_t *hdrs = NULL;
    if (headers_from_py(a[A_HEADERS], &hdrs) < 0) {
        payload_release(&key);
        payload_release(&value);
        return NULL;
    }
    Py_XINCREF(cb);
    /* kafc_produce may wait (for the topic's metadata on its first message,
     * for buffer memory up to max.block.ms): without the GIL. */
    PyThreadState *prev = kpy_unlock();
    kafc_err_t err = kafc_produce(self->p, topic, partition, KAFC_MSG_F_COPY, key.ptr, key.len,
                                  value.ptr, value.len, hdrs, timestamp, cb);
    kpy_relock(prev);
    payload_release(&key);
    payload_release(&value);
    if (err != KAFC_ERR_NONE) {
        Py_XDECREF(cb);
        kafc_headers_destroy(hdrs);
        if (kpy_exc_raise_stored(&self->exc) < 0)
            return NULL;
        if (err == KAFC_ERR__FATAL) {
            char errstr[512] = "";
            kafc_producer_fatal_error(self->p, errstr, sizeof(errstr));
            return kpy_raise(err, errstr[0] ? errstr : NULL);
        }
        return kpy_raise(err, NULL);
    }
    if (kpy_exc_raise_stored(&self->exc) < 0)
        return NULL;
    Py_RETURN_NONE;
}

/* ---- poll, flush, purge, len ------------------------------------------------------ */

static PyObject *producer_poll(KpyProducer *self, PyObject *args, PyObject *kwargs)
{
    static char *kws[] = {"timeout", NULL};
    PyObject *tmo = NULL;
    int timeout_ms;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|O:poll", kws, &tmo) ||
        kpy_timeout_ms(tmo, &timeout_ms) < 0 || check_open(self) < 0)
        return NULL;
    Py_ssize_t served = run_backlog(self);
    if (served < 0)
        return NULL;
    if (served > 0)
        timeout_ms = 0;
    int64_t deadline = kpy_deadline(timeout_ms);
    for (;;) {
        int left = kpy_remaining(deadline);
        int slice = left < 0 || left > KPY_SLICE_MS ? KPY_SLICE_MS : left;
        PyThreadState *prev = kpy_unlock();
        int n = kafc_producer_poll(self->p, slice);
        kpy_relock(prev);
        served += n;
        if (kpy_exc_raise_stored(&self->exc) < 0)
            return NULL;
        if (served > 0 || kpy_remaining(deadline) == 0)
            break;
        if (PyErr_CheckSignals() < 0)
            return NULL;
    }
    return PyLong_FromSsize_t(served);
}

static PyObject *producer_flush(KpyProducer *self, PyObject *args, PyObject *kwargs)
{
    static char *kws[] = {"timeout", NULL};
    PyObject *tmo = NULL;
    int timeout_ms;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|O:flush", kws, &tmo) ||
        kpy_timeout_ms(tmo, &timeout_ms) < 0 || check_open(self) < 0)
        return NULL;
    if (run_backlog(self) < 0)
        return NULL;
    int64_t deadline = kpy_deadline(timeout_ms);
    for (;;) {
        int left = kpy_remaining(deadline);
        int slice = left < 0 || left > KPY_SLICE_MS ? KPY_SLICE_MS : left;
        PyThreadState *prev = kpy_unlock();
        kafc_err_t err = kafc_producer_flush(self->p, slice);
        kpy_relock(prev);
        if (kpy_exc_raise_stored(&self->exc) < 0)
            return NULL;
        if (err == KAFC_ERR_NONE || kpy_remaining(deadline) == 0)
            break;
        if (PyErr_CheckSignals() < 0)
            return NULL;
    }
    return PyLong_FromLongLong(kafc_producer_outstanding(self->p) + backlog_len(self));
}

static PyObject *producer_purge(KpyProducer *self, PyObject *args, PyObject *kwargs)
{
    static char *kws[] = {"in_queue", "in_flight", "blocking", NULL};
    int in_queue = 1, in_flight = 1, blocking = 1;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|ppp:purge", kws, &in_queue, &in_flight,
                                     &blocking) ||
        check_open(self) < 0)
        return NULL;
    int flags = (in_queue ? KAFC_PURGE_QUEUE : 0) | (in_flight ? KAFC_PURGE_INFLIGHT : 0);
    if (flags) {
        kafc_err_t err = kafc_producer_purge(self->p, flags);
        if (err != KAFC_ERR_NONE)
            return kpy_raise(err, NULL);
    }
    (void)blocking; /* the reports come with the next poll()/flush() either way */
    Py_RETURN_NONE;
}

static Py_ssize_t producer_len(KpyProducer *self)
{
    if (!self->p)
        return 0;
    return (Py_ssize_t)kafc_producer_outstanding(self->p) + backlog_len(self);
}

static int producer_bool(KpyProducer *self)
{
    return 1; /* an empty producer is still true (len() would say otherwise) */
}

static PyObject *producer_fatal_error(KpyProducer *self, PyObject *unused)
{
    if (check_open(self) < 0)
        return NULL;
    char errstr[512] = "";
    kafc_err_t err = kafc_producer_fatal_error(self->p, errstr, sizeof(errstr));
    if (err == KAFC_ERR_NONE)
        Py_RETURN_NONE;
    return kpy_error_new(err, errstr[0] ? errstr : NULL);
}

static PyMethodDef producer_methods[] = {
    {"produce", (PyCFunction)(void (*)(void))producer_produce, METH_FASTCALL | METH_KEYWORDS,
     "produce(topic, value=None, key=None, partition=-1, on_delivery=None, timestamp=0, "
     "headers=None)\n\n"
     "Queues one message. value/key: bytes, str (UTF-8) or a buffer, or None. headers: a "
     "dict or a list of (name, value) tuples. timestamp: ms since the epoch, 0 for now. "
     "on_delivery(err, msg) runs once, inside a later poll()/flush(). Raises "
     "KafkaException (QueueFullError when the buffer is full)."},
    {"poll", (PyCFunction)(void (*)(void))producer_poll, METH_VARARGS | METH_KEYWORDS,
     "poll(timeout=None) -> int\n\nServes delivery reports, waiting up to timeout seconds "
     "(None: until one arrives) for the first. Returns how many were served."},
    {"flush", (PyCFunction)(void (*)(void))producer_flush, METH_VARARGS | METH_KEYWORDS,
     "flush(timeout=None) -> int\n\nSends everything and serves delivery reports until "
     "none is outstanding or timeout seconds pass. Returns the number still outstanding."},
    {"purge", (PyCFunction)(void (*)(void))producer_purge, METH_VARARGS | METH_KEYWORDS,
     "purge(in_queue=True, in_flight=True, blocking=True)\n\nFails queued (and in-flight) "
     "messages; their reports (_PURGE_QUEUE / _PURGE_INFLIGHT) come with the next poll()."},
    {"fatal_error", (PyCFunction)producer_fatal_error, METH_NOARGS,
     "fatal_error() -> KafkaError or None: the fatal error that stopped the producer."},
    {NULL, NULL, 0, NULL},
};

static PySequenceMethods producer_as_sequence = {
    .sq_length = (lenfunc)producer_len,
};

static PyNumberMethods producer_as_number = {
    .nb_bool = (inquiry)producer_bool,
};

PyTypeObject KpyProducerType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "kafc.Producer",
    .tp_basicsize = sizeof(KpyProducer),
    .tp_dealloc = (destructor)producer_dealloc,
    .tp_as_number = &producer_as_number,
    .tp_as_sequence = &producer_as_sequence,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "Producer(config)\n\nA Kafka producer. config: a dict of libkafc property names "
              "(see CONFIGURATION.md) to values, plus 'on_delivery' (default delivery "
              "callback) and 'logger' (a logging.Logger). len(producer) is the number of "
              "messages not yet reported.",
    .tp_traverse = (traverseproc)producer_traverse,
    .tp_clear = (inquiry)producer_clear,
    .tp_methods = producer_methods,
    .tp_init = (initproc)producer_init,
    .tp_new = PyType_GenericNew,
};

int kpy_producer_init(PyObject *m)
{
    for (int i = 0; i < A_N; i++)
        if (!(produce_kw[i] = PyUnicode_InternFromString(produce_names[i])))
            return -1;
    if (!(kw_callback = PyUnicode_InternFromString("callback")))
        return -1;
    if (PyType_Ready(&KpyProducerType) < 0)
        return -1;
    return PyModule_AddObjectRef(m, "Producer", (PyObject *)&KpyProducerType);
}
