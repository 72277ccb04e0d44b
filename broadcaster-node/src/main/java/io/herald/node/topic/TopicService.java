package io.herald.node.topic;

import com.google.protobuf.ByteString;
import io.herald.node.metrics.NodeMetrics;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Scheduler;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.sharding.typed.ShardingEnvelope;

/**
 * How the rest of a node reaches topics: subscriptions go to this node's
 * {@link TopicRegistry}, publishes straight to the topic's {@link TopicEntity} wherever
 * it lives. Thread-safe; every method only sends a message.
 */
public final class TopicService {

  private final ActorRef<TopicRegistry.Command> registry;
  private final ActorRef<ShardingEnvelope<TopicEntity.Command>> homes;
  private final NodeMetrics metrics;

  public TopicService(ActorRef<TopicRegistry.Command> registry, ActorRef<ShardingEnvelope<TopicEntity.Command>> homes,
      NodeMetrics metrics) {
    this.registry = registry;
    this.homes = homes;
    this.metrics = metrics;
  }

  public void subscribe(String topic, Subscriber subscriber, long requestId) {
    subscribe(topic, subscriber, requestId, Optional.empty());
  }

  /** Subscribes; with a resume point, the messages since then that the topic keeps come first. */
  public void subscribe(String topic, Subscriber subscriber, long requestId, Optional<ResumePoint> resumeFrom) {
    registry.tell(new TopicRegistry.Subscribe(topic, subscriber, requestId, resumeFrom));
  }

  public void unsubscribe(String topic, Subscriber subscriber, long requestId) {
    registry.tell(new TopicRegistry.Unsubscribe(topic, subscriber, requestId));
  }

  /** Publishes; {@code correlationId} comes back in the {@link TopicEntity.Published} answer. */
  public void publish(String topic, ByteString payload, long correlationId, ActorRef<TopicEntity.Published> replyTo) {
    metrics.messagePublished();
    homes.tell(new ShardingEnvelope<>(topic, new TopicEntity.Publish(payload, correlationId, replyTo)));
  }

  /** Publishes and completes with the answer, or fails after {@code timeout}. */
  public CompletionStage<TopicEntity.Published> publish(String topic, ByteString payload, Duration timeout,
      Scheduler scheduler) {
    metrics.messagePublished();
    return AskPattern.ask(homes,
        replyTo -> new ShardingEnvelope<>(topic, new TopicEntity.Publish(payload, 0, replyTo)), timeout, scheduler);
  }
}
