package io.herald.node.aggregate;

import io.herald.node.metrics.NodeMetrics;
import java.util.List;
import java.util.function.Function;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * One per node: the device entities here tell it how their members changed, and it sends
 * each group what it gathered once per feed interval, one message for many reports,
 * instead of one message per report and group through Cluster Sharding's region and shard.
 * A device's newer change replaces its older one still waiting. A group's batch that fills
 * up ({@code feed-max-values}) leaves at once, so what waits here stays bounded.
 */
public final class GroupFeed extends AbstractBehavior<GroupFeed.Command> {

  public interface Command {}

  /** A member device's presence or numbers changed; it belongs to {@code groups}. */
  public record Changed(List<String> groups, GroupAggregator.MemberChanged change) implements Command {}

  /** A device's token no longer names {@code group}. */
  public record Left(String group, GroupAggregator.MemberLeft left) implements Command {}

  private enum Flush implements Command {
    INSTANCE
  }

  public static Behavior<Command> create(GroupSettings settings,
      Function<String, RecipientRef<GroupAggregator.Command>> groups, NodeMetrics metrics) {
    return Behaviors.setup(context -> Behaviors.withTimers(timers ->
        new GroupFeed(context, timers, settings, groups, metrics)));
  }

  private final TimerScheduler<Command> timers;
  private final GroupSettings settings;
  private final Function<String, RecipientRef<GroupAggregator.Command>> groups;
  private final NodeMetrics metrics;
  private final MemberUpdates waiting;

  private GroupFeed(ActorContext<Command> context, TimerScheduler<Command> timers, GroupSettings settings,
      Function<String, RecipientRef<GroupAggregator.Command>> groups, NodeMetrics metrics) {
    super(context);
    this.timers = timers;
    this.settings = settings;
    this.groups = groups;
    this.metrics = metrics;
    this.waiting = new MemberUpdates(settings.feedMaxValues(), context.getSystem().address().toString());
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Changed.class, this::onChanged)
        .onMessage(Left.class, left -> {
          add(left.group(), left.left());
          return this;
        })
        .onMessage(Flush.class, flush -> {
          sendAll();
          return this;
        })
        .build();
  }

  private Behavior<Command> onChanged(Changed changed) {
    for (String group : changed.groups()) {
      add(group, changed.change());
    }
    return this;
  }

  private void add(String group, GroupAggregator.MemberUpdate update) {
    if (waiting.isEmpty()) {
      timers.startSingleTimer(Flush.INSTANCE, settings.feedInterval());
    }
    waiting.add(group, update).ifPresent(full -> send(group, full));
  }

  private void sendAll() {
    waiting.drain().forEach(this::send);
    metrics.groupUpdatesMerged(waiting.takeMerged());
  }

  private void send(String group, GroupAggregator.MembersUpdated batch) {
    groups.apply(group).tell(batch);
    metrics.groupBatchSent();
  }
}
