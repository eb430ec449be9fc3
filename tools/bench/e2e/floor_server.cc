// The start-up harness's floor: a program that does nothing but listen on
// --rpc-http-port=N (127.0.0.1) and answer every request with 200 and "{}",
// linked as devloop is. Timed by the same harness as devloop, it shows what
// the harness and the machine add to "process start -> API answering":
//
//   devloop_latency.py --binary bazel-bin/apps/devloop
//       --compare bazel-bin/tools/bench/e2e/floor_server --mode startup --answer-only
//
// Other arguments (dev, --rpc-port=...) are ignored. SIGINT ends it.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

int main(int argc, char** argv) {
  int port = 0;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--rpc-http-port=", 16) == 0) port = std::atoi(argv[i] + 16);
  }
  if (port <= 0 || port > 65535) {
    std::fprintf(stderr, "usage: floor_server [dev] --rpc-http-port=N\n");
    return 2;
  }
  const int listener = socket(AF_INET, SOCK_STREAM, 0);
  const int on = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      listen(listener, 128) != 0) {
    std::perror("floor_server: listen");
    return 1;
  }
  static constexpr char kAnswer[] =
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
      "Connection: close\r\n\r\n{}";
  for (;;) {
    const int fd = accept(listener, nullptr, nullptr);
    if (fd < 0) continue;
    char request[4096];
    // One read holds a GET from the harness; anything else gets the same answer.
    if (read(fd, request, sizeof request) > 0) {
      (void)write(fd, kAnswer, sizeof kAnswer - 1);
    }
    close(fd);
  }
}
