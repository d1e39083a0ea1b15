/*
 * libbounce - why did this email bounce, and what to do about it.
 *
 * The one public header. It includes only <stddef.h> and <stdint.h>.
 * New enum values and functions are only ever added at the end of their group.
 */
#ifndef BOUNCE_H
#define BOUNCE_H

#include <stddef.h>
#include <stdint.h>

#include "bounce_version.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32) && defined(BOUNCE_BUILDING_DLL)
#define BOUNCE_API __declspec(dllexport)
#elif defined(_WIN32) && !defined(BOUNCE_STATIC)
#define BOUNCE_API __declspec(dllimport)
#elif defined(__GNUC__) && __GNUC__ >= 4
#define BOUNCE_API __attribute__((visibility("default")))
#else
#define BOUNCE_API
#endif

/**
 * @defgroup core Core: status codes, memory, versions, enum names
 * Thread safety: every function in this group is safe to call from any thread.
 * @{
 */

/** Status returned by every function that can fail. Values are stable. */
typedef enum bounce_status {
    BOUNCE_OK = 0,          /**< success */
    BOUNCE_E_NOMEM = 1,     /**< out of memory */
    BOUNCE_E_INVAL = 2,     /**< invalid argument (API misuse, e.g. NULL handle) */
    BOUNCE_E_SYNTAX = 3,    /**< syntax error in a knowledge-base file */
    BOUNCE_E_IO = 4,        /**< a file could not be read */
    BOUNCE_E_RANGE = 5,     /**< an index or value is out of range */
    BOUNCE_E_LIMIT = 6,     /**< a hard limit was exceeded */
    BOUNCE_E_STATE = 7      /**< call not valid in the handle's current state */
} bounce_status_t;

/**
 * @brief Static English text for a status.
 * @param[in] st a status value
 * @return a static string, never NULL ("unknown status" for unknown values)
 * @since 0.1
 */
BOUNCE_API const char *bounce_strerror(bounce_status_t st);

/**
 * @brief Stable identifier of a status, e.g. "BOUNCE_E_SYNTAX".
 * @param[in] st a status value
 * @return a static string, never NULL ("BOUNCE_E_UNKNOWN" for unknown values)
 * @since 0.1
 */
BOUNCE_API const char *bounce_status_name(bounce_status_t st);

/**
 * @brief Free a string or buffer the library returned as owned.
 * @param[in] p the pointer, or NULL (no-op)
 * @since 0.1
 */
BOUNCE_API void bounce_free(void *p);

/**
 * @brief The library's version as "X.Y.Z".
 * @return a static string
 * @since 0.1
 */
BOUNCE_API const char *bounce_version(void);

/**
 * @brief The library's version as 0xMMmmpp.
 * @return the version number
 * @since 0.1
 */
BOUNCE_API uint32_t bounce_version_number(void);

/**
 * @brief Check that the library is at least a given version.
 * @param[in] min a version number as 0xMMmmpp
 * @return 1 if the library is @p min or newer, 0 if it is older
 * @since 0.1
 */
BOUNCE_API int bounce_check_version(uint32_t min);

/** The 34 bounce reasons (Sisimai v5.6 vocabulary). Values are stable. */
typedef enum bounce_reason {
    BOUNCE_REASON_UNDEFINED = 0,
    BOUNCE_REASON_AUTHFAILURE,
    BOUNCE_REASON_BADREPUTATION,
    BOUNCE_REASON_BLOCKED,
    BOUNCE_REASON_CONTENTERROR,
    BOUNCE_REASON_DELIVERED,
    BOUNCE_REASON_EMAILTOOLARGE,
    BOUNCE_REASON_EXPIRED,
    BOUNCE_REASON_FAILEDSTARTTLS,
    BOUNCE_REASON_FEEDBACK,
    BOUNCE_REASON_FILTERED,
    BOUNCE_REASON_HASMOVED,
    BOUNCE_REASON_HOSTUNKNOWN,
    BOUNCE_REASON_MAILBOXFULL,
    BOUNCE_REASON_MAILERERROR,
    BOUNCE_REASON_NETWORKERROR,
    BOUNCE_REASON_NORELAYING,
    BOUNCE_REASON_NOTACCEPT,
    BOUNCE_REASON_NOTCOMPLIANTRFC,
    BOUNCE_REASON_ONHOLD,
    BOUNCE_REASON_POLICYVIOLATION,
    BOUNCE_REASON_RATELIMITED,
    BOUNCE_REASON_REJECTED,
    BOUNCE_REASON_REQUIREPTR,
    BOUNCE_REASON_SECURITYERROR,
    BOUNCE_REASON_SPAMDETECTED,
    BOUNCE_REASON_SUPPRESSED,
    BOUNCE_REASON_SUSPEND,
    BOUNCE_REASON_SYNTAXERROR,
    BOUNCE_REASON_SYSTEMERROR,
    BOUNCE_REASON_SYSTEMFULL,
    BOUNCE_REASON_USERUNKNOWN,
    BOUNCE_REASON_VACATION,
    BOUNCE_REASON_VIRUSDETECTED
} bounce_reason_t;

/** Severity of a classified event. Values are stable. */
typedef enum bounce_severity {
    BOUNCE_SEVERITY_NONE = 0,      /**< not a failure (feedback, auto-reply) */
    BOUNCE_SEVERITY_PERMANENT = 1, /**< permanent failure: do not retry */
    BOUNCE_SEVERITY_TRANSIENT = 2, /**< temporary failure: retry later */
    BOUNCE_SEVERITY_SUCCESS = 3    /**< delivered */
} bounce_severity_t;

/** Who must act. Values are stable. */
typedef enum bounce_who {
    BOUNCE_WHO_NONE = 0,
    BOUNCE_WHO_SENDER = 1,
    BOUNCE_WHO_RECIPIENT = 2,
    BOUNCE_WHO_LOCAL_ADMIN = 3,
    BOUNCE_WHO_REMOTE_ADMIN = 4
} bounce_who_t;

/** What to do about it. Values are stable. */
typedef enum bounce_action {
    BOUNCE_ACTION_NONE = 0,
    BOUNCE_ACTION_SUPPRESS = 1,
    BOUNCE_ACTION_RETRY = 2,
    BOUNCE_ACTION_FIX_LOCAL_CONFIG = 3,
    BOUNCE_ACTION_FIX_DNS = 4,
    BOUNCE_ACTION_REQUEST_DELISTING = 5,
    BOUNCE_ACTION_CONTACT_RECIPIENT = 6
} bounce_action_t;

/** SMTP stage at which a reply was given. Values are stable. */
typedef enum bounce_stage {
    BOUNCE_STAGE_UNKNOWN = 0,
    BOUNCE_STAGE_CONNECT = 1, /**< greeting / connection */
    BOUNCE_STAGE_HELO = 2,
    BOUNCE_STAGE_STARTTLS = 3,
    BOUNCE_STAGE_AUTH = 4,
    BOUNCE_STAGE_MAIL = 5,
    BOUNCE_STAGE_RCPT = 6,
    BOUNCE_STAGE_DATA = 7,
    BOUNCE_STAGE_EOD = 8      /**< after the final dot */
} bounce_stage_t;

/** What happened to a recipient (the record's status). Values are stable. */
typedef enum bounce_event {
    BOUNCE_EVENT_UNKNOWN = 0,
    BOUNCE_EVENT_DELIVERED = 1,
    BOUNCE_EVENT_DEFERRED = 2,
    BOUNCE_EVENT_BOUNCED = 3,
    BOUNCE_EVENT_EXPIRED = 4,
    BOUNCE_EVENT_REJECTED = 5,
    BOUNCE_EVENT_QUEUED = 6,
    BOUNCE_EVENT_HELD = 7,
    BOUNCE_EVENT_FROZEN = 8,
    BOUNCE_EVENT_FEEDBACK = 9,
    BOUNCE_EVENT_AUTOREPLY = 10,
    BOUNCE_EVENT_DELAYED = 11  /**< delayed-delivery warning DSN */
} bounce_event_t;

/** Where a record came from. Values are stable. */
typedef enum bounce_source {
    BOUNCE_SOURCE_NONE = 0,
    BOUNCE_SOURCE_DSN = 1,
    BOUNCE_SOURCE_POSTFIX = 2,
    BOUNCE_SOURCE_EXIM = 3,
    BOUNCE_SOURCE_POSTQUEUE = 4,
    BOUNCE_SOURCE_EXIM_QUEUE = 5
} bounce_source_t;

/** Remediation flavour. Values are stable. */
typedef enum bounce_mta {
    BOUNCE_MTA_ANY = 0,
    BOUNCE_MTA_POSTFIX = 1,
    BOUNCE_MTA_EXIM = 2,
    BOUNCE_MTA_PLESK = 3,
    BOUNCE_MTA_CPANEL = 4
} bounce_mta_t;

/** Enum families for the name functions. */
typedef enum bounce_enum {
    BOUNCE_ENUM_REASON = 0,
    BOUNCE_ENUM_SEVERITY = 1,
    BOUNCE_ENUM_WHO = 2,
    BOUNCE_ENUM_ACTION = 3,
    BOUNCE_ENUM_STAGE = 4,
    BOUNCE_ENUM_EVENT = 5,
    BOUNCE_ENUM_SOURCE = 6,
    BOUNCE_ENUM_MTA = 7,
    BOUNCE_ENUM_STATUS = 8
} bounce_enum_t;

/**
 * @brief Lower-case name of an enum value ("userunknown", "permanent", "rcpt", ...).
 * @param[in] family which enum
 * @param[in] value the value
 * @return a static string, or NULL if the value is out of range
 * @since 0.1
 */
BOUNCE_API const char *bounce_enum_name(bounce_enum_t family, int value);

/**
 * @brief Value of an enum name (case-insensitive).
 * @param[in] family which enum
 * @param[in] name the name, NUL-terminated
 * @return the value, or -1 if the name is unknown
 * @since 0.1
 */
BOUNCE_API int bounce_enum_from_name(bounce_enum_t family, const char *name);

/**
 * @brief Number of values of an enum family (values are 0..count-1).
 * @param[in] family which enum
 * @return the count, 0 for an unknown family
 * @since 0.1
 */
BOUNCE_API int bounce_enum_count(bounce_enum_t family);

/** @} */

/**
 * @defgroup diag Diagnostics with a position
 * A diagnostic belongs to one thread at a time.
 * @{
 */

/** Opaque error report with file, line and column. */
typedef struct bounce_diag bounce_diag_t;

/**
 * @brief Name of the file (or buffer) the error is in.
 * @param[in] d the diagnostic
 * @return the name @borrowed{d}, or NULL
 * @since 0.1
 */
BOUNCE_API const char *bounce_diag_file(const bounce_diag_t *d);

/**
 * @brief 1-based line of the error, 0 if unknown.
 * @param[in] d the diagnostic
 * @return the line
 * @since 0.1
 */
BOUNCE_API size_t bounce_diag_line(const bounce_diag_t *d);

/**
 * @brief 1-based column of the error, 0 if unknown.
 * @param[in] d the diagnostic
 * @return the column
 * @since 0.1
 */
BOUNCE_API size_t bounce_diag_column(const bounce_diag_t *d);

/**
 * @brief Human-readable message.
 * @param[in] d the diagnostic
 * @return the message @borrowed{d}
 * @since 0.1
 */
BOUNCE_API const char *bounce_diag_message(const bounce_diag_t *d);

/**
 * @brief Free a diagnostic.
 * @param[in] d the diagnostic, or NULL
 * @since 0.1
 */
BOUNCE_API void bounce_diag_free(bounce_diag_t *d);

/** @} */

/**
 * @defgroup kb Knowledge base
 * A KB never changes once built, so one KB may be used by any number of threads at once.
 * @{
 */

/** Opaque, immutable knowledge base. */
typedef struct bounce_kb bounce_kb_t;

/**
 * @brief The knowledge base compiled into the library.
 * @return a static handle (never NULL); bounce_kb_free() ignores it
 * @since 0.1
 */
BOUNCE_API const bounce_kb_t *bounce_kb_builtin(void);

/**
 * @brief Build a new KB from @p base plus the entries of a KB file in memory.
 *
 * Entries of the buffer add to or override (same id) those of @p base. On error nothing
 * is created and @p *out is left unchanged.
 * @param[in] base the KB to extend (e.g. bounce_kb_builtin()), or NULL for an empty base
 * @param[in] buf the file contents (need not be NUL-terminated)
 * @param[in] len length of @p buf in bytes
 * @param[in] name name used in diagnostics, or NULL
 * @param[out] out the new KB, @owned{bounce_kb_free}
 * @param[out] diag optional: on BOUNCE_E_SYNTAX, a diagnostic @owned{bounce_diag_free}
 * @return BOUNCE_OK, BOUNCE_E_INVAL, BOUNCE_E_NOMEM, BOUNCE_E_SYNTAX, BOUNCE_E_LIMIT
 * @since 0.1
 */
BOUNCE_API bounce_status_t bounce_kb_load_buffer(const bounce_kb_t *base, const char *buf,
                                                 size_t len, const char *name,
                                                 bounce_kb_t **out, bounce_diag_t **diag);

/**
 * @brief Build a new KB from @p base plus a KB file (or every `*.tsv` in a directory).
 * @param[in] base the KB to extend, or NULL for an empty base
 * @param[in] path a file or a directory
 * @param[out] out the new KB, @owned{bounce_kb_free}
 * @param[out] diag optional: on error, a diagnostic @owned{bounce_diag_free}
 * @return BOUNCE_OK, BOUNCE_E_INVAL, BOUNCE_E_NOMEM, BOUNCE_E_IO, BOUNCE_E_SYNTAX, BOUNCE_E_LIMIT
 * @since 0.1
 */
BOUNCE_API bounce_status_t bounce_kb_load_file(const bounce_kb_t *base, const char *path,
                                               bounce_kb_t **out, bounce_diag_t **diag);

/**
 * @brief Free a KB. The built-in KB and NULL are ignored.
 * @param[in] kb the KB
 * @since 0.1
 */
BOUNCE_API void bounce_kb_free(const bounce_kb_t *kb);

/**
 * @brief Version of the KB file format this library reads.
 * @return the format version
 * @since 0.1
 */
BOUNCE_API int bounce_kb_format_version(void);

/**
 * @brief Hex SHA-256 of the KB source data (built-in KB) or "" for a loaded KB.
 * @param[in] kb the KB
 * @return the checksum @borrowed{kb}
 * @since 0.1
 */
BOUNCE_API const char *bounce_kb_checksum(const bounce_kb_t *kb);

/**
 * @brief Number of signatures.
 * @param[in] kb the KB
 * @return the count
 * @since 0.1
 */
BOUNCE_API size_t bounce_kb_signature_count(const bounce_kb_t *kb);

/**
 * @brief A field of signature @p i.
 * @param[in] kb the KB
 * @param[in] i index, 0..count-1
 * @param[in] field one of "id", "cause", "pattern", "example", "url", "constraints"
 * @return the value @borrowed{kb}, "" if empty, NULL if @p i or @p field is invalid
 * @since 0.1
 */
BOUNCE_API const char *bounce_kb_signature_field(const bounce_kb_t *kb, size_t i,
                                                 const char *field);

/**
 * @brief Number of causes.
 * @param[in] kb the KB
 * @return the count
 * @since 0.1
 */
BOUNCE_API size_t bounce_kb_cause_count(const bounce_kb_t *kb);

/**
 * @brief Id of cause @p i (e.g. "quota.mailbox_full").
 * @param[in] kb the KB
 * @param[in] i index, 0..count-1
 * @return the id @borrowed{kb}, or NULL if out of range
 * @since 0.1
 */
BOUNCE_API const char *bounce_kb_cause_id(const bounce_kb_t *kb, size_t i);

/**
 * @brief Title of an enhanced status code ("5.1.1" or "X.1.1") from the KB's IANA table.
 * @param[in] kb the KB
 * @param[in] code the code, NUL-terminated
 * @return the title @borrowed{kb}, or NULL if the code is not registered
 * @since 0.1
 */
BOUNCE_API const char *bounce_kb_esc_title(const bounce_kb_t *kb, const char *code);

/**
 * @brief Description of an enhanced status code.
 * @param[in] kb the KB
 * @param[in] code the code, NUL-terminated
 * @return the description @borrowed{kb}, or NULL if the code is not registered
 * @since 0.1
 */
BOUNCE_API const char *bounce_kb_esc_description(const bounce_kb_t *kb, const char *code);

/**
 * @brief Number of registered enhanced status codes (subject.detail rows).
 * @param[in] kb the KB
 * @return the count
 * @since 0.1
 */
BOUNCE_API size_t bounce_kb_esc_count(const bounce_kb_t *kb);

/** @} */

/**
 * @defgroup classify Reply parsing and classification
 * A result belongs to one thread at a time; the KB it came from may be shared.
 * @{
 */

/** Opaque classification result. */
typedef struct bounce_result bounce_result_t;

/**
 * @brief Extract the SMTP reply code and enhanced status code from a diagnostic text.
 *
 * Handles multi-line replies (`550-5.1.1 ...`), `smtp; 550 5.1.1 ...`, `host x said: 550 ...`,
 * `#5.1.1`, `(#5.1.1)`.
 * @param[in] text the text (need not be NUL-terminated)
 * @param[in] len its length
 * @param[out] reply_code the 3-digit reply code, or 0 if none
 * @param[out] enhanced buffer of at least 16 bytes for the enhanced code ("" if none)
 * @return BOUNCE_OK, BOUNCE_E_INVAL
 * @since 0.1
 */
BOUNCE_API bounce_status_t bounce_reply_extract(const char *text, size_t len, int *reply_code,
                                                char *enhanced);

/**
 * @brief Classify a diagnostic text.
 * @param[in] kb the knowledge base (must outlive the result), or NULL for the built-in one
 * @param[in] text diagnostic or reply text (need not be NUL-terminated; may be empty)
 * @param[in] len its length
 * @param[in] reply_code SMTP reply code if known separately, else 0
 * @param[in] enhanced enhanced status code if known separately, else NULL
 * @param[in] stage SMTP stage (bounce_stage_t), BOUNCE_STAGE_UNKNOWN if unknown
 * @param[out] out the result @owned{bounce_result_free}
 * @return BOUNCE_OK, BOUNCE_E_INVAL, BOUNCE_E_NOMEM
 * @since 0.1
 */
BOUNCE_API bounce_status_t bounce_classify(const bounce_kb_t *kb, const char *text, size_t len,
                                           int reply_code, const char *enhanced, int stage,
                                           bounce_result_t **out);

/**
 * @brief Free a result from bounce_classify(). NULL is ignored.
 * @param[in] r the result
 * @since 0.1
 */
BOUNCE_API void bounce_result_free(bounce_result_t *r);

/**
 * @brief The reason (bounce_reason_t).
 * @param[in] r the result
 * @return the reason
 * @since 0.1
 */
BOUNCE_API int bounce_result_reason(const bounce_result_t *r);

/**
 * @brief The cause id (e.g. "quota.mailbox_full"), "unknown" if nothing matched.
 * @param[in] r the result
 * @return the id @borrowed{the KB}
 * @since 0.1
 */
BOUNCE_API const char *bounce_result_cause(const bounce_result_t *r);

/**
 * @brief The severity (bounce_severity_t).
 * @param[in] r the result
 * @return the severity
 * @since 0.1
 */
BOUNCE_API int bounce_result_severity(const bounce_result_t *r);

/**
 * @brief 1 for a hard bounce (suppress the address), else 0.
 * @param[in] r the result
 * @return 1 or 0
 * @since 0.1
 */
BOUNCE_API int bounce_result_hard_bounce(const bounce_result_t *r);

/**
 * @brief The action (bounce_action_t).
 * @param[in] r the result
 * @return the action
 * @since 0.1
 */
BOUNCE_API int bounce_result_action(const bounce_result_t *r);

/**
 * @brief Who must act (bounce_who_t).
 * @param[in] r the result
 * @return who
 * @since 0.1
 */
BOUNCE_API int bounce_result_who(const bounce_result_t *r);

/**
 * @brief Confidence in 0..1.
 * @param[in] r the result
 * @return the confidence
 * @since 0.1
 */
BOUNCE_API double bounce_result_confidence(const bounce_result_t *r);

/**
 * @brief What decided: "sig:<id>", "esc:<code>", "code:<reply>" or "none".
 * @param[in] r the result
 * @return the evidence @borrowed{r}
 * @since 0.1
 */
BOUNCE_API const char *bounce_result_evidence(const bounce_result_t *r);

/**
 * @brief Byte span of the text the deciding signature matched.
 * @param[in] r the result
 * @param[out] offset start offset in the classified text (may be NULL)
 * @param[out] length length in bytes (may be NULL)
 * @return 1 if a span exists, else 0
 * @since 0.1
 */
BOUNCE_API int bounce_result_span(const bounce_result_t *r, size_t *offset, size_t *length);

/**
 * @brief Reply code used (given, or extracted from the text), 0 if none.
 * @param[in] r the result
 * @return the code
 * @since 0.1
 */
BOUNCE_API int bounce_result_reply_code(const bounce_result_t *r);

/**
 * @brief Enhanced status code used (given, or extracted from the text), "" if none.
 * @param[in] r the result
 * @return the code @borrowed{r}
 * @since 0.1
 */
BOUNCE_API const char *bounce_result_enhanced(const bounce_result_t *r);

/**
 * @brief One-line explanation of the cause.
 * @param[in] r the result
 * @return the text @borrowed{the KB}
 * @since 0.1
 */
BOUNCE_API const char *bounce_result_explanation(const bounce_result_t *r);

/**
 * @brief Number of remediation steps for an MTA flavour (generic steps included).
 * @param[in] r the result
 * @param[in] mta a bounce_mta_t value
 * @return the count
 * @since 0.1
 */
BOUNCE_API size_t bounce_result_remediation_count(const bounce_result_t *r, int mta);

/**
 * @brief Remediation step @p i for an MTA flavour.
 * @param[in] r the result
 * @param[in] mta a bounce_mta_t value
 * @param[in] i index, 0..count-1
 * @return the step @borrowed{the KB}, or NULL if out of range
 * @since 0.1
 */
BOUNCE_API const char *bounce_result_remediation(const bounce_result_t *r, int mta, size_t i);

/** JSON output flags. */
#define BOUNCE_JSON_CANONICAL 0x1u   /**< keys sorted, no remediation arrays reordered */
#define BOUNCE_JSON_PRETTY 0x2u      /**< indented output */
#define BOUNCE_JSON_NO_REMEDIATION 0x4u /**< omit remediation steps */

/**
 * @brief A result as a JSON object (schema 1).
 * @param[in] r the result
 * @param[in] flags BOUNCE_JSON_* flags
 * @param[out] out NUL-terminated UTF-8 JSON @owned{bounce_free}
 * @return BOUNCE_OK, BOUNCE_E_INVAL, BOUNCE_E_NOMEM
 * @since 0.1
 */
BOUNCE_API bounce_status_t bounce_result_to_json(const bounce_result_t *r, uint32_t flags,
                                                 char **out);

/** @} */

/**
 * @defgroup record Records: one recipient event from any source
 * A record belongs to the handle that produced it and to one thread at a time.
 * @{
 */

/** Opaque record (one recipient event). */
typedef struct bounce_record bounce_record_t;

/** Record string fields for bounce_record_get(). Values are stable. */
typedef enum bounce_field {
    BOUNCE_FIELD_FILE = 0,
    BOUNCE_FIELD_QUEUE_ID,
    BOUNCE_FIELD_MESSAGE_ID,
    BOUNCE_FIELD_SENDER,
    BOUNCE_FIELD_RECIPIENT,
    BOUNCE_FIELD_ORIGINAL_RECIPIENT,
    BOUNCE_FIELD_DIAGNOSTIC,
    BOUNCE_FIELD_REMOTE_MTA,
    BOUNCE_FIELD_RELAY,
    BOUNCE_FIELD_SMTP_COMMAND,
    BOUNCE_FIELD_ENHANCED,
    BOUNCE_FIELD_SUBJECT,
    BOUNCE_FIELD_REPORTING_MTA,
    BOUNCE_FIELD_NOTIFICATION_FOR, /**< queue id of the message this bounce notification reports on (logs) */
    BOUNCE_FIELD_HELO,             /**< HELO/EHLO name of the client (SMTP-time rejects) */
    BOUNCE_FIELD_COUNT_ /**< number of fields; not a field (grows when fields are added) */
} bounce_field_t;

/**
 * @brief A string field of a record.
 * @param[in] rec the record
 * @param[in] field a bounce_field_t value
 * @return the value @borrowed{rec}, or NULL if absent
 * @since 0.1
 */
BOUNCE_API const char *bounce_record_get(const bounce_record_t *rec, int field);

/**
 * @brief Source of the record (bounce_source_t).
 * @param[in] rec the record
 * @return the source
 * @since 0.1
 */
BOUNCE_API int bounce_record_source(const bounce_record_t *rec);

/**
 * @brief What happened (bounce_event_t).
 * @param[in] rec the record
 * @return the event
 * @since 0.1
 */
BOUNCE_API int bounce_record_status(const bounce_record_t *rec);

/**
 * @brief Line number (logs, queues) of the deciding line, 0 if none.
 * @param[in] rec the record
 * @return the line
 * @since 0.1
 */
BOUNCE_API int64_t bounce_record_line(const bounce_record_t *rec);

/**
 * @brief Event time as seconds since the epoch (UTC), INT64_MIN if unknown.
 * @param[in] rec the record
 * @return the time
 * @since 0.1
 */
BOUNCE_API int64_t bounce_record_time(const bounce_record_t *rec);

/**
 * @brief SMTP reply code, 0 if none.
 * @param[in] rec the record
 * @return the code
 * @since 0.1
 */
BOUNCE_API int bounce_record_reply_code(const bounce_record_t *rec);

/**
 * @brief The record's classification.
 * @param[in] rec the record
 * @return the result @borrowed{rec}
 * @since 0.1
 */
BOUNCE_API const bounce_result_t *bounce_record_result(const bounce_record_t *rec);

/**
 * @brief A record as one JSON object (DESIGN section 6 key order; schema 1).
 * @param[in] rec the record
 * @param[in] flags BOUNCE_JSON_* flags
 * @param[out] out NUL-terminated UTF-8 JSON, no trailing newline @owned{bounce_free}
 * @return BOUNCE_OK, BOUNCE_E_INVAL, BOUNCE_E_NOMEM
 * @since 0.1
 */
BOUNCE_API bounce_status_t bounce_record_to_json(const bounce_record_t *rec, uint32_t flags,
                                                 char **out);

/** @} */

/**
 * @defgroup dsn Bounce messages (DSN, NDR, ARF, auto-replies)
 * A parsed message belongs to one thread at a time; the KB may be shared.
 * @{
 */

/** Opaque parsed bounce message. */
typedef struct bounce_dsn bounce_dsn_t;

/** What a parsed message is. Values are stable. */
typedef enum bounce_dsn_kind {
    BOUNCE_DSN_NONE = 0,      /**< not a bounce: no recipients */
    BOUNCE_DSN_BOUNCE = 1,    /**< failure report (DSN or NDR; also a mailing list refusing a post) */
    BOUNCE_DSN_DELAY = 2,     /**< delayed-delivery warning (Action: delayed, or a text warning) */
    BOUNCE_DSN_DELIVERED = 3, /**< successful-delivery / relayed DSN */
    BOUNCE_DSN_FEEDBACK = 4,  /**< ARF feedback report (RFC 5965) */
    BOUNCE_DSN_AUTOREPLY = 5  /**< auto-reply / vacation (RFC 3834) */
} bounce_dsn_kind_t;

/** Per-message fields for bounce_dsn_get(). Values are stable. */
typedef enum bounce_dsn_field {
    BOUNCE_DSN_REPORTING_MTA = 0,
    BOUNCE_DSN_ARRIVAL_DATE,
    BOUNCE_DSN_ORIGINAL_ENVELOPE_ID,
    BOUNCE_DSN_RECEIVED_FROM_MTA,
    BOUNCE_DSN_ORIG_MESSAGE_ID,   /**< Message-ID of the returned message */
    BOUNCE_DSN_ORIG_SUBJECT,
    BOUNCE_DSN_ORIG_FROM,
    BOUNCE_DSN_ORIG_TO,
    BOUNCE_DSN_ORIG_DATE,
    BOUNCE_DSN_ORIG_LIST_ID,
    BOUNCE_DSN_ORIG_X_MAILER,
    BOUNCE_DSN_ENVELOPE_SENDER,   /**< Return-Path of the returned message */
    BOUNCE_DSN_FEEDBACK_TYPE,     /**< ARF Feedback-Type */
    BOUNCE_DSN_SOURCE_IP,         /**< ARF Source-IP */
    BOUNCE_DSN_BOUNCE_SUBJECT,    /**< Subject of the bounce itself */
    BOUNCE_DSN_BOUNCE_FROM,       /**< From of the bounce itself */
    BOUNCE_DSN_FIELD_COUNT_       /**< number of fields; not a field */
} bounce_dsn_field_t;

/**
 * @brief Parse one bounce message and classify every recipient.
 *
 * Malformed input is not an error: it yields what could be read plus warnings.
 * @param[in] kb knowledge base (must outlive the result), or NULL for the built-in one
 * @param[in] buf the raw message (need not be NUL-terminated, may contain NUL)
 * @param[in] len its length
 * @param[in] name file name stored in the records' `file` field, or NULL
 * @param[in] flags 0 (reserved)
 * @param[out] out the parsed message @owned{bounce_dsn_free}
 * @return BOUNCE_OK, BOUNCE_E_INVAL, BOUNCE_E_NOMEM
 * @since 0.1
 */
BOUNCE_API bounce_status_t bounce_dsn_parse(const bounce_kb_t *kb, const char *buf, size_t len,
                                            const char *name, uint32_t flags,
                                            bounce_dsn_t **out);

/**
 * @brief Free a parsed message. NULL is ignored.
 * @param[in] d the message
 * @since 0.1
 */
BOUNCE_API void bounce_dsn_free(bounce_dsn_t *d);

/**
 * @brief What the message is (bounce_dsn_kind_t).
 * @param[in] d the message
 * @return the kind
 * @since 0.1
 */
BOUNCE_API int bounce_dsn_kind(const bounce_dsn_t *d);

/**
 * @brief A per-message field.
 * @param[in] d the message
 * @param[in] field a bounce_dsn_field_t value
 * @return the value @borrowed{d}, or NULL if absent
 * @since 0.1
 */
BOUNCE_API const char *bounce_dsn_get(const bounce_dsn_t *d, int field);

/**
 * @brief Number of recipient records.
 * @param[in] d the message
 * @return the count
 * @since 0.1
 */
BOUNCE_API size_t bounce_dsn_record_count(const bounce_dsn_t *d);

/**
 * @brief Recipient record @p i.
 * @param[in] d the message
 * @param[in] i index
 * @return the record @borrowed{d}, or NULL if out of range
 * @since 0.1
 */
BOUNCE_API const bounce_record_t *bounce_dsn_record(const bounce_dsn_t *d, size_t i);

/**
 * @brief Number of warnings (malformed input, limits reached).
 * @param[in] d the message
 * @return the count
 * @since 0.1
 */
BOUNCE_API size_t bounce_dsn_warning_count(const bounce_dsn_t *d);

/**
 * @brief Warning @p i as text.
 * @param[in] d the message
 * @param[in] i index
 * @return the text @borrowed{d}, or NULL if out of range
 * @since 0.1
 */
BOUNCE_API const char *bounce_dsn_warning(const bounce_dsn_t *d, size_t i);

/**
 * @brief All recipient records as JSON Lines (one object per line, each ending in "\n").
 * @param[in] d the message
 * @param[in] flags BOUNCE_JSON_* flags
 * @param[out] out the text @owned{bounce_free}
 * @return BOUNCE_OK, BOUNCE_E_INVAL, BOUNCE_E_NOMEM
 * @since 0.1
 */
BOUNCE_API bounce_status_t bounce_dsn_to_json(const bounce_dsn_t *d, uint32_t flags, char **out);

/** @} */

/**
 * @defgroup stream Streaming parsers for MTA logs and mail queues
 * A stream handle belongs to one thread at a time; the KB may be shared.
 * Feed bytes in chunks of any size (lines may be split anywhere), then call finish;
 * after each feed or finish, pull records with next until it gives NULL.
 * @{
 */

/** Opaque streaming parser. */
typedef struct bounce_stream bounce_stream_t;

/** Input formats. Values are stable. */
typedef enum bounce_format {
    BOUNCE_FORMAT_AUTO = 0,          /**< detect from the content */
    BOUNCE_FORMAT_POSTFIX_LOG = 1,
    BOUNCE_FORMAT_EXIM_LOG = 2,
    BOUNCE_FORMAT_POSTQUEUE = 3,     /**< postqueue -p / mailq (Postfix) */
    BOUNCE_FORMAT_POSTQUEUE_JSON = 4,/**< postqueue -j */
    BOUNCE_FORMAT_EXIM_QUEUE = 5     /**< exim -bp */
} bounce_format_t;

/** Stream kinds for bounce_stream_new(). */
#define BOUNCE_STREAM_LOG 1u   /**< MTA log lines (Postfix or Exim) */
#define BOUNCE_STREAM_QUEUE 2u /**< queue listing */

/** Statistics for bounce_stream_stat(). Values are stable. */
typedef enum bounce_stat {
    BOUNCE_STAT_LINES = 0,      /**< lines read */
    BOUNCE_STAT_BYTES = 1,      /**< bytes read */
    BOUNCE_STAT_PARSED = 2,     /**< lines understood */
    BOUNCE_STAT_SKIPPED = 3,    /**< lines not understood (counted, skipped) */
    BOUNCE_STAT_RECORDS = 4,    /**< records emitted */
    BOUNCE_STAT_IN_FLIGHT = 5,  /**< messages tracked right now */
    BOUNCE_STAT_EVICTED = 6,    /**< messages evicted by the in-flight cap */
    BOUNCE_STAT_TRUNCATED = 7,  /**< over-long lines cut at the line limit */
    BOUNCE_STAT_MESSAGES = 8    /**< messages (queue ids) seen */
} bounce_stat_t;

/**
 * @brief Create a streaming parser.
 * @param[in] kb knowledge base used to classify records (must outlive the stream), or NULL
 *            for the built-in one
 * @param[in] kind BOUNCE_STREAM_LOG or BOUNCE_STREAM_QUEUE
 * @param[in] format a bounce_format_t; BOUNCE_FORMAT_AUTO detects it
 * @param[out] out the stream @owned{bounce_stream_free}
 * @return BOUNCE_OK, BOUNCE_E_INVAL, BOUNCE_E_NOMEM
 * @since 0.1
 */
BOUNCE_API bounce_status_t bounce_stream_new(const bounce_kb_t *kb, uint32_t kind, int format,
                                             bounce_stream_t **out);

/**
 * @brief Free a stream. NULL is ignored.
 * @param[in] s the stream
 * @since 0.1
 */
BOUNCE_API void bounce_stream_free(bounce_stream_t *s);

/**
 * @brief Name the input that the following bytes come from (for records' `file`);
 * line numbers restart at 1. Messages in flight are kept (rotated logs continue).
 * @param[in] s the stream
 * @param[in] name the file name (copied), or NULL
 * @return BOUNCE_OK, BOUNCE_E_INVAL, BOUNCE_E_NOMEM
 * @since 0.1
 */
BOUNCE_API bounce_status_t bounce_stream_set_file(bounce_stream_t *s, const char *name);

/**
 * @brief Set the time used to infer the year of BSD syslog timestamps
 * (the latest time not after @p now + 1 day); default: the current time.
 * @param[in] s the stream
 * @param[in] now seconds since the epoch
 * @return BOUNCE_OK, BOUNCE_E_INVAL
 * @since 0.1
 */
BOUNCE_API bounce_status_t bounce_stream_set_reference_time(bounce_stream_t *s, int64_t now);

/**
 * @brief Set a numeric option: BOUNCE_OPT_MAX_IN_FLIGHT (default 100000),
 * BOUNCE_OPT_MAX_LINE (default 65536 bytes for logs, 16 MiB for queue listings, where a
 * `postqueue -j` message is one line).
 * @param[in] s the stream
 * @param[in] opt the option
 * @param[in] value its value
 * @return BOUNCE_OK, BOUNCE_E_INVAL, BOUNCE_E_RANGE
 * @since 0.1
 */
BOUNCE_API bounce_status_t bounce_stream_set_option(bounce_stream_t *s, int opt, int64_t value);

/** Option: cap on messages tracked at once (oldest evicted first). */
#define BOUNCE_OPT_MAX_IN_FLIGHT 1
/** Option: longest line kept; longer lines are cut and counted. */
#define BOUNCE_OPT_MAX_LINE 2

/**
 * @brief Feed bytes.
 * @param[in] s the stream
 * @param[in] buf the bytes (need not be NUL-terminated)
 * @param[in] len their length
 * @return BOUNCE_OK, BOUNCE_E_INVAL, BOUNCE_E_NOMEM, BOUNCE_E_STATE (after finish)
 * @since 0.1
 */
BOUNCE_API bounce_status_t bounce_stream_feed(bounce_stream_t *s, const char *buf, size_t len);

/**
 * @brief End of input: flush the last line and every message still in flight.
 * @param[in] s the stream
 * @return BOUNCE_OK, BOUNCE_E_INVAL, BOUNCE_E_NOMEM
 * @since 0.1
 */
BOUNCE_API bounce_status_t bounce_stream_finish(bounce_stream_t *s);

/**
 * @brief Next pending record, or NULL when none is pending.
 * @param[in] s the stream
 * @return the record @borrowed{s}: valid until the next call of next, feed or finish
 * @since 0.1
 */
BOUNCE_API const bounce_record_t *bounce_stream_next(bounce_stream_t *s);

/**
 * @brief The detected (or given) format (bounce_format_t), BOUNCE_FORMAT_AUTO if not yet known.
 * @param[in] s the stream
 * @return the format
 * @since 0.1
 */
BOUNCE_API int bounce_stream_format(const bounce_stream_t *s);

/**
 * @brief A counter.
 * @param[in] s the stream
 * @param[in] which a bounce_stat_t value
 * @return the value, 0 for an unknown counter
 * @since 0.1
 */
BOUNCE_API uint64_t bounce_stream_stat(const bounce_stream_t *s, int which);

/** @} */

/**
 * @defgroup report Reports and incident diagnosis over many records
 * A report belongs to one thread at a time.
 * @{
 */

/** Opaque aggregate of classified records. */
typedef struct bounce_report bounce_report_t;

/**
 * @brief Create an empty report.
 * @param[in] flags 0 (reserved)
 * @param[out] out the report @owned{bounce_report_free}
 * @return BOUNCE_OK, BOUNCE_E_INVAL, BOUNCE_E_NOMEM
 * @since 0.1
 */
BOUNCE_API bounce_status_t bounce_report_new(uint32_t flags, bounce_report_t **out);

/**
 * @brief Free a report. NULL is ignored.
 * @param[in] r the report
 * @since 0.1
 */
BOUNCE_API void bounce_report_free(bounce_report_t *r);

/**
 * @brief Add one record (copied as counts; the record is not kept).
 * @param[in] r the report
 * @param[in] rec the record
 * @return BOUNCE_OK, BOUNCE_E_INVAL, BOUNCE_E_NOMEM
 * @since 0.1
 */
BOUNCE_API bounce_status_t bounce_report_add(bounce_report_t *r, const bounce_record_t *rec);

/**
 * @brief Set "now" for the ages of queued messages (default: the latest arrival seen).
 * @param[in] r the report
 * @param[in] now seconds since the epoch
 * @return BOUNCE_OK, BOUNCE_E_INVAL
 * @since 0.1
 */
BOUNCE_API bounce_status_t bounce_report_set_reference_time(bounce_report_t *r, int64_t now);

/**
 * @brief Number of incident findings (diagnosis rules that fired), strongest first.
 * @param[in] r the report
 * @return the count
 * @since 0.1
 */
BOUNCE_API size_t bounce_report_finding_count(const bounce_report_t *r);

/**
 * @brief Finding @p i: its stable id (e.g. "network.port25_blocked").
 * @param[in] r the report
 * @param[in] i index
 * @return the id @borrowed{r}, or NULL if out of range
 * @since 0.1
 */
BOUNCE_API const char *bounce_report_finding_id(const bounce_report_t *r, size_t i);

/**
 * @brief Finding @p i: a one-paragraph explanation with the evidence.
 * @param[in] r the report
 * @param[in] i index
 * @return the text @borrowed{r}, or NULL if out of range
 * @since 0.1
 */
BOUNCE_API const char *bounce_report_finding_text(const bounce_report_t *r, size_t i);

/**
 * @brief The report as a JSON object (totals, breakdowns, findings; schema 1).
 * @param[in] r the report
 * @param[in] flags BOUNCE_JSON_* flags
 * @param[out] out the JSON @owned{bounce_free}
 * @return BOUNCE_OK, BOUNCE_E_INVAL, BOUNCE_E_NOMEM
 * @since 0.1
 */
BOUNCE_API bounce_status_t bounce_report_to_json(const bounce_report_t *r, uint32_t flags,
                                                 char **out);

/**
 * @brief The report as human-readable text for an admin.
 * @param[in] r the report
 * @param[in] mta remediation flavour (bounce_mta_t)
 * @param[out] out the text @owned{bounce_free}
 * @return BOUNCE_OK, BOUNCE_E_INVAL, BOUNCE_E_NOMEM
 * @since 0.1
 */
BOUNCE_API bounce_status_t bounce_report_to_text(const bounce_report_t *r, int mta, char **out);

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* BOUNCE_H */
