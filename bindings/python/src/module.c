/*
 * The kafc._kafc module: KafkaError, KafkaException, configuration dicts,
 * timeouts, the log callback and module initialisation. Runs with the GIL
 * held unless a function says otherwise.
 */
#include "kafcmodule.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

_Thread_local PyThreadState *kpy_tstate;

PyObject *KpyException;
PyObject *KpyQueueFullError;

/* ---- KafkaError ------------------------------------------------------------ */

PyObject *kpy_error_new(kafc_err_t code, const char *reason)
{
    KpyError *e = PyObject_New(KpyError, &KpyErrorType);
    if (!e)
        return NULL;
    e->code = code;
    e->fatal = code == KAFC_ERR__FATAL;
    e->retriable = 0;
    e->reason =
        PyUnicode_DecodeUTF8(reason ? reason : kafc_err_str(code),
                             (Py_ssize_t)strlen(reason ? reason : kafc_err_str(code)), "replace");
    if (!e->reason) {
        Py_DECREF(e);
        return NULL;
    }
    return (PyObject *)e;
}

PyObject *kpy_error_or_none(kafc_err_t code)
{
    if (code == KAFC_ERR_NONE)
        Py_RETURN_NONE;
    return kpy_error_new(code, NULL);
}

PyObject *kpy_raise(kafc_err_t code, const char *reason)
{
    PyObject *e = kpy_error_new(code, reason);
    if (!e)
        return NULL;
    PyObject *exc_type = code == KAFC_ERR__QUEUE_FULL ? KpyQueueFullError : KpyException;
    PyObject *exc = PyObject_CallOneArg(exc_type, e);
    Py_DECREF(e);
    if (!exc)
        return NULL;
    PyErr_SetObject(exc_type, exc);
    Py_DECREF(exc);
    return NULL;
}

static PyObject *error_tp_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    static char *kws[] = {"error", "reason", "fatal", "retriable", NULL};
    int code = 0, fatal = 0, retriable = 0;
    const char *reason = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "i|zpp", kws, &code, &reason, &fatal,
                                     &retriable))
        return NULL;
    KpyError *e = (KpyError *)type->tp_alloc(type, 0);
    if (!e)
        return NULL;
    e->code = code;
    e->fatal = fatal;
    e->retriable = retriable;
    const char *r = reason ? reason : kafc_err_str(code);
    e->reason = PyUnicode_FromString(r);
    if (!e->reason) {
        Py_DECREF(e);
        return NULL;
    }
    return (PyObject *)e;
}

static void error_dealloc(KpyError *self)
{
    Py_XDECREF(self->reason);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *error_code(KpyError *self, PyObject *unused)
{
    return PyLong_FromLong(self->code);
}

static PyObject *error_name(KpyError *self, PyObject *unused)
{
    return PyUnicode_FromString(kafc_err_name(self->code));
}

static PyObject *error_str(KpyError *self, PyObject *unused)
{
    return Py_NewRef(self->reason);
}

static PyObject *error_fatal(KpyError *self, PyObject *unused)
{
    return PyBool_FromLong(self->fatal);
}

static PyObject *error_retriable(KpyError *self, PyObject *unused)
{
    return PyBool_FromLong(self->retriable);
}

static PyObject *error_repr(KpyError *self)
{
    return PyUnicode_FromFormat("KafkaError{code=%s,val=%d,str=\"%U\"}", kafc_err_name(self->code),
                                (int)self->code, self->reason);
}

static PyObject *error_tp_str(KpyError *self)
{
    return Py_NewRef(self->reason);
}

static Py_hash_t error_hash(KpyError *self)
{
    return self->code == -1 ? -2 : (Py_hash_t)self->code;
}

/* Compares with another KafkaError or an int code. */
static PyObject *error_richcompare(PyObject *a, PyObject *b, int op)
{
    long x, y;
    if (!PyObject_TypeCheck(a, &KpyErrorType))
        Py_RETURN_NOTIMPLEMENTED;
    x = ((KpyError *)a)->code;
    if (PyObject_TypeCheck(b, &KpyErrorType))
        y = ((KpyError *)b)->code;
    else if (PyLong_Check(b)) {
        y = PyLong_AsLong(b);
        if (y == -1 && PyErr_Occurred()) {
            PyErr_Clear();
            Py_RETURN_NOTIMPLEMENTED;
        }
    } else
        Py_RETURN_NOTIMPLEMENTED;
    Py_RETURN_RICHCOMPARE(x, y, op);
}

static PyMethodDef error_methods[] = {
    {"code", (PyCFunction)error_code, METH_NOARGS, "The error code (an int)."},
    {"name", (PyCFunction)error_name, METH_NOARGS,
     "The code's symbolic name, e.g. 'UNKNOWN_TOPIC_OR_PARTITION' or '_PARTITION_EOF'."},
    {"str", (PyCFunction)error_str, METH_NOARGS, "A human-readable description."},
    {"fatal", (PyCFunction)error_fatal, METH_NOARGS, "Whether the error is fatal."},
    {"retriable", (PyCFunction)error_retriable, METH_NOARGS,
     "Whether the operation may be retried."},
    {NULL, NULL, 0, NULL},
};

PyTypeObject KpyErrorType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "kafc.KafkaError",
    .tp_basicsize = sizeof(KpyError),
    .tp_dealloc = (destructor)error_dealloc,
    .tp_repr = (reprfunc)error_repr,
    .tp_str = (reprfunc)error_tp_str,
    .tp_hash = (hashfunc)error_hash,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "KafkaError(error, reason=None, fatal=False, retriable=False)\n\n"
              "A kafc error code with its name and description. Compares equal to its "
              "int code; the codes are class attributes (KafkaError._PARTITION_EOF, "
              "KafkaError.UNKNOWN_TOPIC_OR_PARTITION, ...).",
    .tp_richcompare = error_richcompare,
    .tp_methods = error_methods,
    .tp_new = error_tp_new,
};

/* ---- exceptions kept across a blocking call --------------------------------- */

PyObject *kpy_exc_fetch(void)
{
#if PY_VERSION_HEX >= 0x030C0000
    return PyErr_GetRaisedException();
#else
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    if (!type)
        return NULL;
    PyErr_NormalizeException(&type, &value, &tb);
    if (tb && value)
        PyException_SetTraceback(value, tb);
    Py_XDECREF(type);
    Py_XDECREF(tb);
    return value;
#endif
}

void kpy_exc_restore(PyObject *exc)
{
#if PY_VERSION_HEX >= 0x030C0000
    PyErr_SetRaisedException(exc);
#else
    PyErr_Restore(Py_NewRef((PyObject *)Py_TYPE(exc)), exc, PyException_GetTraceback(exc));
#endif
}

void kpy_exc_store(PyObject **slot)
{
    if (*slot) {
        PyErr_WriteUnraisable(NULL);
        return;
    }
    *slot = kpy_exc_fetch();
}

int kpy_exc_raise_stored(PyObject **slot)
{
    PyObject *exc = *slot;
    if (!exc)
        return 0;
    *slot = NULL;
    kpy_exc_restore(exc);
    return -1;
}

/* ---- configuration ---------------------------------------------------------- */

static int conf_set_one(kafc_conf_t *conf, PyObject *key, PyObject *value,
                        kpy_conf_special_t *special, void *self)
{
    if (!PyUnicode_Check(key)) {
        PyErr_Format(PyExc_TypeError, "configuration property names must be str, not %.100s",
                     Py_TYPE(key)->tp_name);
        return -1;
    }
    const char *name = PyUnicode_AsUTF8(key);
    if (!name)
        return -1;
    if (special) {
        int took = special(self, name, value);
        if (took)
            return took < 0 ? -1 : 0;
    }
    PyObject *text = NULL;
    const char *v = NULL;
    if (value == Py_None)
        v = NULL;
    else if (PyBool_Check(value))
        v = value == Py_True ? "true" : "false";
    else if (PyUnicode_Check(value))
        v = PyUnicode_AsUTF8(value);
    else if (PyLong_Check(value) || PyFloat_Check(value)) {
        text = PyObject_Str(value);
        if (!text)
            return -1;
        v = PyUnicode_AsUTF8(text);
    } else if (PyCallable_Check(value)) {
        char why[300];
        snprintf(why, sizeof(why),
                 "\"%s\": a callable is accepted only for the callback "
                 "properties of this class",
                 name);
        kpy_raise(KAFC_ERR__INVALID_CONFIG_VALUE, why);
        return -1;
    } else {
        text = PyObject_Str(value);
        if (!text)
            return -1;
        v = PyUnicode_AsUTF8(text);
    }
    if (value != Py_None && !v) {
        Py_XDECREF(text);
        return -1;
    }
    char errstr[512];
    errstr[0] = '\0';
    kafc_err_t err = kafc_conf_set(conf, name, v, errstr, sizeof(errstr));
    Py_XDECREF(text);
    if (err != KAFC_ERR_NONE) {
        kpy_raise(err, errstr[0] ? errstr : NULL);
        return -1;
    }
    return 0;
}

static int conf_apply(kafc_conf_t *conf, PyObject *dict, kpy_conf_special_t *special, void *self)
{
    PyObject *key, *value;
    Py_ssize_t pos = 0;
    while (PyDict_Next(dict, &pos, &key, &value))
        if (conf_set_one(conf, key, value, special, self) < 0)
            return -1;
    return 0;
}

kafc_conf_t *kpy_conf_from_dict(PyObject *dict, PyObject *kwargs, kpy_conf_special_t *special,
                                void *self)
{
    if (dict && dict != Py_None && !PyDict_Check(dict)) {
        PyErr_Format(PyExc_TypeError, "expected a configuration dict, not %.100s",
                     Py_TYPE(dict)->tp_name);
        return NULL;
    }
    kafc_conf_t *conf = kafc_conf_new();
    if (!conf) {
        PyErr_NoMemory();
        return NULL;
    }
    if ((dict && dict != Py_None && conf_apply(conf, dict, special, self) < 0) ||
        (kwargs && conf_apply(conf, kwargs, special, self) < 0)) {
        kafc_conf_destroy(conf);
        return NULL;
    }
    return conf;
}

/* ---- logging -------------------------------------------------------------- */

/* syslog levels (kafc) to the logging module's levels. */
static int py_level(int level)
{
    if (level <= KAFC_LOG_CRIT)
        return 50;
    if (level == KAFC_LOG_ERR)
        return 40;
    if (level == KAFC_LOG_WARNING)
        return 30;
    if (level <= KAFC_LOG_INFO)
        return 20;
    return 10;
}

void kpy_log_cb(void *opaque, int level, const char *ctx, const char *msg)
{
    kpy_log_ctx_t *lc = opaque;
    if (!lc->logger || (lc->closing && *lc->closing))
        return;
    PyThreadState *ts = kpy_cb_enter();
    PyObject *r = PyObject_CallMethod(lc->logger, "log", "isss", py_level(level), "kafc %s: %s",
                                      ctx ? ctx : "", msg ? msg : "");
    if (r)
        Py_DECREF(r);
    else if (lc->exc_slot)
        kpy_exc_store(lc->exc_slot);
    else
        PyErr_WriteUnraisable(lc->logger);
    kpy_cb_leave(ts);
}

int kpy_set_callable(PyObject **slot, PyObject *v, const char *name)
{
    if (v && v != Py_None && !PyCallable_Check(v)) {
        PyErr_Format(PyExc_TypeError, "%s must be callable", name);
        return -1;
    }
    Py_XSETREF(*slot, v && v != Py_None ? Py_NewRef(v) : NULL);
    return 0;
}

int kpy_conf_common(kpy_log_ctx_t *log, const char *name, PyObject *value)
{
    if (strcmp(name, "logger") != 0)
        return 0;
    Py_XSETREF(log->logger, value == Py_None ? NULL : Py_NewRef(value));
    return 1;
}

/* ---- timeouts --------------------------------------------------------------- */

int kpy_timeout_ms(PyObject *obj, int *msp)
{
    if (!obj || obj == Py_None) {
        *msp = -1;
        return 0;
    }
    double s = PyFloat_AsDouble(obj);
    if (s == -1.0 && PyErr_Occurred())
        return -1;
    if (s < 0)
        *msp = -1;
    else if (s * 1000.0 >= 2147483647.0)
        *msp = -1;
    else
        *msp = (int)(s * 1000.0 + 0.5);
    return 0;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t kpy_deadline(int timeout_ms)
{
    return timeout_ms < 0 ? INT64_MAX : now_ms() + timeout_ms;
}

int kpy_remaining(int64_t deadline)
{
    if (deadline == INT64_MAX)
        return -1;
    int64_t left = deadline - now_ms();
    return left <= 0 ? 0 : left > INT32_MAX ? INT32_MAX : (int)left;
}

/* ---- module --------------------------------------------------------------- */

static PyObject *mod_version(PyObject *m, PyObject *unused)
{
    return Py_BuildValue("(sI)", kafc_version_str(), (unsigned)kafc_version());
}

static PyMethodDef module_methods[] = {
    {"libversion", mod_version, METH_NOARGS,
     "libversion() -> (str, int): the libkafc version loaded, as text and as 0xMMmmpp."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef kafc_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "kafc._kafc",
    .m_doc = "The C extension behind the kafc package (a binding of libkafc).",
    .m_size = -1,
    .m_methods = module_methods,
};

/* KafkaError.<NAME> class attributes for every code libkafc names. */
static int add_error_codes(void)
{
    PyObject *dict = KpyErrorType.tp_dict;
    for (int code = -999; code < 1000; code++) {
        const char *name = kafc_err_name(code);
        if (!name || !strcmp(name, "UNKNOWN"))
            continue;
        PyObject *v = PyLong_FromLong(code);
        if (!v || PyDict_SetItemString(dict, name, v) < 0) {
            Py_XDECREF(v);
            return -1;
        }
        Py_DECREF(v);
    }
    PyType_Modified(&KpyErrorType);
    return 0;
}

static int add_constants(PyObject *m)
{
    static const struct {
        const char *name;
        long long value;
    } c[] = {
        {"OFFSET_BEGINNING", KAFC_OFFSET_BEGINNING},
        {"OFFSET_END", KAFC_OFFSET_END},
        {"OFFSET_STORED", KAFC_OFFSET_STORED},
        {"OFFSET_INVALID", KAFC_OFFSET_INVALID},
        {"TIMESTAMP_NOT_AVAILABLE", KAFC_TIMESTAMP_NOT_AVAILABLE},
        {"TIMESTAMP_CREATE_TIME", KAFC_TIMESTAMP_CREATE_TIME},
        {"TIMESTAMP_LOG_APPEND_TIME", KAFC_TIMESTAMP_LOG_APPEND_TIME},
        {"PARTITION_ANY", KAFC_PARTITION_ANY},
    };
    for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++)
        if (PyModule_AddObject(m, c[i].name, PyLong_FromLongLong(c[i].value)) < 0)
            return -1;
    return 0;
}

PyMODINIT_FUNC PyInit__kafc(void);

PyMODINIT_FUNC PyInit__kafc(void)
{
    if (PyType_Ready(&KpyErrorType) < 0 || add_error_codes() < 0)
        return NULL;
    PyObject *m = PyModule_Create(&kafc_module);
    if (!m)
        return NULL;
    KpyException = PyErr_NewExceptionWithDoc(
        "kafc.KafkaException",
        "Raised by kafc calls; args[0] is the KafkaError saying what went wrong.", NULL, NULL);
    PyObject *bases = KpyException ? PyTuple_Pack(2, KpyException, PyExc_BufferError) : NULL;
    KpyQueueFullError =
        bases ? PyErr_NewExceptionWithDoc("kafc.QueueFullError",
                                          "produce() found the producer's buffer full "
                                          "(_QUEUE_FULL): poll() and try again. Also a "
                                          "BufferError, as confluent-kafka raises.",
                                          bases, NULL)
              : NULL;
    Py_XDECREF(bases);
    if (!KpyQueueFullError || PyModule_AddObjectRef(m, "KafkaException", KpyException) < 0 ||
        PyModule_AddObjectRef(m, "QueueFullError", KpyQueueFullError) < 0 ||
        PyModule_AddObjectRef(m, "KafkaError", (PyObject *)&KpyErrorType) < 0 ||
        add_constants(m) < 0 || kpy_types_init(m) < 0 || kpy_producer_init(m) < 0 ||
        kpy_consumer_init(m) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
