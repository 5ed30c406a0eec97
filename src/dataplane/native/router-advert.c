// One ICMPv6 Router Advertisement (RFC 4861 §4.2) to all-nodes (ff02::1) on one interface, for
// unnumbered BGP peering: a router that peers by interface (FRR's `neighbor eth1 interface`) learns
// its peer's link-local address from the RAs it receives, and Node has no raw sockets to send one.
// The advertisement says "not a default router" (router lifetime 0) and carries no prefixes, so a
// host that hears it changes nothing but its neighbour cache.
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <node_api.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static napi_value fail(napi_env env, const char *what, const char *ifname, int e) {
  char msg[200];
  snprintf(msg, sizeof msg, "router advertisement on %s: %s: %s", ifname, what, strerror(e));
  napi_throw_error(env, NULL, msg);
  return NULL;
}

// advertise(ifname): sends one RA from the interface's link-local address.
static napi_value advertise(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  char ifname[IF_NAMESIZE + 1] = {0};
  size_t len = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_value_string_utf8(env, argv[0], ifname, sizeof ifname, &len) != napi_ok || len == 0 ||
      len >= IF_NAMESIZE) {
    napi_throw_type_error(env, NULL, "advertise(ifname): ifname must be an interface name");
    return NULL;
  }
  unsigned index = if_nametoindex(ifname);
  if (index == 0) return fail(env, "no such interface", ifname, errno);
  int fd = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMPV6);
  if (fd < 0) return fail(env, "socket", ifname, errno);
  // RFC 4861 §6.1.2: a receiver drops an RA whose hop limit is not 255 (it proves one link).
  int hops = 255;
  if (setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof hops) != 0 ||
      setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &index, sizeof index) != 0) {
    int e = errno;
    close(fd);
    return fail(env, "setsockopt", ifname, e);
  }
  // RFC 4861 §4.2: type 134, code 0, checksum (the kernel fills it in for ICMPv6 raw sockets), cur
  // hop limit 0 (unspecified), flags 0, router lifetime 0 (not a default router), reachable time 0,
  // retrans timer 0 (both unspecified).
  struct nd_router_advert ra;
  memset(&ra, 0, sizeof ra);
  ra.nd_ra_type = ND_ROUTER_ADVERT;
  struct sockaddr_in6 to;
  memset(&to, 0, sizeof to);
  to.sin6_family = AF_INET6;
  to.sin6_scope_id = index;
  inet_pton(AF_INET6, "ff02::1", &to.sin6_addr);
  ssize_t sent = sendto(fd, &ra, sizeof ra, 0, (struct sockaddr *)&to, sizeof to);
  int e = errno;
  close(fd);
  if (sent != (ssize_t)sizeof ra) return fail(env, "sendto", ifname, e);
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "advertise", NAPI_AUTO_LENGTH, advertise, NULL, &fn);
  napi_set_named_property(env, exports, "advertise", fn);
  return exports;
}
