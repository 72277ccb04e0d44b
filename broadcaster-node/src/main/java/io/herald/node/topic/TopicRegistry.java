package io.herald.node.topic;

import com.google.protobuf.ByteString;
import io.herald.node.connection.ServerFrames;
import io.herald.node.metrics.NodeMetrics;
import java.util.HashMap;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * Finds the {@link TopicActor} of every topic with local subscribers: creates it on the
 * first subscribe and stops it once it is idle with no subscribe on its way to it.
 */
public final class TopicRegistry extends AbstractBehavior<TopicRegistry.Command> {

  public interface Command {}

  public record Subscribe(String topic, Subscriber subscriber, long requestId) implements Command {}

  public record Unsubscribe(String topic, Subscriber subscriber, long requestId) implements Command {}

  /** Publishes to a topic; {@code correlationId} comes back in {@link Published}. */
  public record Publish(String topic, ByteString payload, long correlationId, ActorRef<Published> replyTo)
      implements Command {}

  /** A publish was accepted; sequence 0 means the topic had no local subscribers. */
  public record Published(String topic, long sequence, long correlationId) {}

  /** Sent by a topic actor with no subscribers left. */
  record TopicIdle(String topic, ActorRef<TopicActor.Command> topicActor, long subscribesReceived)
      implements Command {}

  private static final class LiveTopic {
    final ActorRef<TopicActor.Command> actor;
    long subscribesSent;

    LiveTopic(ActorRef<TopicActor.Command> actor) {
      this.actor = actor;
    }
  }

  public static Behavior<Command> create(TopicSettings settings, NodeMetrics metrics) {
    return Behaviors.setup(context -> new TopicRegistry(context, settings, metrics));
  }

  private final TopicSettings settings;
  private final NodeMetrics metrics;
  private final Map<String, LiveTopic> topics = new HashMap<>();

  private TopicRegistry(ActorContext<Command> context, TopicSettings settings, NodeMetrics metrics) {
    super(context);
    this.settings = settings;
    this.metrics = metrics;
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Subscribe.class, this::onSubscribe)
        .onMessage(Unsubscribe.class, this::onUnsubscribe)
        .onMessage(Publish.class, this::onPublish)
        .onMessage(TopicIdle.class, this::onTopicIdle)
        .build();
  }

  private Behavior<Command> onSubscribe(Subscribe subscribe) {
    LiveTopic topic = topics.computeIfAbsent(subscribe.topic(), this::startTopic);
    topic.subscribesSent++;
    topic.actor.tell(new TopicActor.AddSubscriber(subscribe.subscriber(), subscribe.requestId()));
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

  private Behavior<Command> onPublish(Publish publish) {
    metrics.messagePublished();
    LiveTopic topic = topics.get(publish.topic());
    if (topic == null) {
      publish.replyTo().tell(new Published(publish.topic(), 0, publish.correlationId()));
    } else {
      topic.actor.tell(new TopicActor.Publish(publish.payload(), publish.correlationId(), publish.replyTo()));
    }
    return this;
  }

  private Behavior<Command> onTopicIdle(TopicIdle idle) {
    LiveTopic topic = topics.get(idle.topic());
    // Equal counts mean no subscribe is on its way to the idle actor: it may stop.
    if (topic != null && topic.actor.equals(idle.topicActor()) && topic.subscribesSent == idle.subscribesReceived()) {
      topics.remove(idle.topic());
      topic.actor.tell(TopicActor.Stop.INSTANCE);
      metrics.setActiveTopics(topics.size());
    }
    return this;
  }

  private LiveTopic startTopic(String topic) {
    ActorRef<TopicActor.Command> actor = getContext().spawnAnonymous(
        TopicActor.create(topic, getContext().getSelf(), settings, metrics));
    metrics.setActiveTopics(topics.size() + 1);
    return new LiveTopic(actor);
  }
}
