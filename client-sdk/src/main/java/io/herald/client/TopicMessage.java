package io.herald.client;

import java.time.Instant;

/**
 * A message received on a subscribed topic. Messages of a topic arrive in sequence
 * order; a gap in sequence means the node dropped messages for this device because it
 * read too slowly, or, after a reconnect that did not resume
 * ({@link DeviceClient.Listener#onResubscribed}), that they were no longer kept.
 *
 * @param topic the topic
 * @param sequence the message's place in the topic
 * @param payload the bytes published (not copied: do not modify)
 * @param publishTime when the node accepted the message
 */
public record TopicMessage(String topic, long sequence, byte[] payload, Instant publishTime) {}
