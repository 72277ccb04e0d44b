package io.herald.node.ops;

import io.herald.node.metrics.NodeMetrics;
import io.herald.protocol.v1.ClusterMember;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * Keeps the membership gauges ({@code herald_cluster_members{status}},
 * {@code herald_cluster_members_unreachable}) of this node's view of the cluster, read once a
 * second: a member that cannot be reached, or a cluster smaller than it should be, is
 * something to alert on from Prometheus.
 */
public final class ClusterGauges {

  static final Duration EVERY = Duration.ofSeconds(1);

  /** Time to read the members again. */
  public enum Tick { INSTANCE }

  private ClusterGauges() {}

  /** @param members the cluster's members as this node sees them now */
  public static Behavior<Tick> create(Supplier<List<ClusterMember>> members, NodeMetrics metrics) {
    return Behaviors.withTimers(timers -> {
      timers.startTimerWithFixedDelay(Tick.INSTANCE, Duration.ZERO, EVERY);
      return Behaviors.receiveMessage(tick -> {
        List<ClusterMember> seen = members.get();
        metrics.clusterMembers(byStatus(seen), (int) seen.stream().filter(member -> !member.getReachable()).count());
        return Behaviors.same();
      });
    });
  }

  static Map<String, Integer> byStatus(List<ClusterMember> members) {
    Map<String, Integer> counts = new TreeMap<>();
    members.forEach(member -> counts.merge(member.getStatus(), 1, Integer::sum));
    return counts;
  }
}
