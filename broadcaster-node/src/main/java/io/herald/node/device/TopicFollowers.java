package io.herald.node.device;

import org.apache.pekko.actor.typed.ActorRef;

/**
 * Which of a device's own topics have subscribers, as their homes last said. A topic not
 * heard of has none: a home with subscribers says "followed" to the entity wherever it
 * is, starting it if need be, and says it again to the next incarnation of an entity that
 * stops. An "unfollowed" counts only from the home that last said "followed", or once that
 * home has stopped, so a late word from an earlier home of the topic cannot silence the
 * home that has subscribers now.
 */
final class TopicFollowers {

  /** The home that said "followed", per topic; null until one did. */
  private ActorRef<?>[] followedBy;
  /** One bit per followed topic. */
  private int followed;

  boolean followed(DeviceTopic topic) {
    return (followed & bit(topic)) != 0;
  }

  /** Whether any of the device's topics has subscribers. */
  boolean any() {
    return followed != 0;
  }

  /**
   * Returns whether this is news: the topic was not followed until now, or not through
   * {@code home}. A home that takes over from an earlier one (the topic's shard moved) may
   * have missed what was published while it moved, so news calls for the view as it is now.
   */
  boolean followedBy(DeviceTopic topic, ActorRef<?> home) {
    if (followedBy == null) {
      followedBy = new ActorRef<?>[DeviceTopic.values().length];
    }
    boolean news = !followed(topic) || !home.equals(followedBy[topic.ordinal()]);
    followed |= bit(topic);
    followedBy[topic.ordinal()] = home;
    return news;
  }

  /** Whether the word counts; the caller stops watching {@code home} if it does. */
  boolean unfollowedBy(DeviceTopic topic, ActorRef<?> home) {
    ActorRef<?> current = followedBy == null ? null : followedBy[topic.ordinal()];
    if (current != null && !current.equals(home)) {
      return false;
    }
    if (current != null) {
      followedBy[topic.ordinal()] = null;
    }
    followed &= ~bit(topic);
    return true;
  }

  /** A stopped home no longer stands in the way of its successor's word. */
  void homeStopped(ActorRef<?> home) {
    if (followedBy != null) {
      for (int i = 0; i < followedBy.length; i++) {
        if (home.equals(followedBy[i])) {
          followedBy[i] = null;
        }
      }
    }
  }

  private static int bit(DeviceTopic topic) {
    return 1 << topic.ordinal();
  }
}
