package io.herald.node.device;

import io.herald.node.metrics.NodeMetrics;
import org.apache.pekko.actor.DeadLetter;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.eventstream.EventStream;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * Counts the state reports that reached a device entity after it had stopped. A
 * connection sends reports straight to its device's entity; when the entity's shard moves,
 * what was on its way becomes a dead letter on the entity's node. A report that wanted an
 * answer is sent again by its connection; one that did not is lost, and counted here as a
 * drop.
 */
public final class LostReports {

  private LostReports() {}

  public static Behavior<DeadLetter> create(NodeMetrics metrics) {
    return Behaviors.setup(context -> {
      context.getSystem().eventStream().tell(new EventStream.Subscribe<>(DeadLetter.class, context.getSelf()));
      return Behaviors.receiveMessage(dead -> {
        if (dead.message() instanceof DeviceEntity.ReportState report && report.correlationId() == 0) {
          metrics.dropped(NodeMetrics.DropReason.ENTITY_STOPPED);
        }
        return Behaviors.same();
      });
    });
  }
}
