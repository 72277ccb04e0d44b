package io.herald.node.cluster;

import java.util.Comparator;
import java.util.Optional;
import java.util.stream.StreamSupport;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSelection;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.sharding.typed.ShardingEnvelope;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * Hands an entity's state to wherever its shard goes next. An entity that is stopped for
 * a hand-off sends its state to itself through Cluster Sharding; the message waits in a
 * region until the shard has its new home and then starts the entity there.
 *
 * <p>The region of a node that is leaving drops what it still holds when it stops, so the
 * message goes through the region of a node that stays: this one while it is Up and not
 * stopping (a rebalance), otherwise the Up member with the lowest address.
 */
public final class NextHome {

  private NextHome() {}

  /** Sends {@code message} to entity {@code entityId} in its next home; false if no node stays. */
  public static <M> boolean send(ActorContext<?> context, EntityTypeKey<M> type, String entityId, M message) {
    Optional<Address> through = stayingNode(context);
    if (through.isEmpty()) {
      return false;
    }
    // Typed sharding runs each entity type in the classic region /system/sharding/{type name}.
    ActorSelection region = context.classicActorContext().actorSelection(
        through.get() + "/system/sharding/" + type.name());
    region.tell(new ShardingEnvelope<>(entityId, message), ActorRef.noSender());
    return true;
  }

  private static Optional<Address> stayingNode(ActorContext<?> context) {
    Cluster cluster = Cluster.get(context.getSystem());
    Member self = cluster.selfMember();
    boolean selfStays = self.status().equals(MemberStatus.up())
        && CoordinatedShutdown.get(context.getSystem()).getShutdownReason().isEmpty();
    if (selfStays) {
      return Optional.of(self.address());
    }
    return StreamSupport.stream(cluster.state().getMembers().spliterator(), false)
        .filter(member -> member.status().equals(MemberStatus.up()) && !member.equals(self))
        .map(Member::address)
        .min(Comparator.comparing(Address::toString));
  }
}
