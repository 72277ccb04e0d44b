package io.herald.node.topic;

import org.apache.pekko.actor.typed.ActorRef;

/**
 * Keeps the one publisher of a topic told whether anyone follows it, so that it can skip
 * building messages nobody would receive. A device's own topics are such topics: every
 * state report could publish the device's view, yet few devices have a subscriber.
 *
 * <p>The topic's home tells the publisher {@link #followed} when a node registers while
 * the publisher is not known to publish, and confirms the node's subscribers only once
 * the publisher has answered {@link TopicEntity.PublisherFollowing}: whatever changes after
 * a subscriber's confirmation is published. It tells {@link #unfollowed} when a publish
 * finds no node subscribed. Both leave the home in that order on one path, so the last one
 * the publisher hears is the home's latest word.
 */
public interface TopicInterest {

  /** Topics with no publisher to keep informed, which is every topic. */
  TopicInterest NONE = new TopicInterest() {
    @Override
    public boolean tracks(String topic) {
      return false;
    }

    @Override
    public void followed(String topic, ActorRef<TopicEntity.Command> home, long request) {}

    @Override
    public void unfollowed(String topic, ActorRef<TopicEntity.Command> home) {}
  };

  /** Whether {@code topic} has a publisher to keep informed. */
  boolean tracks(String topic);

  /**
   * Someone subscribes: the publisher publishes from now on and answers {@code home} with
   * {@link TopicEntity.PublisherFollowing} carrying {@code request}.
   */
  void followed(String topic, ActorRef<TopicEntity.Command> home, long request);

  /** A publish found no subscriber on any node: the publisher may stop until followed again. */
  void unfollowed(String topic, ActorRef<TopicEntity.Command> home);
}
