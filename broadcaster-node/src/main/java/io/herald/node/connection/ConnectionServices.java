package io.herald.node.connection;

import io.herald.node.metrics.NodeMetrics;
import io.herald.node.topic.TopicRegistry;
import java.util.function.LongSupplier;
import org.apache.pekko.actor.typed.ActorRef;

/** What every connection actor of a node shares. */
public record ConnectionServices(
    String nodeId,
    ConnectionSettings settings,
    int maxTopicLength,
    ActorRef<TopicRegistry.Command> topics,
    LocalConnections connections,
    NodeMetrics metrics,
    LongSupplier nanoClock) {}
