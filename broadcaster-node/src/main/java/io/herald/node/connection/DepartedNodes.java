package io.herald.node.connection;

import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;

/**
 * Tells this node's connections when another node leaves the cluster. A device's entity
 * that lived there starts again elsewhere; after a crash it knows nothing of the device's
 * session, so the connections registered with it register again. One subscription per
 * node, where a watch per connection on a remote entity would cost every connection.
 */
public final class DepartedNodes {

  private DepartedNodes() {}

  public static Behavior<ClusterEvent.MemberRemoved> create(LocalConnections connections) {
    return Behaviors.setup(context -> {
      Cluster cluster = Cluster.get(context.getSystem());
      cluster.subscriptions().tell(Subscribe.create(context.getSelf(), ClusterEvent.MemberRemoved.class));
      return Behaviors.receiveMessage(removed -> {
        // This node's own removal ends it: its connections have nowhere left to register.
        if (!removed.member().equals(cluster.selfMember())) {
          connections.nodeRemoved(removed.member().address());
        }
        return Behaviors.same();
      });
    });
  }
}
