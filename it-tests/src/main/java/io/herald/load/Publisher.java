package io.herald.load;

import io.herald.client.HeraldClient;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/**
 * Publishes at a fixed rate whatever the pace of the answers (open model), round the
 * topics and through every node in turn, each over its own SDK client. Every payload starts
 * with its intended send time in microseconds: a sender running late counts as latency.
 */
final class Publisher {

  /** Told of each accepted publish: its topic's index and intended send time. */
  interface Accepted {
    void accept(int topic, long intendedMicros);
  }

  private final List<HeraldClient> clients;
  private final int topics;
  private final int rate;
  private final int payloadBytes;
  private final AtomicLong failures = new AtomicLong();
  /**
   * How late each publish left the publisher's hands (its SDK call returned), in microseconds
   * after its intended send time: a publisher falling behind, or an SDK call that blocks.
   */
  private final ConcurrentHistogram behind = new ConcurrentHistogram(3_600_000_000L, 3);
  /** Publishes handed to the SDK and not answered yet: queued in it, or on the wire. */
  private final AtomicLong unanswered = new AtomicLong();
  private final CompletableFuture<Void> allAnswered = new CompletableFuture<>();
  private volatile long endNanos = Long.MAX_VALUE;
  private volatile boolean sending = true;

  Publisher(List<HeraldClient> clients, int topics, int rate, int payloadBytes) {
    this.clients = clients;
    this.topics = topics;
    this.rate = rate;
    this.payloadBytes = Math.max(Long.BYTES, payloadBytes);
  }

  /**
   * Publishes on a thread of its own from now until the time given to {@link #endAt};
   * completes when every publish has been answered.
   */
  CompletableFuture<Void> start(Accepted accepted) {
    Thread thread = new Thread(() -> {
      try {
        publish(accepted);
        sending = false;
        completeIfAllAnswered();
      } catch (RuntimeException e) {
        allAnswered.completeExceptionally(e);
      }
    }, "herald-load-publisher");
    thread.setDaemon(true);
    thread.start();
    return allAnswered;
  }

  /** Publishes no more from {@code endNanos} ({@link System#nanoTime}) on; now, to stop. */
  void endAt(long endNanos) {
    this.endNanos = endNanos;
  }

  /** How far behind its intended send times the publisher handed publishes to the SDK. */
  Histogram behind() {
    return behind.copy();
  }

  /** Forgets how far behind it was so far: measuring starts now. */
  void resetBehind() {
    behind.reset();
  }

  /**
   * Publishes not answered yet. Answered at the publishing rate, these stay a handful; a
   * backlog means the nodes (or the SDK's connections) are not keeping up.
   */
  long unanswered() {
    return unanswered.get();
  }

  /** Publishes refused or failed. */
  long failures() {
    return failures.get();
  }

  private void publish(Accepted accepted) {
    long intervalNanos = 1_000_000_000L / rate;
    long start = System.nanoTime();
    for (long i = 0; ; i++) {
      long intended = start + i * intervalNanos;
      if (intended - endNanos >= 0) {
        break;
      }
      LockSupport.parkNanos(intended - System.nanoTime());
      long intendedMicros = Micros.now() - (System.nanoTime() - intended) / 1_000;
      byte[] payload = ByteBuffer.allocate(payloadBytes).putLong(intendedMicros).array();
      int topic = (int) (i % topics);
      HeraldClient client = clients.get((int) (i % clients.size()));
      unanswered.incrementAndGet();
      client.publish(DeviceSwarm.topicOf(topic, topics), payload).whenComplete((result, failure) -> {
        if (failure == null) {
          accepted.accept(topic, intendedMicros);
        } else {
          failures.incrementAndGet();
        }
        unanswered.decrementAndGet();
        completeIfAllAnswered();
      });
      behind.recordValue(Math.max(0, (System.nanoTime() - intended) / 1_000));
    }
  }

  private void completeIfAllAnswered() {
    if (!sending && unanswered.get() == 0) {
      allAnswered.complete(null);
    }
  }
}
