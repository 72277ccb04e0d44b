package io.herald.node.device;

import io.herald.node.topic.TopicEntity;
import io.herald.node.topic.TopicInterest;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.RecipientRef;

/**
 * Tells a device entity whether its own topics have subscribers, so that a state report
 * nobody follows costs no published view. Both words go through the device's shard
 * region, one path, so they arrive in the order the home sent them.
 */
public final class DeviceTopicInterest implements TopicInterest {

  private final Function<String, RecipientRef<DeviceEntity.Command>> devices;

  public DeviceTopicInterest(Function<String, RecipientRef<DeviceEntity.Command>> devices) {
    this.devices = devices;
  }

  @Override
  public boolean tracks(String topic) {
    return DeviceTopic.parse(topic).isPresent();
  }

  @Override
  public void followed(String topic, ActorRef<TopicEntity.Command> home, long request) {
    tell(topic, true, request, home);
  }

  @Override
  public void unfollowed(String topic, ActorRef<TopicEntity.Command> home) {
    tell(topic, false, 0, home);
  }

  private void tell(String topic, boolean followed, long request, ActorRef<TopicEntity.Command> home) {
    DeviceTopic.parse(topic).ifPresent(named -> devices.apply(named.deviceId())
        .tell(new DeviceEntity.Interest(named.topic(), followed, request, home)));
  }
}
