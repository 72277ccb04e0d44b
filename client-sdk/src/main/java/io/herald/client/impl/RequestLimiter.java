package io.herald.client.impl;

import io.herald.client.HeraldException;
import io.herald.protocol.v1.ErrorCode;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * At most {@code maxInFlight} requests on the wire at once, the rest waiting in a queue of
 * at most {@code maxQueued}, first come first served, each for at most {@code maxWait}; a
 * request beyond the queue, or that waits longer, fails with {@code RATE_LIMITED}.
 *
 * <p>The JDK's HTTP/1.1 client opens a new connection for every request that finds all of
 * its pooled connections busy, so without a limit a burst of publishes becomes a burst of
 * connections (and their handshakes) on the node, which slows every answer and opens still
 * more. The limit keeps the connection count at {@code maxInFlight}.
 */
final class RequestLimiter {

  private final int maxInFlight;
  private final int maxQueued;
  private final Duration maxWait;
  private final Queue<Runnable> waiting = new ArrayDeque<>();
  private int inFlight;

  RequestLimiter(int maxInFlight, int maxQueued, Duration maxWait) {
    this.maxInFlight = maxInFlight;
    this.maxQueued = maxQueued;
    this.maxWait = maxWait;
  }

  /** Runs {@code request} when there is room; the result completes as its future does. */
  <T> CompletableFuture<T> submit(Supplier<CompletableFuture<T>> request) {
    CompletableFuture<T> result = new CompletableFuture<>();
    Runnable start = () -> {
      CompletableFuture<T> sent;
      try {
        sent = request.get();
      } catch (RuntimeException e) {
        sent = CompletableFuture.failedFuture(e);
      }
      sent.whenComplete((value, failure) -> {
        release();
        if (failure == null) {
          result.complete(value);
        } else {
          result.completeExceptionally(failure);
        }
      });
    };
    synchronized (this) {
      if (inFlight >= maxInFlight) {
        if (waiting.size() >= maxQueued) {
          return CompletableFuture.failedFuture(new HeraldException(ErrorCode.RATE_LIMITED,
              "more than " + maxQueued + " requests are waiting for one of " + maxInFlight + " connections"));
        }
        waiting.add(start);
        giveUpAfterMaxWait(start, result);
        return result;
      }
      inFlight++;
    }
    start.run();
    return result;
  }

  /** A request still waiting when {@code maxWait} is over leaves the queue and fails. */
  private void giveUpAfterMaxWait(Runnable start, CompletableFuture<?> result) {
    CompletableFuture.delayedExecutor(maxWait.toMillis(), TimeUnit.MILLISECONDS).execute(() -> {
      boolean stillWaiting;
      synchronized (this) {
        stillWaiting = waiting.remove(start);
      }
      if (stillWaiting) {
        result.completeExceptionally(new HeraldException(ErrorCode.RATE_LIMITED,
            "no connection came free within " + maxWait.toMillis() + " ms (" + maxInFlight + " in use)"));
      }
    });
  }

  private void release() {
    Runnable next;
    synchronized (this) {
      next = waiting.poll();
      if (next == null) {
        inFlight--;
        return;
      }
    }
    // The slot passes straight to the next waiting request.
    next.run();
  }
}
