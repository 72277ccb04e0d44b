package io.herald.node.metrics;

import io.herald.protocol.v1.DisconnectReason;
import io.herald.protocol.v1.ErrorCode;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The one place the node counts what it does. Callers name events, not metric backends;
 * the counters are cheap to bump from any thread and are read by {@code GET /v1/node}.
 */
public final class NodeMetrics {

  /** Why a frame was not delivered. */
  public enum DropReason {
    /** Dropped from a full outbound queue (drop-oldest policy). */
    SLOW_CONSUMER,
    /** A device publish refused by the connection's rate limit. */
    RATE_LIMITED
  }

  private final ConcurrentHashMap<String, LongAdder> counters = new ConcurrentHashMap<>();
  private final LongAdder framesIn = counter("frames_in");
  private final LongAdder framesOut = counter("frames_out");
  private final LongAdder deliveries = counter("deliveries");
  private final LongAdder published = counter("messages_published");
  private final LongAdder connectsAccepted = counter("connections_opened");
  private final LongAdder stateUpdates = counter("state_updates");
  private volatile int activeTopics;
  private final LongAdder residentDevices = new LongAdder();

  public void connectionOpened() {
    connectsAccepted.increment();
  }

  /** A connection ended; {@code reason} is a disconnect reason or what ended the stream. */
  public void connectionClosed(String reason) {
    counter("connections_closed." + reason).increment();
  }

  public void connectionClosed(DisconnectReason reason) {
    connectionClosed(reason.name().toLowerCase(Locale.ROOT));
  }

  public void connectionRefused(ErrorCode code) {
    counter("connections_refused." + code.name().toLowerCase(Locale.ROOT)).increment();
  }

  public void frameIn() {
    framesIn.increment();
  }

  public void frameOut() {
    framesOut.increment();
  }

  public void messagePublished() {
    published.increment();
  }

  /** A device state report was accepted. */
  public void stateUpdated() {
    stateUpdates.increment();
  }

  public void delivered(int count) {
    deliveries.add(count);
  }

  public void dropped(DropReason reason) {
    counter("drops." + reason.name().toLowerCase(Locale.ROOT)).increment();
  }

  public void error(ErrorCode code) {
    counter("errors." + code.name().toLowerCase(Locale.ROOT)).increment();
  }

  /** Topics with local subscribers, as the topic registry last counted them. */
  public void setActiveTopics(int count) {
    activeTopics = count;
  }

  public int activeTopics() {
    return activeTopics;
  }

  /** A device entity started (+1) or stopped (-1) on this node. */
  public void deviceEntityResident(int change) {
    residentDevices.add(change);
  }

  public long residentDeviceEntities() {
    return residentDevices.sum();
  }

  /** The current value of every counter, by name. */
  public Map<String, Long> snapshot() {
    Map<String, Long> values = new TreeMap<>();
    counters.forEach((name, adder) -> values.put(name, adder.sum()));
    return values;
  }

  private LongAdder counter(String name) {
    return counters.computeIfAbsent(name, n -> new LongAdder());
  }
}
