/*
 * bank.c - an example plugin: bank accounts as actors, and transfers
 * between them that neither create nor lose money, whatever fails and
 * whenever actord is killed.
 *
 *   make -C examples/bank
 *   build/actord --listen ... --db ... --load examples/bank/bank.so
 *
 * Two behaviours:
 *
 * account, args {"start": N}.  State {"balance": N, "closed": false,
 *   "credits", "debits", "refunds", "transfers_in", "transfers_out",
 *   "in_doubt": sums, "refused": count, "last_refused": {"op", "amount",
 *   "why"}, "pending": {COURIER: {"to", "amount"}}}; always
 *   balance = start + credits - debits + refunds.  Messages:
 *     {"deposit": N}               credits N (refused when closed)
 *     {"withdraw": N}              debits N, refused when it would
 *                                  overdraw
 *     {"transfer": N, "to": ACCT}  moves N to the account ACCT (a name
 *                                  or an address), refused when it would
 *                                  overdraw
 *     {"closed": true|false}       closes the account to credits, or
 *                                  opens it again
 *   and calls: "balance" answers the balance; "deposit" (payload N, or
 *   {"amount": N, "from": ACCT} from a transfer) credits N and answers
 *   the new balance, or answers an exception when the account is closed.
 *   A refused operation changes nothing but "refused" and
 *   "last_refused": the account never fails for it.
 *
 * bank_transfer, args {"to", "amount", "from", "timeout_ms"}: the courier
 *   of one transfer, spawned by the paying account; it calls the payee's
 *   "deposit" and ends with {"outcome": "credited" | "refused" |
 *   "in_doubt", "why": TEXT}.
 *
 * Why the total of all balances never changes.  Every step of an actor is
 * one transaction: it consumes its message, changes its state and sends
 * its messages together or not at all, and a message is consumed exactly
 * once, even across kill -9.  A transfer of N from A to B is four steps:
 *
 *   1. A (the transfer message): debits N and spawns and monitors the
 *      courier C with N in its args.  The N now lives in C.
 *   2. C: sends B the call {"call", "method": "deposit", "message":
 *      {"amount": N}} (actor_call) and waits for the response.
 *   3. B (the call): either credits N and responds, or, closed, responds
 *      with an exception and credits nothing.  Crediting and answering
 *      are one step, so "B answered with an exception" proves "B did not
 *      credit", and a credit is never lost nor made twice.
 *   4. C (the response): ends with its outcome; A is told in the same
 *      transaction ({"exit": OUTCOME}, the monitor), and in its own step
 *      gives N back exactly when the outcome is "refused".
 *
 * So N is in exactly one place at every commit: A's balance, C's args,
 * or B's balance.  A gives it back only on proof that B never took it:
 * an exception or invalid_method answer from B, or B having ended before
 * the call was sent (C polls the monitor of B first).  Never on a
 * timeout: the call may still sit in B's mailbox and be credited later
 * (its late response becomes a dead letter), so a timeout is recorded as
 * "in_doubt", not refunded; the timeout is long (10 minutes) so that it
 * takes an actor gone for that long.  The courier is a separate actor so
 * that A never waits: two accounts paying each other at once would
 * otherwise both wait in actor_call for an answer the other cannot give
 * until it stops waiting.  A courier that fails or is killed is in_doubt
 * too, for the same reason.  What is in doubt is not lost: it is in B's
 * balance or, if B was killed with the call unread, in a dead letter.
 */
#include <string.h>

#include "actord/behavior.h"

#define BANK_MAX 1000000000000000LL /* the largest amount: 10^15 */
#define BANK_TIMEOUT_MS (10LL * 60 * 1000)

/* Returns state[key] as an integer (0 when absent). */
static json_int_t
get_int(const json_t *st, const char *key)
{
    return json_integer_value(json_object_get(st, key));
}

static void
set_int(json_t *st, const char *key, json_int_t v)
{
    json_object_set_new(st, key, json_integer(v));
}

/* Returns 1 when v is an amount: an integer from 1 to BANK_MAX. */
static int
amount_ok(const json_t *v)
{
    return json_is_integer(v) && json_integer_value(v) >= 1 &&
           json_integer_value(v) <= BANK_MAX;
}

/* Records a refused operation op of amount (borrowed, any JSON) in the
 * state; nothing else changes. */
static void
refuse(struct actor *a, const char *op, const json_t *amount, const char *why)
{
    json_t *st = actor_state(a);
    set_int(st, "refused", get_int(st, "refused") + 1);
    json_object_set_new(st, "last_refused",
                        json_pack("{s:s, s:O, s:s}", "op", op, "amount",
                                  amount ? (json_t *)amount : json_null(),
                                  "why", why));
}

/* Credits n to the account; returns 0, or -1 (nothing changed) when the
 * balance would pass what an integer holds. */
static int
credit(json_t *st, json_int_t n)
{
    json_int_t b;
    if (__builtin_add_overflow(get_int(st, "balance"), n, &b))
        return -1;
    set_int(st, "balance", b);
    set_int(st, "credits", get_int(st, "credits") + n);
    return 0;
}

/* ---- account ---- */

static const char *
account_check(const json_t *args)
{
    const json_t *start = json_object_get(args, "start");
    if (start != NULL &&
        !(json_is_integer(start) && json_integer_value(start) >= 0 &&
          json_integer_value(start) <= BANK_MAX))
        return "start must be an integer from 0 to 10^15";
    return NULL;
}

static json_t *
account_balance(struct actor *a, const json_t *payload, json_t **exception)
{
    (void)payload;
    (void)exception;
    return json_incref(json_object_get(actor_state(a), "balance"));
}

/* The deposit call: payload N from a client, or {"amount": N, "from":
 * ACCT} from a transfer's courier.  Credits and answers in this one
 * step, or answers an exception and credits nothing. */
static json_t *
account_deposit(struct actor *a, const json_t *payload, json_t **exception)
{
    json_t *st = actor_state(a);
    const json_t *amount =
        json_is_object(payload) ? json_object_get(payload, "amount") : payload;
    const json_t *from =
        json_is_object(payload) ? json_object_get(payload, "from") : NULL;
    const char *why = NULL;
    if (json_is_true(json_object_get(st, "closed")))
        why = "the account is closed";
    else if (!amount_ok(amount))
        why = "the amount must be an integer from 1 to 10^15";
    else if (credit(st, json_integer_value(amount)) != 0)
        why = "the balance would overflow";
    if (why != NULL) {
        refuse(a, from ? "transfer in" : "deposit", amount, why);
        *exception =
            json_pack("{s:s, s:s}", "message", why, "account", actor_name(a));
        return NULL;
    }
    if (from != NULL)
        set_int(st, "transfers_in",
                get_int(st, "transfers_in") + json_integer_value(amount));
    return json_incref(json_object_get(st, "balance"));
}

static const struct actor_method account_methods[] = {
    {"balance", account_balance},
    {"deposit", account_deposit},
    {NULL, NULL},
};

/* {"deposit": N} */
static void
account_on_deposit(struct actor *a, const json_t *m)
{
    json_t *st = actor_state(a);
    const json_t *n = json_object_get(m, "deposit");
    if (json_is_true(json_object_get(st, "closed")))
        refuse(a, "deposit", n, "the account is closed");
    else if (!amount_ok(n))
        refuse(a, "deposit", n,
               "the amount must be an integer from 1 to 10^15");
    else if (credit(st, json_integer_value(n)) != 0)
        refuse(a, "deposit", n, "the balance would overflow");
}

/* Debits n for a withdrawal or a transfer; returns 0, or -1 (nothing
 * changed, refusal recorded) when n is not an amount or would overdraw. */
static int
debit(struct actor *a, const char *op, const json_t *n)
{
    json_t *st = actor_state(a);
    if (!amount_ok(n)) {
        refuse(a, op, n, "the amount must be an integer from 1 to 10^15");
        return -1;
    }
    if (json_integer_value(n) > get_int(st, "balance")) {
        refuse(a, op, n, "insufficient funds");
        return -1;
    }
    set_int(st, "balance", get_int(st, "balance") - json_integer_value(n));
    set_int(st, "debits", get_int(st, "debits") + json_integer_value(n));
    return 0;
}

/* {"transfer": N, "to": ACCT}: step 1 of the transfer (see the top). */
static void
account_on_transfer(struct actor *a, const json_t *m)
{
    json_t *st = actor_state(a);
    const json_t *n = json_object_get(m, "transfer");
    const char *to = actor_address_name(json_object_get(m, "to"));
    if (to == NULL) {
        refuse(a, "transfer", n, "to must be an account's name or address");
        return;
    }
    if (strcmp(to, actor_name(a)) == 0) {
        refuse(a, "transfer", n, "a transfer to the account itself");
        return;
    }
    if (debit(a, "transfer", n) != 0)
        return;
    json_int_t amount = json_integer_value(n);
    json_t *courier = actor_spawn_monitor(
        a, "bank_transfer",
        json_pack("{s:s, s:I, s:s, s:I}", "to", to, "amount", amount, "from",
                  actor_name(a), "timeout_ms", BANK_TIMEOUT_MS));
    if (courier == NULL) {
        /* No courier: undo the debit (this step has sent nothing). */
        set_int(st, "balance", get_int(st, "balance") + amount);
        set_int(st, "debits", get_int(st, "debits") - amount);
        refuse(a, "transfer", n, "the transfer could not start");
        return;
    }
    set_int(st, "transfers_out", get_int(st, "transfers_out") + amount);
    json_object_set_new(json_object_get(st, "pending"),
                        actor_address_name(courier),
                        json_pack("{s:s, s:I}", "to", to, "amount", amount));
    json_decref(courier);
}

/* A courier ended: {"exit": OUTCOME, "address": C} or {"exception":
 * ERROR, "address": C}.  Step 4 of the transfer: the money comes back
 * only on an outcome "refused". */
static void
account_on_courier(struct actor *a, const json_t *m, int failed)
{
    json_t *st = actor_state(a);
    json_t *pending = json_object_get(st, "pending");
    const char *courier = actor_address_name(json_object_get(m, "address"));
    const json_t *p = courier ? json_object_get(pending, courier) : NULL;
    if (p == NULL)
        return; /* not a courier of ours */
    json_int_t amount = get_int(p, "amount");
    const json_t *result = json_object_get(m, "exit");
    const char *outcome =
        failed ? "failed"
               : json_string_value(json_object_get(result, "outcome"));
    if (outcome != NULL && strcmp(outcome, "credited") == 0) {
        /* done */
    } else if (outcome != NULL && strcmp(outcome, "refused") == 0) {
        set_int(st, "balance", get_int(st, "balance") + amount);
        set_int(st, "refunds", get_int(st, "refunds") + amount);
        const char *why = json_string_value(json_object_get(result, "why"));
        refuse(a, "transfer", json_object_get(p, "amount"),
               why ? why : "refused by the payee");
    } else {
        set_int(st, "in_doubt", get_int(st, "in_doubt") + amount);
    }
    json_object_del(pending, courier);
}

static enum actor_step
account_step(struct actor *a)
{
    json_t *st = actor_state(a);
    ACTOR_BEGIN(a);
    set_int(st, "balance", get_int(actor_args(a), "start"));
    json_object_set_new(st, "closed", json_false());
    static const char *const sums[] = {
        "credits",       "debits",   "refunds", "transfers_in",
        "transfers_out", "in_doubt", "refused"};
    for (size_t i = 0; i < sizeof sums / sizeof sums[0]; i++)
        set_int(st, sums[i], 0);
    json_object_set_new(st, "last_refused", json_null());
    json_object_set_new(st, "pending", json_object());
    for (;;) {
        /* Every shape takes any value where a number is wanted, so that a
         * bad one is refused and recorded rather than left unread. */
        ACTOR_RECEIVE(
            a, 1,
            json_pack("[{s:s}, {s:s}, {s:s, s:s}, {s:s, s:s, s:s}, {s:s, s:s},"
                      " {s:s, s:s}, {s:s}]",
                      "deposit", "$any", "withdraw", "$any", "transfer", "$any",
                      "to", "$any", "call", "$any", "method", "$string",
                      "address", "$address", "exit", "$any", "address",
                      "$address", "exception", "$any", "address", "$address",
                      "closed", "$boolean"));
        const json_t *m = actor_message(a);
        switch (actor_matched(a)) {
        case 0:
            account_on_deposit(a, m);
            break;
        case 1:
            debit(a, "withdraw", json_object_get(m, "withdraw"));
            break;
        case 2:
            account_on_transfer(a, m);
            break;
        case 3:
            actor_dispatch(a, m, account_methods);
            break;
        case 4:
        case 5:
            account_on_courier(a, m, actor_matched(a) == 5);
            break;
        default:
            json_object_set(st, "closed", json_object_get(m, "closed"));
            break;
        }
    }
    ACTOR_END(a);
}

static const struct behavior account = {
    .name = "account",
    .version = 1,
    .doc = "a bank account (examples/bank): args {\"start\": N}; "
           "{\"deposit\": N}, {\"withdraw\": N}, {\"transfer\": N, \"to\": "
           "ACCOUNT}, {\"closed\": BOOL}; calls balance and deposit",
    .check_args = account_check,
    .step = account_step,
};

/* ---- bank_transfer: the courier of one transfer ---- */

static const char *
transfer_check(const json_t *args)
{
    const json_t *t = json_object_get(args, "timeout_ms");
    if (!json_is_string(json_object_get(args, "to")) ||
        !json_is_string(json_object_get(args, "from")))
        return "to and from must be account names";
    if (!amount_ok(json_object_get(args, "amount")))
        return "amount must be an integer from 1 to 10^15";
    if (!json_is_integer(t) || json_integer_value(t) < 1 ||
        json_integer_value(t) > ACTOR_MAX_DELAY_MS)
        return "timeout_ms must be a positive integer of ms, at most a year";
    return NULL;
}

static enum actor_step
transfer_outcome(struct actor *a, const char *outcome, const char *why)
{
    return actor_exit(
        a, json_pack("{s:s, s:s}", "outcome", outcome, "why", why ? why : ""));
}

static enum actor_step
transfer_step(struct actor *a)
{
    const json_t *args = actor_args(a);
    const json_t *to = json_object_get(args, "to");
    ACTOR_BEGIN(a);
    /* Is the payee there?  Watching an actor that has ended, or never
     * was, is told at once; a receive of timeout 0 then finds it. */
    actor_monitor(a, to);
    ACTOR_RECEIVE_TIMEOUT(a, 1,
                          json_pack("[{s:s, s:s}, {s:s, s:s}]", "exit", "$any",
                                    "address", "$address", "exception", "$any",
                                    "address", "$address"),
                          0);
    if (!actor_timed_out(a))
        /* Ended before the call was sent: it cannot have credited. */
        return transfer_outcome(a, "refused", "no open account of that name");
    ACTOR_CALL(a, 2, to, "deposit",
               json_pack("{s:O, s:O}", "amount",
                         json_object_get(args, "amount"), "from",
                         json_object_get(args, "from")),
               json_integer_value(json_object_get(args, "timeout_ms")));
    if (actor_timed_out(a))
        /* The call may still be credited: never refunded (see the top). */
        return transfer_outcome(a, "in_doubt", "no answer in time");
    {
        const json_t *r = actor_message(a);
        const json_t *exc = json_object_get(r, "exception");
        if (json_object_get(r, "message") != NULL)
            return transfer_outcome(a, "credited", NULL);
        if (exc != NULL)
            return transfer_outcome(
                a, "refused",
                json_string_value(json_object_get(exc, "message")));
        return transfer_outcome(a, "refused", "the payee is not an account");
    }
    ACTOR_END(a);
}

static const struct behavior bank_transfer = {
    .name = "bank_transfer",
    .version = 1,
    .doc = "the courier of one transfer between accounts (examples/bank)",
    .check_args = transfer_check,
    .step = transfer_step,
};

static int
bank_init(void)
{
    if (actor_register(&account) != 0)
        return -1;
    return actor_register(&bank_transfer);
}

ACTOR_PLUGIN("bank", bank_init)
