package io.herald.node.cluster;

/**
 * Marks a message that may cross nodes. Every such message is bound to
 * {@link HeraldSerializer}, which writes it as Protobuf; Java serialization is off.
 */
public interface ClusterMessage {}
