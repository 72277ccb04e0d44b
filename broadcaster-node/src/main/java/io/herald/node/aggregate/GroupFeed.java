package io.herald.node.aggregate;

import io.herald.node.cluster.ClusterMessage;
import io.herald.node.metrics.NodeMetrics;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
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
 *
 * <p>Batches are numbered, and a group confirms each it takes: Cluster Sharding drops what
 * reaches a shard while it hands off, and a member's word lost that way would be missing
 * from its group until the member next changed (for a device that joined then, until it
 * changes at all). A batch unconfirmed after {@code feed-resend-after} while a later one
 * is confirmed was lost, and its words go again unless a newer word of the same device
 * went since (see {@link UnconfirmedWords}). The aggregators on this node tell this feed
 * which batches they took, and it sends each feed the numbers it gathered once per feed
 * interval, so confirmations cost one message per node and interval, not one per batch.
 */
public final class GroupFeed extends AbstractBehavior<GroupFeed.Command> {

  public interface Command {}

  /** A member device's presence or numbers changed; it belongs to {@code groups}. */
  public record Changed(List<String> groups, GroupAggregator.MemberChanged change) implements Command {}

  /** A device's token no longer names {@code group}. */
  public record Left(String group, GroupAggregator.MemberLeft left) implements Command {}

  /** A group aggregator on this node took batch {@code batch} of {@code feed}. */
  public record Received(ActorRef<Command> feed, long batch) implements Command {}

  /** Groups took these batches of this feed. */
  public record Confirmed(List<Long> batches) implements Command, ClusterMessage {}

  private enum Flush implements Command {
    INSTANCE
  }

  private enum Confirm implements Command {
    INSTANCE
  }

  private enum ResendTick implements Command {
    INSTANCE
  }

  /** Confirmations for one feed leave at once when there are this many (a message of ~40 KB at most). */
  private static final int MAX_CONFIRMATIONS_PER_MESSAGE = 4096;

  public static Behavior<Command> create(GroupSettings settings,
      Function<String, RecipientRef<GroupAggregator.Command>> groups, NodeMetrics metrics) {
    return Behaviors.setup(context -> Behaviors.withTimers(timers ->
        new GroupFeed(context, timers, settings, groups, metrics)));
  }

  private final TimerScheduler<Command> timers;
  private final GroupSettings settings;
  private final Function<String, RecipientRef<GroupAggregator.Command>> groups;
  private final NodeMetrics metrics;
  private final String node;
  private final MemberUpdates waiting;
  private final UnconfirmedWords unconfirmed;
  /** Batches the aggregators here took, by the feed that sent them, to be confirmed. */
  private final Map<ActorRef<Command>, List<Long>> received = new HashMap<>();

  private GroupFeed(ActorContext<Command> context, TimerScheduler<Command> timers, GroupSettings settings,
      Function<String, RecipientRef<GroupAggregator.Command>> groups, NodeMetrics metrics) {
    super(context);
    this.timers = timers;
    this.settings = settings;
    this.groups = groups;
    this.metrics = metrics;
    this.node = context.getSystem().address().toString();
    this.waiting = new MemberUpdates(settings.feedMaxValues());
    this.unconfirmed = new UnconfirmedWords(settings.feedMaxUnconfirmed());
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
        .onMessage(Received.class, this::onReceived)
        .onMessage(Confirm.class, confirm -> {
          confirmAll();
          return this;
        })
        .onMessage(Confirmed.class, this::onConfirmed)
        .onMessage(ResendTick.class, tick -> resendDue())
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

  private void send(String group, Collection<GroupAggregator.MemberUpdate> updates) {
    GroupAggregator.MembersUpdated batch =
        GroupAggregator.MembersUpdated.of(updates, node, unconfirmed.nextBatch(), getContext().getSelf());
    unconfirmed.sent(group, batch, System.nanoTime());
    groups.apply(group).tell(batch);
    metrics.groupBatchSent();
    metrics.groupUpdatesGivenUp(unconfirmed.takeGivenUp());
    if (!timers.isTimerActive(ResendTick.INSTANCE)) {
      timers.startTimerWithFixedDelay(ResendTick.INSTANCE, settings.feedResendAfter().dividedBy(2));
    }
  }

  private Behavior<Command> onReceived(Received receipt) {
    if (received.isEmpty()) {
      timers.startSingleTimer(Confirm.INSTANCE, settings.feedInterval());
    }
    List<Long> batches = received.computeIfAbsent(receipt.feed(), feed -> new ArrayList<>());
    batches.add(receipt.batch());
    if (batches.size() >= MAX_CONFIRMATIONS_PER_MESSAGE) {
      received.remove(receipt.feed());
      receipt.feed().tell(new Confirmed(batches));
    }
    return this;
  }

  private void confirmAll() {
    received.forEach((feed, batches) -> feed.tell(new Confirmed(batches)));
    received.clear();
  }

  private Behavior<Command> onConfirmed(Confirmed confirmed) {
    for (long batch : confirmed.batches()) {
      unconfirmed.confirmed(batch);
    }
    return this;
  }

  /**
   * Words of batches known lost go again with the next batches, unless a newer word of the
   * same device already waits to go; groups whose last batch is overdue are probed.
   */
  private Behavior<Command> resendDue() {
    long now = System.nanoTime();
    UnconfirmedWords.Due due = unconfirmed.due(now, settings.feedResendAfter().toNanos());
    long resent = 0;
    for (UnconfirmedWords.Resend word : due.resend()) {
      if (!waiting.waits(word.group(), word.update().deviceId())) {
        add(word.group(), word.update());
        resent++;
      }
    }
    metrics.groupUpdatesResent(resent);
    for (String group : due.probe()) {
      long number = unconfirmed.nextBatch();
      unconfirmed.probed(group, now);
      groups.apply(group).tell(new GroupAggregator.MembersUpdated(List.of(), List.of(), node, number,
          getContext().getSelf()));
      metrics.groupProbeSent();
    }
    if (unconfirmed.isEmpty()) {
      timers.cancel(ResendTick.INSTANCE);
    }
    return this;
  }
}
