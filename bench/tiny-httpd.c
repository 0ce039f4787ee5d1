/*
 * The lightest HTTP server the dataplane benchmarks could think of, so that the kernel's per-packet and
 * per-connection cost is what they measure: one thread, blocking accept, one read of the request, a fixed
 * one-byte HTTP/1.0 response, close. Connections that send nothing (TCP probes) are just closed.
 * Usage: tiny-httpd PORT     (built by bench/lab-bench.ts with `cc -O2`)
 */
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char RESPONSE[] = "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 1\r\nConnection: close\r\n\r\nx";

int main(int argc, char **argv) {
  int port = argc > 1 ? atoi(argv[1]) : 80;
  int one = 1;
  struct sockaddr_in addr;
  char buf[4096];
  int s = socket(AF_INET, SOCK_STREAM, 0);
  if (s < 0) { perror("socket"); return 1; }
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons((unsigned short)port);
  addr.sin_addr.s_addr = htonl(INADDR_ANY);
  if (bind(s, (struct sockaddr *)&addr, sizeof addr) != 0) { perror("bind"); return 1; }
  if (listen(s, 4096) != 0) { perror("listen"); return 1; }
  signal(SIGPIPE, SIG_IGN);
  fprintf(stderr, "tiny-httpd: listening on %d\n", port);
  for (;;) {
    int c = accept(s, NULL, NULL);
    if (c < 0) continue;
    if (read(c, buf, sizeof buf) > 0) {
      ssize_t w = write(c, RESPONSE, sizeof RESPONSE - 1);
      (void)w;
    }
    close(c);
  }
}
