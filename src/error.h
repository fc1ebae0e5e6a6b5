/*
 * error — what kafc knows about each kafc_err_t beyond the public
 * kafc_err_str()/kafc_err_name(): whether an error is worth retrying.
 *
 * The table behind these functions is generated (src/error.c, from
 * ../shared/kafka-protocol/error-codes.tsv and tools/local-errors.tsv by
 * tools/gen_errors.py); it is static, read-only data, so every function here
 * may be called from any thread without a lock. Nothing here allocates.
 */
#ifndef KAFC_ERROR_H
#define KAFC_ERROR_H

#include "kafc/kafc.h"

/* 1 when err is transient and the operation that failed with it may be
 * retried as is (Kafka's retriable errors, as its Java client classifies
 * them, and kafc's local _TIMED_OUT, _TRANSPORT, ...); 0 otherwise, and for
 * KAFC_ERR_NONE and unknown codes. Any thread. */
int kafc__err_retriable(kafc_err_t err);

#endif /* KAFC_ERROR_H */
