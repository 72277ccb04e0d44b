package io.herald.client.impl;

import io.herald.client.HeraldException;
import io.herald.protocol.v1.ErrorCode;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledFuture;
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
  /** Where a request that gave up fails, and so where its callers' callbacks run. */
  private final Executor callbacks;
  private final Queue<Waiting<?>> waiting = new ArrayDeque<>();
  private int inFlight;

  /** A request waiting for a slot, and the deadline that takes it out of the queue. */
  private static final class Waiting<T> {
    final Supplier<CompletableFuture<T>> request;
    final CompletableFuture<T> result;
    ScheduledFuture<?> deadline;

    Waiting(Supplier<CompletableFuture<T>> request, CompletableFuture<T> result) {
      this.request = request;
      this.result = result;
    }
  }

  RequestLimiter(int maxInFlight, int maxQueued, Duration maxWait, Executor callbacks) {
    this.maxInFlight = maxInFlight;
    this.maxQueued = maxQueued;
    this.maxWait = maxWait;
    this.callbacks = callbacks;
  }

  /** Runs {@code request} when there is room; the result completes as its future does. */
  <T> CompletableFuture<T> submit(Supplier<CompletableFuture<T>> request) {
    CompletableFuture<T> result = new CompletableFuture<>();
    synchronized (this) {
      if (inFlight >= maxInFlight) {
        if (waiting.size() >= maxQueued) {
          return CompletableFuture.failedFuture(new HeraldException(ErrorCode.RATE_LIMITED,
              "more than " + maxQueued + " requests are waiting for one of " + maxInFlight + " connections"));
        }
        Waiting<T> queued = new Waiting<>(request, result);
        waiting.add(queued);
        queued.deadline = SdkTimer.schedule(() -> giveUp(queued), maxWait);
        return result;
      }
      inFlight++;
    }
    start(request, result);
    return result;
  }

  private <T> void start(Supplier<CompletableFuture<T>> request, CompletableFuture<T> result) {
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
  }

  /**
   * A request still waiting when {@code maxWait} is over leaves the queue and fails, on a pool
   * thread: the caller's callbacks do not run on the SDK's timer.
   */
  private void giveUp(Waiting<?> queued) {
    boolean stillWaiting;
    synchronized (this) {
      stillWaiting = waiting.remove(queued);
    }
    if (stillWaiting) {
      HeraldException gaveUp = new HeraldException(ErrorCode.RATE_LIMITED,
          "no connection came free within " + maxWait.toMillis() + " ms (" + maxInFlight + " in use)");
      callbacks.execute(() -> queued.result.completeExceptionally(gaveUp));
    }
  }

  private void release() {
    Waiting<?> next;
    synchronized (this) {
      next = waiting.poll();
      if (next == null) {
        inFlight--;
        return;
      }
    }
    // The slot passes straight to the next waiting request, whose deadline no longer applies.
    next.deadline.cancel(false);
    startWaiting(next);
  }

  private <T> void startWaiting(Waiting<T> queued) {
    start(queued.request, queued.result);
  }
}
