package io.herald.node.connection;

import io.herald.node.metrics.NodeMetrics;
import io.herald.protocol.MessageFrames;
import io.herald.protocol.WireFormat;
import io.herald.protocol.v1.DisconnectReason;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bounded queue of frames waiting for one connection's transport: any number of
 * producers offer without blocking, one transport consumer takes. When full it applies the
 * slow-consumer policy; when the consumer lags, consecutive topic messages come out
 * coalesced into one batch frame. Transport-neutral: an edge drives the consumer side.
 */
public final class OutboundBuffer implements OutboundPort {

  private static final Logger log = LoggerFactory.getLogger(OutboundBuffer.class);

  private final String sessionId;
  private final WireFormat format;
  private final int capacity;
  private final SlowConsumerPolicy policy;
  private final int maxBatchMessages;
  private final int maxBatchBytes;
  private final OutboundFrame slowConsumerDisconnect;
  private final NodeMetrics metrics;

  private final ConcurrentLinkedQueue<OutboundFrame> frames = new ConcurrentLinkedQueue<>();
  private final AtomicInteger size = new AtomicInteger();
  private final AtomicBoolean consumerWaiting = new AtomicBoolean();
  private final AtomicBoolean closing = new AtomicBoolean();
  private final AtomicBoolean dropping = new AtomicBoolean();
  private final AtomicReference<OutboundFrame> lastFrame = new AtomicReference<>();
  private volatile boolean closed;
  private volatile Runnable wakeup = () -> {};

  // Consumer side only.
  private OutboundFrame held;
  private boolean lastFrameTaken;

  /** A buffer for the connection {@code sessionId} (named in logs). */
  public OutboundBuffer(String sessionId, WireFormat format, ConnectionSettings settings,
      OutboundFrame slowConsumerDisconnect, NodeMetrics metrics) {
    this.sessionId = sessionId;
    this.format = format;
    this.capacity = settings.outboundQueueSize();
    this.policy = settings.slowConsumerPolicy();
    this.maxBatchMessages = settings.maxBatchMessages();
    this.maxBatchBytes = settings.maxBatchBytes();
    this.slowConsumerDisconnect = slowConsumerDisconnect;
    this.metrics = metrics;
  }

  @Override
  public WireFormat format() {
    return format;
  }

  @Override
  public OfferResult offer(OutboundFrame frame) {
    if (closing.get()) {
      return OfferResult.CLOSED;
    }
    OfferResult result = OfferResult.ENQUEUED;
    if (size.incrementAndGet() > capacity) {
      if (policy == SlowConsumerPolicy.DISCONNECT) {
        size.decrementAndGet();
        overflow();
        return OfferResult.OVERFLOWED;
      }
      if (frames.poll() != null) {
        size.decrementAndGet();
        metrics.dropped(NodeMetrics.DropReason.SLOW_CONSUMER);
        if (dropping.compareAndSet(false, true)) {
          log.info("connection {} reads too slowly: dropping its oldest frames (logged once per connection)", sessionId);
        }
        result = OfferResult.ENQUEUED_DROPPING_OLDEST;
      }
    }
    frames.offer(frame);
    signal();
    return result;
  }

  @Override
  public void close(OutboundFrame last) {
    if (closing.compareAndSet(false, true)) {
      lastFrame.set(last);
      closed = true;
      wakeup.run();
    }
  }

  @Override
  public boolean isClosed() {
    return closing.get();
  }

  /** Frames waiting, for metrics. */
  public int depth() {
    return size.get();
  }

  // ---- consumer side: called by the one transport that writes this connection ----

  /** Sets what to run when frames arrive while the consumer is waiting. */
  public void onWakeup(Runnable wakeup) {
    this.wakeup = wakeup;
  }

  /**
   * Tells the buffer the consumer found nothing to take and will wait for a wake-up.
   * Returns true when something arrived meanwhile: take again instead of waiting.
   */
  public boolean awaitWork() {
    consumerWaiting.set(true);
    if (!frames.isEmpty() || closed) {
      consumerWaiting.set(false);
      return true;
    }
    return false;
  }

  /** True once the last frame has been taken: the transport completes the connection. */
  public boolean isFinished() {
    return lastFrameTaken;
  }

  /** True once the buffer is closing, for the transport's close deadline. */
  public boolean isClosing() {
    return closed;
  }

  /** The next binary frame to write, or null when there is none now. */
  public byte[] takeBinary() {
    OutboundFrame first = takeSingle();
    List<TopicMessageFrame> run = restOfRun(first);
    if (run == null) {
      return first == null ? null : first.binary();
    }
    List<byte[]> encoded = new ArrayList<>(run.size());
    for (TopicMessageFrame message : run) {
      encoded.add(message.encodedMessage());
    }
    return MessageFrames.binaryBatch(encoded);
  }

  /** The next JSON text frame to write, or null when there is none now. */
  public String takeJson() {
    OutboundFrame first = takeSingle();
    List<TopicMessageFrame> run = restOfRun(first);
    if (run == null) {
      return first == null ? null : first.json();
    }
    return jsonBatch(run);
  }

  /**
   * The same as UTF-8 bytes. A frame shared by many connections is encoded to bytes once;
   * only a batch, which belongs to this connection, is encoded here.
   */
  public byte[] takeJsonUtf8() {
    OutboundFrame first = takeSingle();
    List<TopicMessageFrame> run = restOfRun(first);
    if (run == null) {
      return first == null ? null : first.jsonUtf8();
    }
    return jsonBatch(run).getBytes(StandardCharsets.UTF_8);
  }

  private static String jsonBatch(List<TopicMessageFrame> batch) {
    List<String> encoded = new ArrayList<>(batch.size());
    for (TopicMessageFrame message : batch) {
      encoded.add(message.messageJson());
    }
    return MessageFrames.jsonBatch(encoded);
  }

  /**
   * When {@code first} is a topic message and more wait right behind it, takes them and
   * returns the whole run for one batch frame. Otherwise returns null, leaving the next
   * frame where it was: a connection that keeps up writes each shared frame as it is,
   * without allocating anything of its own.
   */
  private List<TopicMessageFrame> restOfRun(OutboundFrame first) {
    if (!(first instanceof TopicMessageFrame message) || maxBatchMessages < 2) {
      return null;
    }
    OutboundFrame following = next();
    if (!(following instanceof TopicMessageFrame second) || weight(message) >= maxBatchBytes) {
      held = following;
      return null;
    }
    List<TopicMessageFrame> run = new ArrayList<>(8);
    run.add(message);
    run.add(second);
    int bytes = weight(message) + weight(second);
    while (run.size() < maxBatchMessages && bytes < maxBatchBytes) {
      OutboundFrame more = next();
      if (!(more instanceof TopicMessageFrame another)) {
        held = more;
        break;
      }
      run.add(another);
      bytes += weight(another);
    }
    return run;
  }

  private OutboundFrame takeSingle() {
    OutboundFrame frame = next();
    if (frame != null) {
      return frame;
    }
    if (closed && !lastFrameTaken) {
      OutboundFrame last = lastFrame.getAndSet(null);
      if (last != null) {
        lastFrameTaken = true;
        return last;
      }
    }
    return null;
  }

  private OutboundFrame next() {
    OutboundFrame frame = held;
    if (frame != null) {
      held = null;
      return frame;
    }
    if (lastFrameTaken) {
      return null;
    }
    frame = frames.poll();
    if (frame != null) {
      size.decrementAndGet();
    }
    return frame;
  }

  private int weight(TopicMessageFrame message) {
    return format == WireFormat.PROTOBUF ? message.encodedMessage().length : message.messageJson().length();
  }

  private void overflow() {
    if (closing.compareAndSet(false, true)) {
      log.info("connection {} reads too slowly: its queue of {} frames overflowed; disconnecting", sessionId, capacity);
      metrics.connectionClosed(DisconnectReason.SLOW_CONSUMER);
      lastFrame.set(slowConsumerDisconnect);
      closed = true;
      while (frames.poll() != null) {
        size.decrementAndGet();
      }
      wakeup.run();
    }
  }

  private void signal() {
    if (consumerWaiting.compareAndSet(true, false)) {
      wakeup.run();
    }
  }
}
