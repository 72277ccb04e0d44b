package io.herald.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.herald.protocol.v1.Error;
import io.herald.protocol.v1.ErrorCode;
import io.herald.protocol.v1.ErrorResponse;
import io.herald.protocol.v1.PublishResponse;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * How {@link HeraldClient} treats a node's answers, against a real HTTP server on loopback
 * that answers with scripted statuses (a real node cannot be made to answer 503 on cue).
 */
class HeraldClientRetryTest {

  private record Answer(int status, byte[] body, String retryAfter) {}

  private final Deque<Answer> script = new ArrayDeque<>();
  private final AtomicInteger requests = new AtomicInteger();
  private volatile long answerDelayMillis;
  private HttpServer server;
  private HeraldClient client;

  @BeforeEach
  void start() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/", exchange -> {
      requests.incrementAndGet();
      try {
        Thread.sleep(answerDelayMillis);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      Answer answer;
      synchronized (script) {
        answer = script.size() > 1 ? script.poll() : script.peek();
      }
      exchange.getResponseHeaders().add("Content-Type", "application/x-protobuf");
      if (answer.retryAfter() != null) {
        exchange.getResponseHeaders().add("Retry-After", answer.retryAfter());
      }
      exchange.sendResponseHeaders(answer.status(), answer.body().length);
      exchange.getResponseBody().write(answer.body());
      exchange.close();
    });
    server.start();
    client = HeraldClient.create(HeraldClient.Options.builder()
        .baseUri(URI.create("http://127.0.0.1:" + server.getAddress().getPort()))
        .maxRetries(3)
        .backoff(Duration.ofMillis(10), Duration.ofMillis(50))
        .build());
  }

  @AfterEach
  void stop() {
    client.close();
    server.stop(0);
  }

  @Test
  void retriesA503AfterItsRetryAfterAndSucceeds() {
    script.add(new Answer(503, error(ErrorCode.UNAVAILABLE), "1"));
    script.add(new Answer(200, PublishResponse.newBuilder().setTopic("t").setSequence(9).build().toByteArray(), null));

    long started = System.nanoTime();
    PublishResult result = client.publish("t", new byte[] {1}).join();

    assertEquals(new PublishResult("t", 9), result);
    assertEquals(2, requests.get());
    assertTrue(Duration.ofNanos(System.nanoTime() - started).toMillis() >= 1000, "Retry-After: 1 is honoured");
  }

  @Test
  void givesUpAfterMaxRetriesWithUnavailable() {
    script.add(new Answer(503, error(ErrorCode.UNAVAILABLE), "0"));

    CompletionException failure = assertThrows(CompletionException.class, () -> client.publish("t", new byte[0]).join());

    assertInstanceOf(HeraldApiException.UnavailableException.class, failure.getCause());
    assertEquals(4, requests.get(), "one attempt and three retries");
  }

  @Test
  void fourHundredsFailAtOnceWithTheirTypedException() {
    script.add(new Answer(400, error(ErrorCode.INVALID_TOPIC), null));

    CompletionException failure = assertThrows(CompletionException.class, () -> client.publish("t", new byte[0]).join());

    HeraldApiException.InvalidRequestException invalid =
        assertInstanceOf(HeraldApiException.InvalidRequestException.class, failure.getCause());
    assertEquals(ErrorCode.INVALID_TOPIC, invalid.code());
    assertEquals(1, requests.get(), "a 4xx is not retried");
  }

  @Test
  void aCallThatFindsEveryConnectionBusyAndTheQueueFullFailsAtOnceWithoutRetrying() {
    script.add(new Answer(200, PublishResponse.newBuilder().setTopic("t").setSequence(1).build().toByteArray(), null));
    answerDelayMillis = 500;
    HeraldClient oneAtATime = HeraldClient.create(HeraldClient.Options.builder()
        .baseUri(URI.create("http://127.0.0.1:" + server.getAddress().getPort()))
        .maxConcurrentRequests(1)
        .maxQueuedRequests(0)
        .maxRetries(3)
        .build());

    var first = oneAtATime.publish("t", new byte[] {1});
    CompletionException refused = assertThrows(CompletionException.class,
        () -> oneAtATime.publish("t", new byte[] {2}).join());

    HeraldException cause = assertInstanceOf(HeraldException.class, refused.getCause());
    assertEquals(ErrorCode.RATE_LIMITED, cause.code());
    assertEquals(1, first.join().sequence());
    assertEquals(1, requests.get(), "the refused call never reached the node, and was not retried");
    oneAtATime.close();
  }

  @Test
  void answersArriveOnTheClientsOwnThreadsNotOnANewThreadEach() {
    script.add(new Answer(200, PublishResponse.newBuilder().setTopic("t").setSequence(1).build().toByteArray(), null));
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    long startedBefore = threads.getTotalStartedThreadCount();

    answerDelayMillis = 2;
    String caller = Thread.currentThread().getName();
    Set<String> completedOn = ConcurrentHashMap.newKeySet();

    for (int i = 0; i < 200; i++) {
      client.publish("t", new byte[] {1}).thenAccept(result -> completedOn.add(Thread.currentThread().getName()))
          .join();
    }

    // A callback attached after the answer arrived runs on the caller; every other on a sender.
    completedOn.remove(caller);
    assertFalse(completedOn.isEmpty());
    assertTrue(completedOn.stream().allMatch(name -> name.startsWith("herald-client-sender-")),
        "answers completed on " + completedOn);
    // Sixteen senders, the JDK client's own few and the test server's; not one per answer.
    long started = threads.getTotalStartedThreadCount() - startedBefore;
    assertTrue(started < 60, started + " threads started for 200 answers");
  }

  @Test
  void aCallbackThatWaitsForAnotherCallOfTheClientStallsNothing() throws Exception {
    script.add(new Answer(200, PublishResponse.newBuilder().setTopic("t").setSequence(1).build().toByteArray(), null));
    answerDelayMillis = 20;
    HeraldClient twoAtATime = HeraldClient.create(HeraldClient.Options.builder()
        .baseUri(URI.create("http://127.0.0.1:" + server.getAddress().getPort()))
        .maxConcurrentRequests(2)
        .build());

    // Every callback blocks on a call of its own: with a sender per connection and nothing
    // else, the inner calls would wait for senders their callers hold.
    List<CompletableFuture<PublishResult>> chains = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      chains.add(twoAtATime.publish("t", new byte[] {1})
          .thenApply(first -> twoAtATime.publish("t", new byte[] {2}).join()));
    }

    CompletableFuture.allOf(chains.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
    assertEquals(12, requests.get());
    twoAtATime.close();
  }

  @Test
  void callsAfterCloseFailAtOnce() {
    client.close();

    CompletionException failure = assertThrows(CompletionException.class, () -> client.publish("t", new byte[0]).join());

    assertInstanceOf(HeraldException.class, failure.getCause());
    assertEquals(0, requests.get(), "a closed client sends nothing, and does not retry");
  }

  @Test
  void statusesMapToTheirExceptions() {
    assertInstanceOf(HeraldApiException.UnauthorizedException.class, HeraldApiException.of(401, ErrorCode.UNAUTHORIZED, ""));
    assertInstanceOf(HeraldApiException.ForbiddenException.class, HeraldApiException.of(403, ErrorCode.FORBIDDEN, ""));
    assertInstanceOf(HeraldApiException.NotFoundException.class, HeraldApiException.of(404, ErrorCode.NOT_FOUND, ""));
    assertInstanceOf(HeraldApiException.ConflictException.class, HeraldApiException.of(409, ErrorCode.INVALID_REQUEST, ""));
    assertInstanceOf(HeraldApiException.InvalidRequestException.class, HeraldApiException.of(413, ErrorCode.PAYLOAD_TOO_LARGE, ""));
  }

  private static byte[] error(ErrorCode code) {
    return ErrorResponse.newBuilder().setError(Error.newBuilder().setCode(code).setMessage(code.name())).build().toByteArray();
  }
}
