package io.herald.node.cluster;

import io.herald.node.metrics.NodeMetrics;
import org.apache.pekko.actor.Dropped;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.eventstream.EventStream;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * Counts the messages to other nodes that the cluster transport dropped because its send
 * queue to that node was full ({@code pekko.remote.artery.advanced.outbound-message-queue-size}).
 * Artery logs only the first few of them; what was lost this way is sent again where it
 * matters (reports that want an answer, connects, group batches), but an operator should
 * see how often it happens, since it means a node sends faster than its peer takes.
 */
public final class TransportDrops {

  /** How Artery words the reason of a message its full send queue dropped. */
  static final String SEND_QUEUE_OVERFLOW = "Due to overflow of send queue";

  private TransportDrops() {}

  public static Behavior<Dropped> create(NodeMetrics metrics) {
    return Behaviors.setup(context -> {
      context.getSystem().eventStream().tell(new EventStream.Subscribe<>(Dropped.class, context.getSelf()));
      return Behaviors.receiveMessage(dropped -> {
        if (dropped.reason().startsWith(SEND_QUEUE_OVERFLOW)) {
          metrics.dropped(NodeMetrics.DropReason.CLUSTER_SEND_QUEUE);
        }
        return Behaviors.same();
      });
    });
  }
}
