/*
 * bench:flows traffic generator: new UDP flows as fast as asked, alternating between a port range the
 * policy allows and one it drops. Every packet is a new 5-tuple until the ranges are used up (sockets x
 * range flows per class), so each one is a new connection for conntrack and one flow for the log.
 * Bounded by a packet count and a duration.
 * usage: flowgen DST_IP ALLOWED_BASE DENIED_BASE RANGE SOCKETS RATE_PER_S(0 = as fast as possible) MAX_PACKETS DURATION_MS
 * prints: sent=<packets> ms=<elapsed>
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

int main(int argc, char **argv) {
  if (argc != 9) {
    fprintf(stderr, "usage: flowgen DST_IP ALLOWED_BASE DENIED_BASE RANGE SOCKETS RATE MAX_PACKETS DURATION_MS\n");
    return 2;
  }
  const char *dst = argv[1];
  int allowed = atoi(argv[2]), denied = atoi(argv[3]), range = atoi(argv[4]), nsock = atoi(argv[5]);
  double rate = atof(argv[6]);
  long max = atol(argv[7]);
  double duration = atof(argv[8]);
  if (nsock < 1 || nsock > 64 || range < 1) return 2;
  int socks[64];
  for (int i = 0; i < nsock; i++) {
    socks[i] = socket(AF_INET, SOCK_DGRAM, 0);
    if (socks[i] < 0) { perror("socket"); return 1; }
  }
  struct sockaddr_in addr[BATCH];
  struct mmsghdr msgs[BATCH];
  struct iovec iov = { .iov_base = "x", .iov_len = 1 };
  memset(msgs, 0, sizeof msgs);
  long sent = 0, flow = 0;
  double start = now_ms();
  while (sent < max) {
    double elapsed = now_ms() - start;
    if (elapsed >= duration) break;
    if (rate > 0 && sent > rate * elapsed / 1e3) {
      struct timespec pause = { 0, 50000 };
      nanosleep(&pause, NULL);
      continue;
    }
    /* One batch per socket: flows walk the ports, alternating allowed and denied. */
    int s = (flow / (2L * range)) % nsock;
    int n = 0;
    for (; n < BATCH && sent + n < max; n++, flow++) {
      long k = flow % (2L * range);
      int port = (k % 2 == 0 ? allowed : denied) + (int)(k / 2);
      memset(&addr[n], 0, sizeof addr[n]);
      addr[n].sin_family = AF_INET;
      addr[n].sin_port = htons(port);
      inet_pton(AF_INET, dst, &addr[n].sin_addr);
      msgs[n].msg_hdr.msg_name = &addr[n];
      msgs[n].msg_hdr.msg_namelen = sizeof addr[n];
      msgs[n].msg_hdr.msg_iov = &iov;
      msgs[n].msg_hdr.msg_iovlen = 1;
      if ((flow + 1) % (2L * range) == 0) { n++; flow++; break; }
    }
    int r = sendmmsg(socks[s], msgs, n, 0);
    if (r < 0) { perror("sendmmsg"); return 1; }
    sent += r;
    if (flow >= 2L * range * nsock) break; /* every flow used once */
  }
  printf("sent=%ld ms=%.0f\n", sent, now_ms() - start);
  return 0;
}
