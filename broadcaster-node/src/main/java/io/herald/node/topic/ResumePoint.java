package io.herald.node.topic;

/** Where a device left off in a topic: an epoch and the last sequence it received there. */
public record ResumePoint(String epoch, long sequence) {}
