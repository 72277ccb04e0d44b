package io.herald.client.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.client.HeraldException;
import io.herald.protocol.v1.ErrorCode;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

class RequestLimiterTest {

  private final List<CompletableFuture<String>> onTheWire = new ArrayList<>();

  private CompletableFuture<String> send() {
    CompletableFuture<String> answer = new CompletableFuture<>();
    onTheWire.add(answer);
    return answer;
  }

  @Test
  void requestsBeyondTheLimitWaitTheirTurnAndBeyondTheQueueFailAtOnce() {
    RequestLimiter limiter = new RequestLimiter(2, 1, Duration.ofSeconds(10), Runnable::run);
    CompletableFuture<String> first = limiter.submit(this::send);
    CompletableFuture<String> second = limiter.submit(this::send);
    CompletableFuture<String> third = limiter.submit(this::send);
    CompletableFuture<String> fourth = limiter.submit(this::send);

    assertEquals(2, onTheWire.size(), "only two requests on the wire");
    assertTrue(fourth.isCompletedExceptionally());
    HeraldException refused = assertInstanceOf(HeraldException.class,
        assertThrowsCompletion(fourth).getCause());
    assertEquals(ErrorCode.RATE_LIMITED, refused.code());

    onTheWire.get(0).complete("one");
    assertEquals("one", first.join());
    assertEquals(3, onTheWire.size(), "the waiting request took the free slot");
    assertFalse(third.isDone());

    onTheWire.get(2).completeExceptionally(new IllegalStateException("lost"));
    assertTrue(third.isCompletedExceptionally());
    onTheWire.get(1).complete("two");
    assertEquals("two", second.join());

    // Every slot is free again.
    limiter.submit(this::send);
    limiter.submit(this::send);
    assertEquals(5, onTheWire.size());
  }

  @Test
  void aRequestThatThrowsFreesItsSlot() {
    RequestLimiter limiter = new RequestLimiter(1, 0, Duration.ofSeconds(10), Runnable::run);
    CompletableFuture<String> failed = limiter.submit(() -> {
      throw new IllegalArgumentException("bad request");
    });
    assertTrue(failed.isCompletedExceptionally());
    limiter.submit(this::send);
    assertEquals(1, onTheWire.size());
  }

  @Test
  void aRequestThatWaitsLongerThanItsDeadlineLeavesTheQueueAndFails() {
    RequestLimiter limiter = new RequestLimiter(1, 10, Duration.ofMillis(100), Runnable::run);
    limiter.submit(this::send);
    CompletableFuture<String> waiting = limiter.submit(this::send);

    HeraldException gaveUp = assertInstanceOf(HeraldException.class,
        assertThrowsCompletion(waiting).getCause());
    assertEquals(ErrorCode.RATE_LIMITED, gaveUp.code());

    onTheWire.get(0).complete("one");
    assertEquals(1, onTheWire.size(), "the request that gave up is never sent");
    limiter.submit(this::send);
    assertEquals(2, onTheWire.size(), "and holds no slot");
  }

  @Test
  void aRequestThatGotItsSlotInTimeOutlivesItsQueueDeadline() throws Exception {
    RequestLimiter limiter = new RequestLimiter(1, 10, Duration.ofMillis(100), Runnable::run);
    limiter.submit(this::send);
    CompletableFuture<String> waited = limiter.submit(this::send);
    onTheWire.get(0).complete("one");
    assertEquals(2, onTheWire.size(), "the waiting request is on the wire");

    Thread.sleep(300);
    assertFalse(waited.isDone(), "its deadline in the queue no longer applies");
    onTheWire.get(1).complete("two");
    assertEquals("two", waited.join());
  }

  @Test
  void queuedRequestsStartNoThreadOfTheirOwn() {
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    RequestLimiter limiter = new RequestLimiter(1, 2_000, Duration.ofMillis(50), Runnable::run);
    limiter.submit(this::send);
    List<CompletableFuture<String>> queued = new ArrayList<>();
    long startedBefore = threads.getTotalStartedThreadCount();
    for (int i = 0; i < 2_000; i++) {
      queued.add(limiter.submit(this::send));
    }
    for (CompletableFuture<String> request : queued) {
      HeraldException gaveUp = assertInstanceOf(HeraldException.class, assertThrowsCompletion(request).getCause());
      assertEquals(ErrorCode.RATE_LIMITED, gaveUp.code());
    }
    // One timer and at most a few pool threads, however many waited (a thread per deadline before).
    long started = threads.getTotalStartedThreadCount() - startedBefore;
    assertTrue(started < 10, started + " threads started for 2,000 deadlines");
  }

  private static CompletionException assertThrowsCompletion(CompletableFuture<?> future) {
    try {
      future.join();
    } catch (CompletionException e) {
      return e;
    }
    throw new AssertionError("expected a failed future");
  }
}
