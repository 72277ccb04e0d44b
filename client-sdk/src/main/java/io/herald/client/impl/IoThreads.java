package io.herald.client.impl;

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
 * <p>The JDK's clients schedule their work for each connection one task at a time, so what
 * waits is about one task per open connection or exchange. Past {@link #QUEUE_BOUND} waiting
 * tasks, the thread that schedules one (the client's selector) runs it itself: its reads slow
 * down for a while, which holds the connections back, and nothing is lost. The JDK's client
 * does not expect its executor to refuse.
 */
final class IoThreads {

  /** Well above one task for each connection a process can open (its open files are capped). */
  static final int QUEUE_BOUND = 32_768;

  private static final AtomicInteger COUNT = new AtomicInteger();

  static final ThreadPoolExecutor EXECUTOR =
      pool(Math.max(2, Runtime.getRuntime().availableProcessors()), QUEUE_BOUND);

  private IoThreads() {}

  static ThreadPoolExecutor pool(int threads, int queueBound) {
    ThreadPoolExecutor pool = new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS,
        new LinkedBlockingQueue<>(queueBound), runnable -> {
          Thread thread = new Thread(runnable, "herald-sdk-io-" + COUNT.incrementAndGet());
          thread.setDaemon(true);
          return thread;
        }, new ThreadPoolExecutor.CallerRunsPolicy());
    // Idle threads end, so that a process whose clients are all closed keeps none.
    pool.allowCoreThreadTimeOut(true);
    return pool;
  }
}
