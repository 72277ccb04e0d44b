package io.herald.node.ops;

import io.herald.node.cluster.ClusterMessage;
import io.herald.protocol.v1.NodeStatus;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;

/**
 * Answers other nodes' questions for this node's status, so that any node can show the whole
 * cluster ({@link ClusterStatusView}). One per node, found through the receptionist.
 */
public final class NodeStatusService {

  public static final ServiceKey<Read> SERVICE_KEY = ServiceKey.create(Read.class, "herald-node-status");

  /** Asks for the node's status. */
  public record Read(ActorRef<Answer> replyTo) implements ClusterMessage {}

  /** The node's status, without its view of the members: the asking node has its own. */
  public record Answer(NodeStatus status) implements ClusterMessage {}

  private NodeStatusService() {}

  /** @param ownNumbers the node's status without its view of the members */
  public static Behavior<Read> create(Supplier<NodeStatus> ownNumbers) {
    return Behaviors.setup(context -> {
      context.getSystem().receptionist().tell(Receptionist.register(SERVICE_KEY, context.getSelf()));
      return Behaviors.receiveMessage(read -> {
        read.replyTo().tell(new Answer(ownNumbers.get()));
        return Behaviors.same();
      });
    });
  }
}
