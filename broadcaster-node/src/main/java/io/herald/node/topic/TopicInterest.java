package io.herald.node.topic;

import org.apache.pekko.actor.typed.ActorRef;

/**
 * Keeps the one publisher of a topic told whether anyone follows it, so that it publishes
 * nothing nobody would receive. A device's own topics are such topics: every state report
 * could publish the device's view, yet few devices have a subscriber. Such a publisher
 * starts out publishing nothing.
 *
 * <p>The topic's home tells the publisher {@link #followed} when a node registers and no
 * publisher has said it publishes, and confirms the node's subscribers only once the
 * publisher has answered {@link TopicEntity.PublisherFollowing}: whatever changes after a
 * subscriber's confirmation is published. The home watches the publisher that answered and
 * tells its next incarnation again. It tells {@link #unfollowed} when a publish finds no
 * node subscribed. Both words leave the home in order on one path, so the last one the
 * publisher hears is the home's latest word.
 */
public interface TopicInterest {

  /** No topic has a publisher to keep informed. */
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
