package io.herald.node.cluster;

import io.herald.node.metrics.NodeMetrics;
import java.util.Set;
import org.apache.pekko.actor.ActorPath;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.AllDeadLetters;
import org.apache.pekko.actor.DeadLetter;
import org.apache.pekko.actor.Dropped;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.eventstream.EventStream;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * Counts the messages Pekko's cluster layers drop, which they log once or at debug level
 * only. What was lost this way is sent again where it matters (reports that want an answer,
 * connects, group batches), but an operator should see how often it happens:
 *
 * <ul>
 *   <li>the cluster transport's send queue to another node was full
 *       ({@code pekko.remote.artery.advanced.outbound-message-queue-size}): this node sends
 *       faster than its peer takes;
 *   <li>a shard region's or a shard's buffer was full ({@code pekko.cluster.sharding.buffer-size}):
 *       more arrived for shards whose home was being decided or handed off, or for entities
 *       starting, than the buffer holds;
 *   <li>a region dropped what it had buffered for a shard being handed off, rather than
 *       deliver it out of order;
 *   <li>the transport dropped what it still held for a node that crashed or left, once it cut
 *       that node off.
 * </ul>
 */
public final class ClusterDrops {

  /** How Artery words the reason of a message its full send queue dropped. */
  static final String SEND_QUEUE_OVERFLOW = "Due to overflow of send queue";

  /** How a shard words the reason of a message its full buffer dropped: "Buffer for [entity] is full". */
  static final String SHARD_BUFFER_PREFIX = "Buffer for [";

  static final String SHARD_BUFFER_SUFFIX = "] is full";

  /** How a region words the reason of the messages it buffered for a shard that is handed off. */
  static final String HAND_OFF_REORDERING = "Avoiding reordering of buffered messages at shard handoff";

  private ClusterDrops() {}

  /**
   * Counts into {@code metrics}; {@code entityTypes} names the sharded entity types, whose
   * regions are the only senders of the dead letters counted as buffer drops (the sharding
   * replicator, a sibling of the regions, sends gossip to dead letters after a crash).
   */
  public static Behavior<AllDeadLetters> create(NodeMetrics metrics, Set<String> entityTypes) {
    return Behaviors.setup(context -> {
      EventStream.Command subscribeDropped = new EventStream.Subscribe<>(Dropped.class, context.getSelf().narrow());
      EventStream.Command subscribeDead = new EventStream.Subscribe<>(DeadLetter.class, context.getSelf().narrow());
      context.getSystem().eventStream().tell(subscribeDropped);
      context.getSystem().eventStream().tell(subscribeDead);
      ActorRef deadLetters = Adapter.toClassic(context.getSystem().deadLetters());
      return Behaviors.receiveMessage(event -> {
        if (event instanceof Dropped dropped) {
          countDropped(dropped.reason(), metrics);
        } else if (event instanceof DeadLetter dead && dead.recipient().equals(deadLetters)
            && isShardRegion(dead.sender().path(), entityTypes)) {
          // A region whose buffer is full hands the message straight to dead letters.
          metrics.dropped(NodeMetrics.DropReason.SHARD_BUFFER);
        } else if (event instanceof DeadLetter dead && isOnAnotherNode(dead.recipient())) {
          // The transport gives up on what it holds for a node it has cut off.
          metrics.dropped(NodeMetrics.DropReason.NODE_GONE);
        }
        return Behaviors.same();
      });
    });
  }

  private static void countDropped(String reason, NodeMetrics metrics) {
    if (reason.startsWith(SEND_QUEUE_OVERFLOW)) {
      metrics.dropped(NodeMetrics.DropReason.CLUSTER_SEND_QUEUE);
    } else if (reason.startsWith(SHARD_BUFFER_PREFIX) && reason.endsWith(SHARD_BUFFER_SUFFIX)) {
      metrics.dropped(NodeMetrics.DropReason.SHARD_BUFFER);
    } else if (reason.equals(HAND_OFF_REORDERING)) {
      metrics.dropped(NodeMetrics.DropReason.SHARD_HAND_OFF);
    }
  }

  /** Local actors' paths carry no host; only refs to other nodes' actors do. */
  private static boolean isOnAnotherNode(ActorRef recipient) {
    return recipient.path().address().hasGlobalScope();
  }

  /** A shard region lives at {@code /system/sharding/<entity type>}. */
  private static boolean isShardRegion(ActorPath path, Set<String> entityTypes) {
    ActorPath parent = path.parent();
    return entityTypes.contains(path.name())
        && parent.name().equals("sharding") && parent.parent().name().equals("system")
        && parent.parent().parent().equals(path.root());
  }
}
