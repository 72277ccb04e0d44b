package io.herald.node.connection;

import io.herald.node.device.DeviceEntity;
import io.herald.node.metrics.NodeMetrics;
import io.herald.node.topic.TopicService;
import java.util.function.Function;
import java.util.function.LongSupplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.RecipientRef;

/** What every connection actor of a node shares. */
public record ConnectionServices(
    String nodeId,
    ConnectionSettings settings,
    int maxTopicLength,
    TopicService topics,
    Function<String, RecipientRef<DeviceEntity.Command>> devices,
    LocalConnections connections,
    NodeMetrics metrics,
    LongSupplier nanoClock) {}
