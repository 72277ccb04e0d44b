package io.herald.client.impl;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The SDK's one timer thread in a process: the deadlines of queued requests, retry backoffs,
 * reconnect waits and heartbeats of every client. Its tasks only hand work on, so one thread
 * serves them all. ({@code CompletableFuture.delayedExecutor} is not used: where the common
 * pool has fewer than two threads, on machines of two cores or fewer, it starts a new thread
 * for every task it runs.)
 */
final class SdkTimer {

  private static final ScheduledThreadPoolExecutor TIMER = new ScheduledThreadPoolExecutor(1, runnable -> {
    Thread thread = new Thread(runnable, "herald-sdk-timer");
    thread.setDaemon(true);
    return thread;
  });

  static {
    // Most deadlines are cancelled long before they are due; they leave the queue at once.
    TIMER.setRemoveOnCancelPolicy(true);
  }

  private SdkTimer() {}

  static ScheduledFuture<?> schedule(Runnable task, Duration delay) {
    return TIMER.schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS);
  }

  /** Calls {@code then} once {@code delay} is over; completes as the future it returns does. */
  static <T> CompletableFuture<T> after(Duration delay, Supplier<CompletableFuture<T>> then) {
    CompletableFuture<Void> due = new CompletableFuture<>();
    schedule(() -> due.complete(null), delay);
    return due.thenCompose(ignored -> then.get());
  }

  static ScheduledFuture<?> scheduleAtFixedRate(Runnable task, Duration period) {
    return TIMER.scheduleAtFixedRate(task, period.toNanos(), period.toNanos(), TimeUnit.NANOSECONDS);
  }
}
