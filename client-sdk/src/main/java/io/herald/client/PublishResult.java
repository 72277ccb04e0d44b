package io.herald.client;

/**
 * A message the node accepted for a topic.
 *
 * @param topic the topic published to
 * @param sequence the sequence the message was given in its topic, or 0 when nobody
 *     subscribed and the topic keeps no history (a system topic, one nobody has subscribed
 *     to lately, or history turned off)
 */
public record PublishResult(String topic, long sequence) {}
