package io.herald.node.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class DeviceTopicTest {

  @Test
  void aDevicesOwnTopicsAreRecognisedAndNothingElse() {
    assertEquals(Optional.of(new DeviceTopic.Named("meter-1", DeviceTopic.STATE)),
        DeviceTopic.parse("$device/meter-1/state"));
    assertEquals(Optional.of(new DeviceTopic.Named("meter-1", DeviceTopic.PRESENCE)),
        DeviceTopic.parse(DeviceTopic.PRESENCE.of("meter-1")));
    assertTrue(DeviceTopic.parse("$device/meter-1/other").isEmpty());
    assertTrue(DeviceTopic.parse("$device//state").isEmpty());
    assertTrue(DeviceTopic.parse("$device/state").isEmpty());
    assertTrue(DeviceTopic.parse("$group/state").isEmpty());
    assertTrue(DeviceTopic.parse("devices/meter-1/state").isEmpty());
  }
}
