// setns(fd, CLONE_NEWNET) for Node: the one system call the dataplane cannot make from JavaScript.
// A netlink socket belongs to the network namespace of the thread that created it, so the dataplane
// steps the main thread into a container's namespace, creates a socket, and steps back (see
// ../netns.ts). Only network namespaces can be entered: the flag is fixed here, so this addon can
// never move the process into another mount or user namespace by mistake. CLONE_NEWNET is allowed
// in a multi-threaded process and changes only the calling thread.
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <errno.h>
#include <node_api.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

static const char *errno_code(int e) {
  switch (e) {
  case EBADF: return "EBADF";
  case EINVAL: return "EINVAL";
  case EPERM: return "EPERM";
  case ENOMEM: return "ENOMEM";
  case EUSERS: return "EUSERS";
  default: return "ERR";
  }
}

static napi_value throw_errno(napi_env env, int e, int fd) {
  char msg[160];
  snprintf(msg, sizeof msg, "setns(%d, CLONE_NEWNET) failed: %s", fd, strerror(e));
  napi_value code, text, error, errnum;
  napi_create_string_utf8(env, errno_code(e), NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &text);
  napi_create_error(env, code, text, &error);
  napi_create_int32(env, e, &errnum);
  napi_set_named_property(env, error, "errno", errnum);
  napi_throw(env, error);
  return NULL;
}

// setns(fd): moves the calling thread into the network namespace `fd` refers to.
static napi_value set_netns(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t fd = -1;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_value_int32(env, argv[0], &fd) != napi_ok) {
    napi_throw_type_error(env, NULL, "setns(fd): fd must be an integer file descriptor");
    return NULL;
  }
  if (setns(fd, CLONE_NEWNET) != 0) return throw_errno(env, errno, fd);
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "setns", NAPI_AUTO_LENGTH, set_netns, NULL, &fn);
  napi_set_named_property(env, exports, "setns", fn);
  return exports;
}
