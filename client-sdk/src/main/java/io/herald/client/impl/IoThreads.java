package io.herald.client.impl;

import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The threads on which the SDK's HTTP clients do their own work: reading WebSocket frames
 * and handing them on, completing HTTP exchanges. Without an executor of its own a JDK
 * {@code HttpClient} starts a thread for every task that finds none idle, so a process of
 * 1,000 device clients held about a hundred of them while messages arrived. None of the
 * application's code runs here (handlers and callbacks go to their own threads), and no task
 * blocks, so a few threads serve every client; one per core, at least two.
 *
 * <p>The queue has no fixed bound: the JDK's clients schedule their work for each connection
 * one task at a time, so what waits is bounded by the open connections and exchanges.
 */
final class IoThreads {

  private static final AtomicInteger COUNT = new AtomicInteger();

  static final Executor EXECUTOR = pool(Math.max(2, Runtime.getRuntime().availableProcessors()));

  private IoThreads() {}

  private static Executor pool(int threads) {
    ThreadPoolExecutor pool = new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS,
        new LinkedBlockingQueue<>(), runnable -> {
          Thread thread = new Thread(runnable, "herald-sdk-io-" + COUNT.incrementAndGet());
          thread.setDaemon(true);
          return thread;
        });
    // Idle threads end, so that a process whose clients are all closed keeps none.
    pool.allowCoreThreadTimeOut(true);
    return pool;
  }
}
