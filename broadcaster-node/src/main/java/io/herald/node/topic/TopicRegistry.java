package io.herald.node.topic;

import io.herald.node.cluster.ClusterMessage;
import io.herald.node.connection.ServerFrames;
import io.herald.node.metrics.NodeMetrics;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;
import org.apache.pekko.cluster.sharding.typed.ShardingEnvelope;

/**
 * This node's side of every topic: finds the {@link TopicActor} of each topic with local
 * subscribers (created on the first subscribe, stopped once idle with no subscribe on its
 * way to it), registers the node with the topic's {@link TopicEntity} so its messages come
 * here, and hands each delivery to the topic actor.
 */
public final class TopicRegistry extends AbstractBehavior<TopicRegistry.Command> {

  /** Every node's registry, for topic homes that start and ask who has subscribers. */
  public static final ServiceKey<Command> SERVICE_KEY = ServiceKey.create(Command.class, "herald-topic-registry");

  public interface Command {}

  public record Subscribe(String topic, Subscriber subscriber, long requestId, Optional<ResumePoint> resumeFrom)
      implements Command {}

  public record Unsubscribe(String topic, Subscriber subscriber, long requestId) implements Command {}

  /**
   * The topic's home has this node registered: every message after {@code sequence} comes
   * here. {@code home} is watched to register again.
   */
  public record Registered(String topic, ActorRef<TopicEntity.Command> home, String epoch, long sequence)
      implements Command, ClusterMessage {}

  /** A topic actor asks its home what it keeps, to resume subscribers from {@code resumeEpochs}. */
  record ReadHistory(String topic, long request, Set<String> resumeEpochs) implements Command {}

  /** A home's answer to {@link ReadHistory}: what it keeps, oldest first, up to {@code sequence}. */
  public record History(String topic, long request, String epoch, long sequence, List<TopicEntity.Message> kept)
      implements Command, ClusterMessage {}

  /** Messages of a topic for this node's subscribers, in sequence order. */
  public record Deliver(String topic, List<TopicEntity.Message> messages) implements Command, ClusterMessage {}

  /**
   * The topic's home stopped for a move after its last delivery here, {@code sequence}, and
   * handed what it keeps on: its next home is told so, and waits for that restore. Heard
   * also by nodes without subscribers to the topic, which remember it until the next home
   * asks or for the sharding hand-off timeout.
   */
  public record HandedOff(String topic, long sequence) implements Command, ClusterMessage {}

  /** A starting topic home asks whether this node has subscribers. */
  public record ReportSubscription(String topic, ActorRef<TopicEntity.Command> replyTo)
      implements Command, ClusterMessage {}

  /** Sent by a topic actor with no subscribers left. */
  record TopicIdle(String topic, ActorRef<TopicActor.Command> topicActor, long subscribesReceived)
      implements Command {}

  private record HomeStopped(String topic, ActorRef<TopicEntity.Command> home) implements Command {}

  /** A hand-off heard for a topic without subscribers here is no longer worth telling. */
  private record ForgetHandOff(String topic) implements Command {}

  /** Registers again every topic whose home has not answered yet. */
  private enum RetryRegistrations implements Command {
    INSTANCE
  }

  private static final class LiveTopic {
    final ActorRef<TopicActor.Command> actor;
    long subscribesSent;
    long lastSequence;
    /** The home handed off and no next home has confirmed this node since. */
    boolean restoreComing;
    /** Null until the home answers {@link Registered}, and again once it stops. */
    ActorRef<TopicEntity.Command> home;

    LiveTopic(ActorRef<TopicActor.Command> actor) {
      this.actor = actor;
    }
  }

  public static Behavior<Command> create(TopicSettings settings, ActorRef<ShardingEnvelope<TopicEntity.Command>> homes,
      NodeMetrics metrics) {
    return Behaviors.setup(context -> Behaviors.withTimers(timers -> {
      context.getSystem().receptionist().tell(Receptionist.register(SERVICE_KEY, context.getSelf()));
      return new TopicRegistry(context, timers, settings, homes, metrics);
    }));
  }

  private final TimerScheduler<Command> timers;
  private final TopicSettings settings;
  private final ActorRef<ShardingEnvelope<TopicEntity.Command>> homes;
  private final NodeMetrics metrics;
  private final Map<String, LiveTopic> topics = new HashMap<>();
  /** The last sequence of each topic whose home handed off and that has no subscribers here. */
  private final Map<String, Long> handOffsHeard = new HashMap<>();
  /** A next home starts within a shard's hand-off; a word older than that tells nobody anything. */
  private final Duration handOffMemory;

  private TopicRegistry(ActorContext<Command> context, TimerScheduler<Command> timers, TopicSettings settings,
      ActorRef<ShardingEnvelope<TopicEntity.Command>> homes, NodeMetrics metrics) {
    super(context);
    this.timers = timers;
    this.settings = settings;
    this.homes = homes;
    this.metrics = metrics;
    this.handOffMemory = context.getSystem().settings().config().getDuration("pekko.cluster.sharding.handoff-timeout");
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Subscribe.class, this::onSubscribe)
        .onMessage(Unsubscribe.class, this::onUnsubscribe)
        .onMessage(Registered.class, this::onRegistered)
        .onMessage(Deliver.class, this::onDeliver)
        .onMessage(HandedOff.class, this::onHandedOff)
        .onMessage(ReadHistory.class, this::onReadHistory)
        .onMessage(History.class, this::onHistory)
        .onMessage(ReportSubscription.class, this::onReportSubscription)
        .onMessage(HomeStopped.class, this::onHomeStopped)
        .onMessage(RetryRegistrations.class, retry -> onRetryRegistrations())
        .onMessage(TopicIdle.class, this::onTopicIdle)
        .onMessage(ForgetHandOff.class, forget -> {
          handOffsHeard.remove(forget.topic());
          return this;
        })
        .build();
  }

  private Behavior<Command> onSubscribe(Subscribe subscribe) {
    LiveTopic topic = topics.computeIfAbsent(subscribe.topic(), this::startTopic);
    topic.subscribesSent++;
    topic.actor.tell(new TopicActor.AddSubscriber(subscribe.subscriber(), subscribe.requestId(),
        subscribe.resumeFrom()));
    return this;
  }

  private Behavior<Command> onUnsubscribe(Unsubscribe unsubscribe) {
    LiveTopic topic = topics.get(unsubscribe.topic());
    if (topic == null) {
      unsubscribe.subscriber().port().offer(ServerFrames.unsubscribed(unsubscribe.requestId(), unsubscribe.topic()));
    } else {
      topic.actor.tell(new TopicActor.RemoveSubscriber(unsubscribe.subscriber(), unsubscribe.requestId()));
    }
    return this;
  }

  private Behavior<Command> onRegistered(Registered registered) {
    LiveTopic topic = topics.get(registered.topic());
    if (topic == null) {
      // Stopped since it registered; the unregister is on its way to the home.
      return this;
    }
    if (!registered.home().equals(topic.home)) {
      if (topic.home != null) {
        getContext().unwatch(topic.home);
      }
      topic.home = registered.home();
      getContext().watchWith(topic.home, new HomeStopped(registered.topic(), topic.home));
    }
    topic.restoreComing = false;
    topic.actor.tell(new TopicActor.Registered(registered.epoch(), registered.sequence()));
    return this;
  }

  private Behavior<Command> onDeliver(Deliver deliver) {
    LiveTopic topic = topics.get(deliver.topic());
    if (topic != null && !deliver.messages().isEmpty()) {
      topic.lastSequence = deliver.messages().get(deliver.messages().size() - 1).sequence();
      topic.actor.tell(new TopicActor.Deliver(deliver.messages()));
    }
    return this;
  }

  private Behavior<Command> onHandedOff(HandedOff handedOff) {
    LiveTopic topic = topics.get(handedOff.topic());
    if (topic != null) {
      topic.lastSequence = Math.max(topic.lastSequence, handedOff.sequence());
      topic.restoreComing = true;
    } else {
      handOffsHeard.merge(handedOff.topic(), handedOff.sequence(), Math::max);
      timers.startSingleTimer(new ForgetHandOff(handedOff.topic()), handOffMemory);
    }
    return this;
  }

  private Behavior<Command> onReadHistory(ReadHistory read) {
    homes.tell(new ShardingEnvelope<>(read.topic(), new TopicEntity.ReadHistory(getContext().getSelf(),
        read.request(), read.resumeEpochs())));
    return this;
  }

  /** Comes by the same path as the deliveries it follows, so it reaches the topic actor after them. */
  private Behavior<Command> onHistory(History history) {
    LiveTopic topic = topics.get(history.topic());
    if (topic != null) {
      topic.actor.tell(new TopicActor.History(history.request(), history.epoch(), history.sequence(),
          history.kept()));
    }
    return this;
  }

  private Behavior<Command> onReportSubscription(ReportSubscription ask) {
    LiveTopic topic = topics.get(ask.topic());
    if (topic != null) {
      ask.replyTo().tell(new TopicEntity.SubscriptionReport(getContext().getSelf(), true, topic.lastSequence,
          topic.restoreComing));
    } else {
      Long heard = takeHandOffHeard(ask.topic());
      ask.replyTo().tell(new TopicEntity.SubscriptionReport(getContext().getSelf(), false,
          heard == null ? 0 : heard, heard != null));
    }
    return this;
  }

  /** The topic's home stopped (moved or its node left): register with the next one. */
  private Behavior<Command> onHomeStopped(HomeStopped stopped) {
    LiveTopic topic = topics.get(stopped.topic());
    if (topic != null && stopped.home().equals(topic.home)) {
      topic.home = null;
      if (!nodeIsStopping()) {
        register(stopped.topic(), topic);
      }
    }
    return this;
  }

  /**
   * A Register can be lost (its home's node crashed while it was on its way); until the
   * home answers, the topic's subscribers wait for their confirmation, so ask again.
   */
  private Behavior<Command> onRetryRegistrations() {
    if (!nodeIsStopping()) {
      topics.forEach((name, topic) -> {
        if (topic.home == null) {
          register(name, topic);
        }
      });
    }
    return this;
  }

  private Behavior<Command> onTopicIdle(TopicIdle idle) {
    LiveTopic topic = topics.get(idle.topic());
    // Equal counts mean no subscribe is on its way to the idle actor: it may stop.
    if (topic != null && topic.actor.equals(idle.topicActor()) && topic.subscribesSent == idle.subscribesReceived()) {
      topics.remove(idle.topic());
      if (topic.home != null) {
        getContext().unwatch(topic.home);
      }
      if (!nodeIsStopping()) {
        homes.tell(new ShardingEnvelope<>(idle.topic(), new TopicEntity.Unregister(getContext().getSelf())));
      }
      topic.actor.tell(TopicActor.Stop.INSTANCE);
      metrics.setActiveTopics(topics.size());
    }
    return this;
  }

  private LiveTopic startTopic(String name) {
    ActorRef<TopicActor.Command> actor = getContext().spawnAnonymous(
        TopicActor.create(name, getContext().getSelf(), settings, metrics));
    metrics.setActiveTopics(topics.size() + 1);
    LiveTopic topic = new LiveTopic(actor);
    Long heard = takeHandOffHeard(name);
    if (heard != null) {
      topic.lastSequence = heard;
      topic.restoreComing = true;
    }
    register(name, topic);
    return topic;
  }

  private Long takeHandOffHeard(String topic) {
    Long heard = handOffsHeard.remove(topic);
    if (heard != null) {
      timers.cancel(new ForgetHandOff(topic));
    }
    return heard;
  }

  /**
   * A stopping node neither unregisters nor registers again: homes elsewhere forget it when
   * it leaves the cluster, and sharding would hold such messages for shards that are
   * being handed off, delaying the node's exit.
   */
  private boolean nodeIsStopping() {
    return CoordinatedShutdown.get(getContext().getSystem()).getShutdownReason().isPresent();
  }

  private void register(String name, LiveTopic topic) {
    homes.tell(new ShardingEnvelope<>(name, new TopicEntity.Register(getContext().getSelf(), topic.lastSequence)));
    if (!timers.isTimerActive(RetryRegistrations.INSTANCE)) {
      timers.startSingleTimer(RetryRegistrations.INSTANCE, settings.recoveryTimeout());
    }
  }
}
