package io.herald.node.metrics;

import io.herald.protocol.v1.DisconnectReason;
import io.herald.protocol.v1.ErrorCode;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import kamon.Kamon;
import kamon.metric.Counter;
import kamon.metric.Gauge;
import kamon.metric.Histogram;
import kamon.metric.MeasurementUnit;

/**
 * The one place the node counts what it does. Callers name events, not metric backends.
 * Every event goes to a Kamon instrument (scraped by Prometheus as {@code herald_...})
 * and to a running total shown by {@code GET /v1/node}. Tags are bounded sets (reasons,
 * codes, directions); nothing is tagged per connection, topic or entity.
 */
public final class NodeMetrics {

  /** Why a frame or message was not delivered. */
  public enum DropReason {
    /** Dropped from a full outbound queue (drop-oldest policy). */
    SLOW_CONSUMER,
    /** A device publish or state report refused by the connection's rate limit. */
    RATE_LIMITED,
    /** A publish that arrived at a starting topic home whose hold buffer was full. */
    TOPIC_RECOVERY,
    /**
     * A state report without an answer that reached its device entity just after the
     * entity stopped, its shard moving (one with an answer is sent again).
     */
    ENTITY_STOPPED,
    /** A message to another node dropped by the cluster transport, its send queue to that node full. */
    CLUSTER_SEND_QUEUE,
    /** A message for a shard or entity not yet placed or started, dropped from a full sharding buffer. */
    SHARD_BUFFER,
    /** A message a shard region buffered for a shard that was then handed off, dropped to keep order. */
    SHARD_HAND_OFF,
    /**
     * A message to a node that crashed or left, dropped by the cluster transport once that
     * node was cut off (quarantined): sent before the cluster removed it, after its last word.
     */
    NODE_GONE,
    /**
     * A message a topic kept for devices that resume, given up before its topic's own bounds
     * because the node's room for kept messages was full (or not kept at all).
     */
    HISTORY_FULL
  }

  /** A running total and its Kamon counter; a count of nothing (a batch of events without one) is skipped. */
  private record Count(LongAdder total, Counter counter) {
    void add(long n) {
      if (n > 0) {
        total.add(n);
        counter.increment(n);
      }
    }
  }

  private final ConcurrentHashMap<String, Count> counts = new ConcurrentHashMap<>();
  private final Count framesIn = count("frames_in", "herald.frames", "direction", "in");
  private final Count framesOut = count("frames_out", "herald.frames", "direction", "out");
  private final Count deliveries = count("deliveries", "herald.deliveries", null, null);
  private final Count published = count("messages_published", "herald.messages.published", null, null);
  private final Count connectsAccepted = count("connections_opened", "herald.connections.opened", null, null);
  private final Count acceptPauses = count("accept_pauses", "herald.accept.pauses", null, null);
  private final Count stateUpdates = count("state_updates", "herald.state.updates", null, null);
  private final Count aggregateTicks = count("aggregate_ticks", "herald.aggregate.ticks", null, null);
  private final Count reportsResent = count("state_reports_resent", "herald.state.reports.resent", null, null);
  private final Count connectsResent = count("connects_resent", "herald.connects.resent", null, null);
  private final Count groupBatches = count("group_batches_sent", "herald.group.batches.sent", null, null);
  private final Count groupUpdatesMerged = count("group_updates_merged", "herald.group.updates.merged", null, null);
  private final Count groupUpdatesResent = count("group_updates_resent", "herald.group.updates.resent", null, null);
  private final Count groupUpdatesGivenUp =
      count("group_updates_given_up", "herald.group.updates.given.up", null, null);
  private final Count groupProbes = count("group_probes_sent", "herald.group.probes.sent", null, null);
  private final Count devicesForgotten =
      count("device_entities_forgotten", "herald.device.entities.forgotten", null, null);
  private final Count groupMembersForgotten =
      count("group_members_forgotten", "herald.group.members.forgotten", null, null);
  private final Count resumesComplete = count("resumes.complete", "herald.resumes", "result", "complete");
  private final Count resumesMissed = count("resumes.missed", "herald.resumes", "result", "missed");
  private final Count recoveriesAnswered =
      count("topic_recoveries.answered", "herald.topic.recoveries", "outcome", "answered");
  private final Count recoveriesTimedOut =
      count("topic_recoveries.timed_out", "herald.topic.recoveries", "outcome", "timed_out");
  private final Count restoresTaken = count("topic_restores.taken", "herald.topic.restores", "result", "taken");
  private final Count restoresTooLate = count("topic_restores.too_late", "herald.topic.restores", "result", "too_late");
  private final Gauge openConnectionsGauge = Kamon.gauge("herald.connections.open").withoutTags();
  private final Gauge topicsGauge = Kamon.gauge("herald.topics.active").withoutTags();
  private final Gauge deviceEntitiesGauge = Kamon.gauge("herald.device.entities").withoutTags();
  private final Gauge apiRequestsGauge = Kamon.gauge("herald.api.requests.in.flight").withoutTags();
  private final Gauge groupAggregatorsGauge = Kamon.gauge("herald.group.aggregators").withoutTags();
  private final Gauge topicHistoryGauge =
      Kamon.gauge("herald.topic.history", MeasurementUnit.information().bytes()).withoutTags();
  private final Gauge heapAfterGcGauge =
      Kamon.gauge("herald.heap.after.gc", MeasurementUnit.information().bytes()).withoutTags();
  private final Map<String, Gauge> membersByStatus = new ConcurrentHashMap<>();
  private final Gauge unreachableMembersGauge = Kamon.gauge("herald.cluster.members.unreachable").withoutTags();
  private final Histogram fanoutLatency =
      Kamon.histogram("herald.fanout.latency", MeasurementUnit.time().nanoseconds()).withoutTags();
  private final Histogram outboundQueueDepth = Kamon.histogram("herald.outbound.queue.depth").withoutTags();
  private final EnumMap<DropReason, Count> drops = new EnumMap<>(DropReason.class);
  private final EnumMap<ErrorCode, Count> errors = new EnumMap<>(ErrorCode.class);
  private final LongAdder residentDevices = new LongAdder();
  private final LongAdder residentGroups = new LongAdder();

  public NodeMetrics() {
    // Per-event counters of bounded sets are made once: a drop happens per frame under drop-oldest.
    for (DropReason reason : DropReason.values()) {
      String name = reason.name().toLowerCase(Locale.ROOT);
      drops.put(reason, count("drops." + name, "herald.drops", "reason", name));
    }
    for (ErrorCode code : ErrorCode.values()) {
      // UNSPECIFIED is protobuf's zero value, which says "no error"; nothing counts it.
      if (code != ErrorCode.UNRECOGNIZED && code != ErrorCode.ERROR_CODE_UNSPECIFIED) {
        String name = code.name().toLowerCase(Locale.ROOT);
        errors.put(code, count("errors." + name, "herald.errors", "code", name));
      }
    }
  }
  private volatile int activeTopics;
  private volatile long heapAfterGc;
  private volatile int apiRequestsInFlight;

  public void connectionOpened() {
    connectsAccepted.add(1);
  }

  /** The Netty edge stopped accepting until its accept rate allows the next connection. */
  public void acceptPaused() {
    acceptPauses.add(1);
  }

  /** A connection ended; {@code reason} is a disconnect reason or what ended the stream. */
  public void connectionClosed(String reason) {
    count("connections_closed." + reason, "herald.connections.closed", "reason", reason).add(1);
  }

  public void connectionClosed(DisconnectReason reason) {
    connectionClosed(reason.name().toLowerCase(Locale.ROOT));
  }

  public void connectionRefused(ErrorCode code) {
    String name = code.name().toLowerCase(Locale.ROOT);
    count("connections_refused." + name, "herald.connections.refused", "code", name).add(1);
  }

  /** How many connections are open now (sampled). */
  public void openConnections(int open) {
    openConnectionsGauge.update(open);
  }

  public void frameIn() {
    framesIn.add(1);
  }

  public void frameOut() {
    framesOut.add(1);
  }

  public void messagePublished() {
    published.add(1);
  }

  public void delivered(int count) {
    deliveries.add(count);
  }

  /** From a publish accepted by its topic until offered to the last local subscriber of a partition. */
  public void fannedOut(long nanos) {
    fanoutLatency.record(nanos);
  }

  /** Frames waiting in a connection's outbound queue, sampled as it writes. */
  public void outboundQueueDepth(int depth) {
    outboundQueueDepth.record(depth);
  }

  public void dropped(DropReason reason) {
    drops.get(reason).add(1);
  }

  public void dropped(DropReason reason, int count) {
    drops.get(reason).add(count);
  }

  public void error(ErrorCode code) {
    Count count = errors.get(code);
    if (count != null) {
      count.add(1);
    }
  }

  /** A device state report was accepted. */
  public void stateUpdated() {
    stateUpdates.add(1);
  }

  /** State reports a connection sent again, their first sending unanswered (see report-resend-after). */
  public void reportsResent(int count) {
    reportsResent.add(count);
  }

  /** A connection told its device's entity of itself again, unanswered the first time. */
  public void connectResent() {
    connectsResent.add(1);
  }

  /** This node's group feed sent a group the member changes it gathered. */
  public void groupBatchSent() {
    groupBatches.add(1);
  }

  /** Member changes replaced by a newer one of the same device before their batch left. */
  public void groupUpdatesMerged(long count) {
    groupUpdatesMerged.add(count);
  }

  /** Member changes sent to their group again, their batch lost on the way. */
  public void groupUpdatesResent(long count) {
    groupUpdatesResent.add(count);
  }

  /** Member changes the group feed stopped waiting to see confirmed, its memory of them full. */
  public void groupUpdatesGivenUp(long count) {
    groupUpdatesGivenUp.add(count);
  }

  /** The group feed asked a group whether its batches still arrive, one being overdue. */
  public void groupProbeSent() {
    groupProbes.add(1);
  }

  /** A device offline for longer than forget-offline-after was forgotten. */
  public void deviceForgotten() {
    devicesForgotten.add(1);
  }

  /** A group took out members lost with a crashed node that had not spoken again. */
  public void groupMembersForgotten(int count) {
    groupMembersForgotten.add(count);
  }

  /**
   * A subscriber resumed a topic: {@code complete} when every message since its resume point
   * followed, otherwise it missed some (another epoch, or older than the topic keeps).
   */
  public void resumed(boolean complete) {
    (complete ? resumesComplete : resumesMissed).add(1);
  }

  /**
   * A starting topic home ended its recovery: {@code answered} when every node answered (and
   * its predecessor's restore came, if one was coming), otherwise at the recovery timeout.
   */
  public void topicRecovered(boolean answered) {
    (answered ? recoveriesAnswered : recoveriesTimedOut).add(1);
  }

  /**
   * A topic home got what its predecessor handed on: {@code taken} over, or too late (it had
   * stamped messages that do not follow on), when it starts a new epoch.
   */
  public void topicRestore(boolean taken) {
    (taken ? restoresTaken : restoresTooLate).add(1);
  }

  /** Bytes the topics homed on this node keep for devices that resume, payload and bookkeeping. */
  public void topicHistoryBytes(long bytes) {
    topicHistoryGauge.update(bytes);
  }

  /** A group published a snapshot of its aggregates. */
  public void aggregateTicked() {
    aggregateTicks.add(1);
  }

  /** Topics with local subscribers, as the topic registry last counted them. */
  public void setActiveTopics(int count) {
    activeTopics = count;
    topicsGauge.update(count);
  }

  public int activeTopics() {
    return activeTopics;
  }

  /** API requests being served now. */
  public void setApiRequestsInFlight(int count) {
    apiRequestsInFlight = count;
    apiRequestsGauge.update(count);
  }

  public int apiRequestsInFlight() {
    return apiRequestsInFlight;
  }

  /** A device entity started (+1) or stopped (-1) on this node. */
  public void deviceEntityResident(int change) {
    residentDevices.add(change);
    deviceEntitiesGauge.update(residentDevices.sum());
  }

  public long residentDeviceEntities() {
    return residentDevices.sum();
  }

  /** A group aggregator started (+1) or stopped (-1) on this node. */
  public void groupAggregatorResident(int change) {
    residentGroups.add(change);
    groupAggregatorsGauge.update(residentGroups.sum());
  }

  public long residentGroupAggregators() {
    return residentGroups.sum();
  }

  /**
   * The cluster's members as this node sees them: how many have each status (a status seen
   * once and now held by none reads 0), and how many this node cannot reach.
   */
  public void clusterMembers(Map<String, Integer> byStatus, int unreachable) {
    byStatus.keySet().forEach(status -> membersByStatus.computeIfAbsent(status,
        seen -> Kamon.gauge("herald.cluster.members").withTag("status", seen)));
    membersByStatus.forEach((status, gauge) -> gauge.update(byStatus.getOrDefault(status, 0)));
    unreachableMembersGauge.update(unreachable);
  }

  /** The heap in use right after a garbage collection, in bytes. */
  public void heapAfterGc(long bytes) {
    heapAfterGc = bytes;
    heapAfterGcGauge.update(bytes);
  }

  /** The heap in use right after the latest garbage collection; 0 before the first. */
  public long heapAfterGc() {
    return heapAfterGc;
  }

  /** The running total of every counter, by name. */
  public Map<String, Long> snapshot() {
    Map<String, Long> values = new TreeMap<>();
    counts.forEach((name, count) -> values.put(name, count.total().sum()));
    return values;
  }

  private Count count(String statusName, String metric, String tag, String tagValue) {
    return counts.computeIfAbsent(statusName, name -> new Count(new LongAdder(),
        tag == null ? Kamon.counter(metric).withoutTags() : Kamon.counter(metric).withTag(tag, tagValue)));
  }
}
