// devloop's debug-jvm example: an HTTP server (the JDK's
// com.sun.net.httpserver only) to debug over JDWP under `devloop debug`.
package dev.devloop.example;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;

public final class App {
  private static final AtomicLong requests = new AtomicLong();

  // A good place for a breakpoint: it runs once per request.
  static String greeting(long n) {
    return "Hello from Java " + Runtime.version().feature() + " (debug-jvm), request " + n + "\n";
  }

  public static void main(String[] args) throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress(8080), 0);
    server.createContext("/", exchange -> {
      byte[] body = greeting(requests.incrementAndGet()).getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    });
    server.start();
    System.out.println("debug-jvm listening on :8080");
  }
}
