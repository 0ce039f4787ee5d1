/*
 * podwall_nft: a small N-API binding to libnftables.
 *
 * One nft context per handle, kept for the life of the process (nft -f - would pay for a new process,
 * a new netlink socket and a fresh cache on every change). Commands run on the libuv thread pool so the
 * event loop never waits for the kernel; the JavaScript side runs at most one command per handle at a time.
 *
 * open([netnsPath]) -> handle       the context's netlink socket is created in the network namespace the
 *                                   calling thread is in, or in netnsPath (setns there and back)
 * run(handle, text) -> Promise<{ rc, output, error }>   output is JSON (NFT_CTX_OUTPUT_JSON); text may be
 *                                   JSON ({"nftables": [...]}) or nft syntax
 * close(handle)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <node_api.h>
#include <nftables/libnftables.h>

typedef struct {
  struct nft_ctx *ctx;
  int busy;
} handle_t;

typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  handle_t *handle;
  char *cmd;
  int rc;
  char *output;
  char *error;
} job_t;

#define CHECK(env, call)                                   \
  do {                                                     \
    if ((call) != napi_ok) {                               \
      napi_throw_error((env), NULL, "N-API call failed: " #call); \
      return NULL;                                         \
    }                                                      \
  } while (0)

static char *dup_or_empty(const char *s) { return strdup(s ? s : ""); }

static void finalize_handle(napi_env env, void *data, void *hint) {
  (void)env; (void)hint;
  handle_t *h = data;
  if (h->ctx) nft_ctx_free(h->ctx);
  free(h);
}

static struct nft_ctx *new_ctx(void) {
  struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
  if (!ctx) return NULL;
  nft_ctx_output_set_flags(ctx, NFT_CTX_OUTPUT_JSON);
  if (nft_ctx_buffer_output(ctx) != 0 || nft_ctx_buffer_error(ctx) != 0) {
    nft_ctx_free(ctx);
    return NULL;
  }
  return ctx;
}

/* Create the context inside another network namespace: the netlink socket stays bound to it. */
static struct nft_ctx *new_ctx_in(const char *path, char *why, size_t whylen) {
  int target = open(path, O_RDONLY | O_CLOEXEC);
  if (target < 0) { snprintf(why, whylen, "open %.4000s: %s", path, strerror(errno)); return NULL; }
  int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (self < 0) { snprintf(why, whylen, "open own netns: %s", strerror(errno)); close(target); return NULL; }
  struct nft_ctx *ctx = NULL;
  if (setns(target, CLONE_NEWNET) != 0) {
    snprintf(why, whylen, "setns %.4000s: %s", path, strerror(errno));
  } else {
    ctx = new_ctx();
    if (!ctx) snprintf(why, whylen, "nft_ctx_new failed");
    if (setns(self, CLONE_NEWNET) != 0) {
      /* Cannot get back: this thread would now act on the wrong namespace. */
      abort();
    }
  }
  close(target);
  close(self);
  return ctx;
}

static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  struct nft_ctx *ctx = NULL;
  char why[4608] = "nft_ctx_new failed";
  napi_valuetype t = napi_undefined;
  if (argc >= 1) CHECK(env, napi_typeof(env, argv[0], &t));
  if (t == napi_string) {
    char path[4096];
    size_t len = 0;
    CHECK(env, napi_get_value_string_utf8(env, argv[0], path, sizeof path, &len));
    ctx = new_ctx_in(path, why, sizeof why);
  } else {
    ctx = new_ctx();
  }
  if (!ctx) { napi_throw_error(env, NULL, why); return NULL; }
  handle_t *h = calloc(1, sizeof *h);
  h->ctx = ctx;
  napi_value ext;
  CHECK(env, napi_create_external(env, h, finalize_handle, NULL, &ext));
  return ext;
}

static handle_t *get_handle(napi_env env, napi_value v) {
  void *data = NULL;
  if (napi_get_value_external(env, v, &data) != napi_ok || !data) {
    napi_throw_type_error(env, NULL, "expected an nft handle");
    return NULL;
  }
  return data;
}

static void job_execute(napi_env env, void *data) {
  (void)env;
  job_t *job = data;
  job->rc = nft_run_cmd_from_buffer(job->handle->ctx, job->cmd);
  job->output = dup_or_empty(nft_ctx_get_output_buffer(job->handle->ctx));
  job->error = dup_or_empty(nft_ctx_get_error_buffer(job->handle->ctx));
}

static void job_complete(napi_env env, napi_status status, void *data) {
  job_t *job = data;
  job->handle->busy = 0;
  napi_value result, rc, out, err;
  if (status == napi_ok
      && napi_create_object(env, &result) == napi_ok
      && napi_create_int32(env, job->rc, &rc) == napi_ok
      && napi_create_string_utf8(env, job->output, NAPI_AUTO_LENGTH, &out) == napi_ok
      && napi_create_string_utf8(env, job->error, NAPI_AUTO_LENGTH, &err) == napi_ok
      && napi_set_named_property(env, result, "rc", rc) == napi_ok
      && napi_set_named_property(env, result, "output", out) == napi_ok
      && napi_set_named_property(env, result, "error", err) == napi_ok) {
    napi_resolve_deferred(env, job->deferred, result);
  } else {
    napi_value msg, e;
    napi_create_string_utf8(env, "nft command was cancelled or failed to report", NAPI_AUTO_LENGTH, &msg);
    napi_create_error(env, NULL, msg, &e);
    napi_reject_deferred(env, job->deferred, e);
  }
  napi_delete_async_work(env, job->work);
  free(job->cmd);
  free(job->output);
  free(job->error);
  free(job);
}

/* The arguments of a call on an open, idle handle (argv[0]); NULL with a JS exception pending otherwise. */
static handle_t *idle_handle(napi_env env, napi_callback_info info, size_t want, napi_value *argv, const char *usage) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) { napi_throw_error(env, NULL, "N-API call failed"); return NULL; }
  if (argc < want) { napi_throw_type_error(env, NULL, usage); return NULL; }
  handle_t *h = get_handle(env, argv[0]);
  if (!h) return NULL;
  if (!h->ctx) { napi_throw_error(env, NULL, "nft handle is closed"); return NULL; }
  if (h->busy) { napi_throw_error(env, NULL, "nft handle is busy (one command at a time)"); return NULL; }
  return h;
}

static napi_value js_run(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  handle_t *h = idle_handle(env, info, 2, argv, "run(handle, text)");
  if (!h) return NULL;
  size_t len = 0;
  CHECK(env, napi_get_value_string_utf8(env, argv[1], NULL, 0, &len));
  job_t *job = calloc(1, sizeof *job);
  job->cmd = malloc(len + 1);
  CHECK(env, napi_get_value_string_utf8(env, argv[1], job->cmd, len + 1, &len));
  job->handle = h;
  napi_value promise, name;
  CHECK(env, napi_create_promise(env, &job->deferred, &promise));
  CHECK(env, napi_create_string_utf8(env, "podwall_nft_run", NAPI_AUTO_LENGTH, &name));
  CHECK(env, napi_create_async_work(env, NULL, name, job_execute, job_complete, job, &job->work));
  CHECK(env, napi_queue_async_work(env, job->work));
  h->busy = 1;
  return promise;
}

static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1) return NULL;
  handle_t *h = get_handle(env, argv[0]);
  if (!h) return NULL;
  if (h->busy) { napi_throw_error(env, NULL, "nft handle is busy"); return NULL; }
  if (h->ctx) { nft_ctx_free(h->ctx); h->ctx = NULL; }
  return NULL;
}

/* terse(handle): listings leave set elements out of their output (`nft -t`): a whole table's rules in a small
 * listing. (nft 1.0.6 still reads the elements into its cache.) */
static napi_value js_terse(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  handle_t *h = idle_handle(env, info, 1, argv, "terse(handle)");
  if (!h) return NULL;
  nft_ctx_output_set_flags(h->ctx, nft_ctx_output_get_flags(h->ctx) | NFT_CTX_OUTPUT_TERSE);
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    { "open", NULL, js_open, NULL, NULL, NULL, napi_default, NULL },
    { "terse", NULL, js_terse, NULL, NULL, NULL, napi_default, NULL },
    { "run", NULL, js_run, NULL, NULL, NULL, napi_default, NULL },
    { "close", NULL, js_close, NULL, NULL, NULL, napi_default, NULL },
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
