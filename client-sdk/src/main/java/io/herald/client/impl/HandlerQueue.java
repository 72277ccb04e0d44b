package io.herald.client.impl;

import java.net.http.WebSocket;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs one device client's handlers one at a time, in the order their frames arrived, on
 * the client's handler executor ({@link CallbackThreads} unless the application gave one)
 * rather than on the WebSocket's reader: a handler may block, and may wait for the answer to
 * a request of its own client, which the reader goes on to read.
 *
 * <p>The handlers run in turns of at most {@link #HANDLERS_PER_TURN}, each turn one task on
 * the executor, so that clients sharing a small pool take turns on its threads rather than
 * one busy client holding a thread for as long as it has messages. A client has at most one
 * task on the executor at a time.
 *
 * <p>At most {@code bound} handlers wait. At the bound the reader stops asking the socket
 * for frames until they are down to half: the node's queue for the device fills instead,
 * and its slow-consumer policy (drop the oldest, or disconnect) decides, counted there.
 */
final class HandlerQueue {

  static final int HANDLERS_PER_TURN = 64;

  private final int bound;
  private final Executor executor;
  private final ConcurrentLinkedQueue<Runnable> waiting = new ConcurrentLinkedQueue<>();
  private final AtomicInteger size = new AtomicInteger();
  private final AtomicBoolean running = new AtomicBoolean();
  /** The socket whose reading stopped at the bound, until the queue is down to half. */
  private final AtomicReference<WebSocket> paused = new AtomicReference<>();

  HandlerQueue(int bound, Executor executor) {
    this.bound = bound;
    this.executor = executor;
  }

  /** Queues a handler; it runs after every one queued before it. */
  void add(Runnable handler) {
    waiting.add(handler);
    size.incrementAndGet();
    runNext();
  }

  /** Asks {@code socket} for its next frame, unless the bound is reached: then once the queue is down to half. */
  void readNext(WebSocket socket) {
    if (size.get() < bound) {
      socket.request(1);
      return;
    }
    paused.set(socket);
    // The handlers may have caught up in between: then nobody else would resume.
    resumeIfCaughtUp();
  }

  /** Whether the reader waits for the handlers: the node is not silent, just not read. */
  boolean readingPaused() {
    return paused.get() != null;
  }

  private void runNext() {
    if (!waiting.isEmpty() && running.compareAndSet(false, true)) {
      CallbackThreads.executeOn(executor, this::runTurn);
    }
  }

  private void runTurn() {
    Runnable next;
    int ran = 0;
    while (ran++ < HANDLERS_PER_TURN && (next = waiting.poll()) != null) {
      try {
        next.run();
      } catch (RuntimeException failure) {
        // One handler's exception is reported as any thread's would be; the next ones still run.
        Thread current = Thread.currentThread();
        current.getUncaughtExceptionHandler().uncaughtException(current, failure);
      } finally {
        size.decrementAndGet();
        resumeIfCaughtUp();
      }
    }
    running.set(false);
    runNext(); // the rest of the queue, or one added after the last poll
  }

  private void resumeIfCaughtUp() {
    if (size.get() <= bound / 2) {
      WebSocket socket = paused.getAndSet(null);
      if (socket != null) {
        socket.request(1);
      }
    }
  }
}
