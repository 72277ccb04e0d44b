package io.herald.client.impl;

import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The threads on which device clients run the application's code: handlers, listener calls
 * and the callbacks of their futures, never on the thread that reads from the node. A pool
 * without a queue shared by every client in the process: a task that finds no idle thread
 * starts one, and threads idle for a minute end.
 */
final class CallbackThreads {

  private static final AtomicInteger COUNT = new AtomicInteger();

  private static final ExecutorService THREADS = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 60, TimeUnit.SECONDS,
      new SynchronousQueue<>(), runnable -> {
        Thread thread = new Thread(runnable, "herald-device-handler-" + COUNT.incrementAndGet());
        thread.setDaemon(true);
        return thread;
      });

  private CallbackThreads() {}

  static void execute(Runnable task) {
    THREADS.execute(task);
  }

  /**
   * Runs {@code task} on {@code preferred}, or here if it refuses (shut down or full): what
   * carries the application's code is not lost with the executor meant for it.
   */
  static void executeOn(Executor preferred, Runnable task) {
    try {
      preferred.execute(task);
    } catch (RejectedExecutionException refused) {
      execute(task);
    }
  }
}
