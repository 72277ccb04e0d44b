package io.herald.node.topic;

import io.herald.node.connection.OutboundPort;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * A subscriber as a topic sees it: the actor whose lifetime bounds the subscription
 * (watched, so a dead connection leaves every topic) and the port its frames go out by.
 */
public record Subscriber(ActorRef<?> owner, OutboundPort port) {}
