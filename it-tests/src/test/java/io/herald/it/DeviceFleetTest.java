package io.herald.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.herald.client.DesiredResult;
import io.herald.client.HeraldClient;
import io.herald.it.support.NodeProcess;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** One node holds a fleet's device entities resident, each with its own state. */
class DeviceFleetTest {

  private static final int DEVICES = 100_000;
  private static final int IN_FLIGHT = 256;

  @Test
  void aNodeHoldsOneHundredThousandDeviceEntities() {
    try (NodeProcess node = NodeProcess.start("fleet", Map.of(), "-Xmx1g")) {
      HeraldClient herald = node.heraldClient();
      List<CompletableFuture<DesiredResult>> window = new ArrayList<>(DEVICES);
      long started = System.nanoTime();
      for (int i = 0; i < DEVICES; i++) {
        if (i >= IN_FLIGHT) {
          window.get(i - IN_FLIGHT).join();
        }
        window.add(herald.setDesired("fleet-" + i, Map.of("setpoint", (double) i), OptionalLong.empty()));
      }
      window.forEach(CompletableFuture::join);
      double seconds = (System.nanoTime() - started) / 1e9;
      System.out.printf("created %d device entities through the API in %.1f s (%.0f/s)%n", DEVICES, seconds,
          DEVICES / seconds);

      assertEquals(DEVICES, node.status().getDeviceEntities());
      for (int i : List.of(0, 4_242, DEVICES - 1)) {
        assertEquals(Map.of("setpoint", (double) i), herald.getDevice("fleet-" + i).join().desired());
      }
    }
  }
}
