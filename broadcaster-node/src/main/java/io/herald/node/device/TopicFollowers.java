package io.herald.node.device;

import org.apache.pekko.actor.typed.ActorRef;

/**
 * Whether each of a device's own topics has subscribers, as the topic's home last said.
 * A topic not heard of counts as followed: a device entity that starts publishes until a
 * home says nobody listens. An "unfollowed" counts only from the home that last said
 * "followed", or once that home has stopped, so a late word from an earlier home of the
 * topic cannot silence the home that has subscribers now.
 */
final class TopicFollowers {

  /** The home that said "followed", per topic; null until one did. */
  private ActorRef<?>[] followedBy;
  /** One bit per topic that a home said nobody follows. */
  private int unfollowed;

  boolean followed(DeviceTopic topic) {
    return (unfollowed & bit(topic)) == 0;
  }

  void followedBy(DeviceTopic topic, ActorRef<?> home) {
    unfollowed &= ~bit(topic);
    if (followedBy == null) {
      followedBy = new ActorRef<?>[DeviceTopic.values().length];
    }
    followedBy[topic.ordinal()] = home;
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
    unfollowed |= bit(topic);
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
