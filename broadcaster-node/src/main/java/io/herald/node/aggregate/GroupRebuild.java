package io.herald.node.aggregate;

import io.herald.node.device.DeviceEntity;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.sharding.typed.GetShardRegionState;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Source;

/**
 * After another node crashed, has every device entity on this node tell its groups its word
 * again. A group whose aggregator lived on the crashed node starts again elsewhere knowing
 * nothing, and would otherwise hear of a member only at its next change. A node that leaves
 * gracefully hands its aggregators on instead, so only a node removed after being downed
 * counts. The entities are told at most {@code rebuild-rate} a second, so a node holding a
 * million spreads the work, and its {@link GroupFeed} gathers their words into one batch
 * per group as for any change. Aggregators that did not crash hear the same words again,
 * which changes nothing. One per node.
 */
public final class GroupRebuild {

  public interface Command {}

  private record NodeRemoved(ClusterEvent.MemberRemoved removed) implements Command {}

  private record LocalEntities(ShardRegion.CurrentShardRegionState state) implements Command {}

  private GroupRebuild() {}

  public static Behavior<Command> create(Function<String, RecipientRef<DeviceEntity.Command>> devices,
      int ratePerSecond) {
    return Behaviors.setup(context -> {
      Cluster cluster = Cluster.get(context.getSystem());
      cluster.subscriptions().tell(Subscribe.create(
          context.messageAdapter(ClusterEvent.MemberRemoved.class, NodeRemoved::new), ClusterEvent.MemberRemoved.class));
      ActorRef<ShardRegion.CurrentShardRegionState> answers =
          context.messageAdapter(ShardRegion.CurrentShardRegionState.class, LocalEntities::new);
      Materializer materializer = Materializer.createMaterializer(context);
      return Behaviors.receive(Command.class)
          .onMessage(NodeRemoved.class, removed -> {
            ClusterEvent.MemberRemoved event = removed.removed();
            if (event.previousStatus().equals(MemberStatus.down()) && !event.member().equals(cluster.selfMember())) {
              context.getLog().info("{} crashed: this node's devices tell their groups again",
                  event.member().address());
              ClusterSharding.get(context.getSystem()).shardState()
                  .tell(new GetShardRegionState(DeviceEntity.ENTITY_TYPE_KEY, answers));
            }
            return Behaviors.same();
          })
          .onMessage(LocalEntities.class, local -> {
            List<String> entityIds = new ArrayList<>();
            local.state().getShards().forEach(shard -> entityIds.addAll(shard.getEntityIds()));
            context.getLog().info("{} device entities tell their groups again, {} a second", entityIds.size(),
                ratePerSecond);
            Source.from(entityIds)
                .throttle(ratePerSecond, Duration.ofSeconds(1))
                .runForeach(id -> devices.apply(id).tell(DeviceEntity.RetellGroups.INSTANCE), materializer);
            return Behaviors.same();
          })
          .build();
    });
  }
}
