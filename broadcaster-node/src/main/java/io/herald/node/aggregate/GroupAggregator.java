package io.herald.node.aggregate;

import io.herald.node.cluster.ClusterMessage;
import io.herald.node.cluster.NextHome;
import io.herald.node.metrics.NodeMetrics;
import io.herald.node.topic.TopicService;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;

/**
 * One group's live aggregates, wherever Cluster Sharding places it. Member devices' presence
 * and numbers reach it as they change, gathered by each node's {@link GroupFeed}; it folds
 * them into an {@link Aggregate} and publishes a snapshot to {@code $group/{id}} at most
 * once per snapshot interval, and only after something changed. An aggregator without
 * members (a group nobody belongs to any more, or an id only read) stops once it has
 * published the last change, so reading ids that no group uses leaves nothing resident.
 */
public final class GroupAggregator extends AbstractBehavior<GroupAggregator.Command> {

  public static final EntityTypeKey<Command> ENTITY_TYPE_KEY = EntityTypeKey.create(Command.class, "group");

  public interface Command extends ClusterMessage {}

  /** What a group hears of one member, as the member's entity saw it at {@code asOfMillis}. */
  public sealed interface MemberUpdate {
    String deviceId();

    long asOfMillis();

    /** What it weighs in a message that carries many: one for the member, one per number. */
    int values();
  }

  /** A member's presence and numbers. */
  public record MemberChanged(String deviceId, boolean online, Map<String, Double> numbers, long asOfMillis)
      implements MemberUpdate {
    @Override
    public int values() {
      return 1 + numbers.size();
    }
  }

  /** A member's token no longer names this group. */
  public record MemberLeft(String deviceId, long asOfMillis) implements MemberUpdate {
    @Override
    public int values() {
      return 1;
    }
  }

  /**
   * What one node gathered for this group: each device's newest word, changed or left, as
   * the device entities on node {@code fromNode} (its address) said it. The aggregator
   * confirms it to {@code feed} by its number {@code batch}: a batch lost on the way (its
   * group's shard moving) is sent again.
   */
  public record MembersUpdated(List<MemberChanged> changed, List<MemberLeft> left, String fromNode, long batch,
      ActorRef<GroupFeed.Command> feed) implements Command {

    /** The words in {@code updates}, in their order, as one batch. */
    static MembersUpdated of(Collection<MemberUpdate> updates, String fromNode, long batch,
        ActorRef<GroupFeed.Command> feed) {
      List<MemberChanged> changed = new ArrayList<>(updates.size());
      List<MemberLeft> left = new ArrayList<>();
      for (MemberUpdate update : updates) {
        if (update instanceof MemberChanged change) {
          changed.add(change);
        } else if (update instanceof MemberLeft departure) {
          left.add(departure);
        }
      }
      return new MembersUpdated(changed, left, fromNode, batch, feed);
    }
  }

  /**
   * Node {@code node} (its address) crashed, and the device entities on it died: the members
   * whose newest word came from there are offline until they say otherwise, and are taken
   * out of the group {@code herald.group.forget-lost-after} later if none has.
   */
  public record NodeLost(String node) implements Command {}

  public record GetAggregate(ActorRef<AggregateReport> replyTo) implements Command {}

  /**
   * Asks for up to {@code limit} member ids after {@code after} (from the first when empty),
   * in order; answered with a {@link MemberPage}. The ids travel, not the members' state:
   * the node that asks queries the members itself ({@link MemberQueries}), so no answer
   * grows with the group.
   */
  public record ListMembers(String after, int limit, ActorRef<MemberPage> replyTo) implements Command {}

  public record AggregateReport(String groupId, Aggregate.Snapshot snapshot) implements ClusterMessage {}

  public record MemberPage(String groupId, List<String> memberIds, boolean more) implements ClusterMessage {}

  /**
   * A member handed on, with the node (its address) whose device entity spoke for it last,
   * {@link Aggregate#NO_NODE} if none is known: the new home takes the member offline should
   * that node crash. {@code lost}: that node has crashed already, and nobody has spoken for
   * the member since; the new home keeps waiting for its device, and forgets it if none
   * speaks.
   */
  public record HandedOn(MemberChanged member, String node, boolean lost) {}

  /**
   * Members this group had in its previous home, sent there when its shard moved: a large
   * group in several, each at most {@code herald.group.feed-max-values} values, so that
   * none exceeds Artery's maximum frame size.
   */
  public record Restore(List<HandedOn> members) implements Command {}

  /** Sharding stops the aggregator with this when its shard moves to another node, or when it asked to stop. */
  private enum HandOff implements Command {
    INSTANCE
  }

  private enum PublishTick implements Command {
    INSTANCE
  }

  /** The wait for the members lost with {@code node} to speak again is over. */
  private record ForgetLost(String node) implements Command {}

  public static void init(ActorSystem<?> system, GroupSettings settings, TopicService topics,
      ActorRef<GroupFeed.Command> localFeed, NodeMetrics metrics) {
    ClusterSharding.get(system).init(Entity.of(ENTITY_TYPE_KEY,
            entity -> create(entity.getEntityId(), entity.getShard(), settings, topics, localFeed, metrics))
        .withStopMessage(HandOff.INSTANCE));
  }

  /** How a node reaches the aggregator of a group id. */
  public static Function<String, RecipientRef<Command>> directory(ActorSystem<?> system) {
    ClusterSharding sharding = ClusterSharding.get(system);
    return groupId -> sharding.entityRefFor(ENTITY_TYPE_KEY, groupId);
  }

  /**
   * {@code localFeed} is this node's {@link GroupFeed}, which gathers the confirmations of
   * the batches this aggregator takes for the feeds that sent them.
   */
  public static Behavior<Command> create(String groupId, ActorRef<ClusterSharding.ShardCommand> shard,
      GroupSettings settings, TopicService topics, ActorRef<GroupFeed.Command> localFeed, NodeMetrics metrics) {
    return Behaviors.setup(context -> Behaviors.withTimers(timers ->
        new GroupAggregator(context, timers, groupId, shard, settings, topics, localFeed, metrics)));
  }

  private final TimerScheduler<Command> timers;
  private final String groupId;
  private final ActorRef<ClusterSharding.ShardCommand> shard;
  private final GroupSettings settings;
  private final TopicService topics;
  private final ActorRef<GroupFeed.Command> localFeed;
  private final NodeMetrics metrics;
  private final Aggregate aggregate = new Aggregate();

  private GroupAggregator(ActorContext<Command> context, TimerScheduler<Command> timers, String groupId,
      ActorRef<ClusterSharding.ShardCommand> shard, GroupSettings settings, TopicService topics,
      ActorRef<GroupFeed.Command> localFeed, NodeMetrics metrics) {
    super(context);
    this.metrics = metrics;
    metrics.groupAggregatorResident(1);
    this.timers = timers;
    this.groupId = groupId;
    this.shard = shard;
    this.settings = settings;
    this.topics = topics;
    this.localFeed = localFeed;
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(MembersUpdated.class, this::onMembersUpdated)
        .onMessage(NodeLost.class, this::onNodeLost)
        .onMessage(ForgetLost.class, this::onForgetLost)
        .onMessage(GetAggregate.class, this::onGetAggregate)
        .onMessage(ListMembers.class, this::onListMembers)
        .onMessage(PublishTick.class, this::onPublishTick)
        .onMessage(Restore.class, this::onRestore)
        .onMessage(HandOff.class, handOff -> onHandOff())
        .onSignal(PostStop.class, stopped -> {
          metrics.groupAggregatorResident(-1);
          return this;
        })
        .build();
  }

  private Behavior<Command> onMembersUpdated(MembersUpdated updated) {
    localFeed.tell(new GroupFeed.Received(updated.feed(), updated.batch()));
    boolean changed = false;
    for (MemberChanged member : updated.changed()) {
      changed |= aggregate.update(member.deviceId(), member.online(), member.numbers(), member.asOfMillis(),
          updated.fromNode());
    }
    for (MemberLeft member : updated.left()) {
      changed |= aggregate.remove(member.deviceId(), member.asOfMillis());
    }
    if (changed) {
      schedulePublish();
    }
    return stopIfEmpty();
  }

  /**
   * Told once when the node is removed and again once its shards have settled (see
   * {@link GroupRebuild}); the wait to forget runs from the first telling that found
   * members of it.
   */
  private Behavior<Command> onNodeLost(NodeLost lost) {
    if (aggregate.nodeLost(lost.node()) > 0) {
      schedulePublish();
      startForgetting(lost.node());
    }
    return stopIfEmpty();
  }

  /** Members lost with {@code node} that nobody speaks for within forget-lost-after are forgotten. */
  private void startForgetting(String node) {
    ForgetLost forget = new ForgetLost(node);
    if (!timers.isTimerActive(forget)) {
      timers.startSingleTimer(forget, settings.forgetLostAfter());
    }
  }

  /**
   * Members that are still lost have entities nowhere: their devices neither reconnected
   * nor reported since, and no surviving node holds them. They leave the group, as they
   * would have if their entities had never started; a device that comes back joins again.
   */
  private Behavior<Command> onForgetLost(ForgetLost forget) {
    int forgotten = aggregate.forgetLost(forget.node());
    if (forgotten > 0) {
      metrics.groupMembersForgotten(forgotten);
      schedulePublish();
    }
    return stopIfEmpty();
  }

  private Behavior<Command> onGetAggregate(GetAggregate get) {
    get.replyTo().tell(new AggregateReport(groupId, aggregate.snapshot()));
    return stopIfEmpty();
  }

  private Behavior<Command> onListMembers(ListMembers list) {
    Aggregate.MemberPage page = aggregate.memberIdsAfter(list.after(), list.limit());
    list.replyTo().tell(new MemberPage(groupId, page.memberIds(), page.more()));
    return stopIfEmpty();
  }

  private Behavior<Command> onPublishTick(PublishTick tick) {
    metrics.aggregateTicked();
    topics.publish("$group/" + groupId, GroupViews.toWire(groupId, aggregate.snapshot()).toByteString(), 0,
        getContext().getSystem().ignoreRef());
    return stopIfEmpty();
  }

  /**
   * Asks the shard to stop an aggregator with no members and nothing left to publish: a new
   * one starts empty too. The shard holds what arrives meanwhile and starts one for it.
   */
  private Behavior<Command> stopIfEmpty() {
    if (aggregate.isEmpty() && !timers.isTimerActive(PublishTick.INSTANCE)) {
      shard.tell(new ClusterSharding.Passivate<>(getContext().getSelf()));
    }
    return this;
  }

  /**
   * Members still lost with a crashed node go marked as lost, so that the new home keeps
   * waiting for their devices (and forgets those that stay silent) rather than keeping them
   * as members that are only offline.
   */
  private Behavior<Command> onHandOff() {
    List<HandedOn> members = aggregate.members().stream()
        .map(member -> new HandedOn(
            new MemberChanged(member.memberId(), member.online(), member.numbers(), member.asOfMillis()),
            member.node(), member.lost()))
        .toList();
    for (Restore part : restoreInParts(members, settings.feedMaxValues())) {
      NextHome.send(getContext(), ENTITY_TYPE_KEY, groupId, part);
    }
    return Behaviors.stopped();
  }

  /** The members in order, cut into parts of at most {@code maxValues} values (a larger member alone). */
  static List<Restore> restoreInParts(List<HandedOn> members, int maxValues) {
    List<Restore> parts = new ArrayList<>();
    List<HandedOn> part = new ArrayList<>();
    int values = 0;
    for (HandedOn member : members) {
      int memberValues = member.member().values();
      if (!part.isEmpty() && values + memberValues > maxValues) {
        parts.add(new Restore(part));
        part = new ArrayList<>();
        values = 0;
      }
      part.add(member);
      values += memberValues;
    }
    if (!part.isEmpty()) {
      parts.add(new Restore(part));
    }
    return parts;
  }

  /**
   * A member heard of since this aggregator started keeps its newer word. What members said
   * while the group moved and was dropped on the way, the feeds that sent it send again
   * (see {@link GroupFeed}).
   */
  private Behavior<Command> onRestore(Restore restore) {
    for (HandedOn handedOn : restore.members()) {
      MemberChanged member = handedOn.member();
      if (!handedOn.lost()) {
        aggregate.update(member.deviceId(), member.online(), member.numbers(), member.asOfMillis(), handedOn.node());
      } else if (aggregate.restoreLost(member.deviceId(), member.numbers(), member.asOfMillis(), handedOn.node())) {
        // The wait for the lost members' devices starts again here: how much of it had passed is not known.
        startForgetting(handedOn.node());
      }
    }
    schedulePublish();
    return this;
  }

  /** The first change after a publish starts the interval; later changes ride along with it. */
  private void schedulePublish() {
    if (!timers.isTimerActive(PublishTick.INSTANCE)) {
      timers.startSingleTimer(PublishTick.INSTANCE, settings.snapshotInterval());
    }
  }
}
