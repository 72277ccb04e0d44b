package io.herald.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * How {@link DeviceClient} treats a node that refuses its upgrade, against a real HTTP
 * server on loopback answering with scripted statuses (a real node refuses on cue only
 * for a moment; {@code ConnectionLifecycleTest} covers that end to end).
 */
class DeviceClientRefusalTest {

  private record Refusal(int status, String retryAfter) {}

  private final Deque<Refusal> script = new ArrayDeque<>();
  private final List<Long> attemptNanos = new CopyOnWriteArrayList<>();
  private HttpServer server;

  @BeforeEach
  void start() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/", exchange -> {
      attemptNanos.add(System.nanoTime());
      Refusal refusal;
      synchronized (script) {
        refusal = script.size() > 1 ? script.poll() : script.peek();
      }
      if (refusal.retryAfter() != null) {
        exchange.getResponseHeaders().add("Retry-After", refusal.retryAfter());
      }
      exchange.sendResponseHeaders(refusal.status(), -1);
      exchange.close();
    });
    server.start();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  @Test
  void aFirstAttemptRefusedForNowIsTriedAgainAfterTheNodesRetryAfter() {
    script.add(new Refusal(429, "1"));
    script.add(new Refusal(503, "1"));
    script.add(new Refusal(401, null));

    CompletionException failed = assertThrows(CompletionException.class, () -> DeviceClient.connect(options(true))
        .join());

    assertTrue(failed.getMessage().contains("401"), failed.getMessage());
    assertEquals(3, attemptNanos.size(), "429 and 503 are tried again; 401 is final");
    for (int i = 1; i < attemptNanos.size(); i++) {
      Duration apart = Duration.ofNanos(attemptNanos.get(i) - attemptNanos.get(i - 1));
      // The backoff alone would be 20 to 40 ms; Retry-After: 1 is spread over one to two seconds.
      assertTrue(apart.compareTo(Duration.ofSeconds(1)) >= 0, "attempts " + apart.toMillis() + " ms apart");
    }
  }

  @Test
  void aClientThatDoesNotReconnectFailsOnItsFirstRefusal() {
    script.add(new Refusal(429, "1"));

    assertThrows(CompletionException.class, () -> DeviceClient.connect(options(false)).join());
    assertEquals(1, attemptNanos.size());
  }

  private DeviceClient.Options options(boolean reconnect) {
    return DeviceClient.Options.builder()
        .uri(URI.create("ws://127.0.0.1:" + server.getAddress().getPort() + "/v1/ws"))
        .backoff(Duration.ofMillis(40), Duration.ofMillis(40))
        .reconnect(reconnect)
        .build();
  }
}
